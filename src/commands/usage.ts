import { parseArgs } from 'node:util';
import { EXIT } from './exit-codes.js';

/** One way to report a usage error: a line on stderr naming the fix, exit code 2. */
export function usageError(message: string, usage: string): number {
  process.stderr.write(`stepgate: ${message}\nusage: ${usage}\n`);
  return EXIT.usage;
}

/** Positionals and `--json`, the arguments of lint, plan and log; a usage error as an exit code. */
export function positionalsAndJson(argv: string[], usage: string): { positionals: string[]; json: boolean } | number {
  try {
    const parsed = parseArgs({ args: argv, allowPositionals: true, options: { json: { type: 'boolean' } } });
    return { positionals: parsed.positionals, json: parsed.values.json === true };
  } catch (error) {
    return usageError((error as Error).message, usage);
  }
}
