import { EXIT } from './exit-codes.js';

/** One way to report a usage error: a line on stderr naming the fix, exit code 2. */
export function usageError(message: string, usage: string): number {
  process.stderr.write(`stepgate: ${message}\nusage: ${usage}\n`);
  return EXIT.usage;
}
