/**
 * V8's tiering, set before a short-lived command's code runs. V8 optimises a function
 * (TurboFan, on background threads) once it has used an interrupt budget of bytecode; the
 * default suits long-running servers. A stepgate command runs the markdown parser's hundreds
 * of functions once over one file and exits, and TurboFan compiled them at a cost that never
 * paid back: 560 ms of the 1,380 ms of CPU time of a cold 10,002-line lint went to compile
 * threads. At 600,000 (Node 20's V8 starts from 67,584: `node --v8-options`) the functions
 * that stay hot are still optimised, a little later, and the ones that do not are left to the
 * baseline compiler: the cold lint took 29% less CPU time and 13% less wall time, the 29
 * corpus runbooks 34% and 14% (median of 15, interleaved, docs/performance.md).
 *
 * Only for the commands that read runbooks and exit. The TUI and a session run the same
 * code for minutes (a step's output through the screen), and the TUI's first frame measured
 * 5% slower against the bare Ink render it is compared with (1.11x against 1.06x, median of 5).
 *
 * V8 reads the value as it sets each function's budget, so it holds for the functions that
 * are first run after it: cli.ts sets it before it loads the command's code (the parser among it).
 */
import { setFlagsFromString } from 'node:v8';
import type { CommandName } from './specs.js';

export const INTERRUPT_BUDGET = 600_000;

/** The commands that parse runbooks, print, and exit. */
export const SHORT_LIVED: ReadonlySet<CommandName> = new Set(['lint', 'plan', 'preflight', 'export']);

export function tuneTiering(command: CommandName): void {
  if (SHORT_LIVED.has(command)) setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
}
