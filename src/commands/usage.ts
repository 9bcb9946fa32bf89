import { EXIT } from './exit-codes.js';

/** One way to report a usage error: a line on stderr naming the fix, exit code 2. */
export function usageError(message: string, usage: string): number {
  process.stderr.write(`stepgate: ${message}\nusage: ${usage}\n`);
  return EXIT.usage;
}

/** An empty `--skip-preflight` reason (run and the TUI): what is wanted, with an example. */
export const SKIP_PREFLIGHT_NO_REASON = `--skip-preflight wants a reason (it is journaled), for example --skip-preflight 'pm2 is installed by the first step'`;
