/** The execution layer's public surface: the session shell, probes, retries, the clock. */
export { openShell } from './shell.js';
export { runProbe } from './probes.js';
export type { ProbeOptions } from './probes.js';
export { backoffDelay, DEFAULT_RETRY_POLICY, runWithRetry } from './retry.js';
export type { RetryOptions, RetryOutcome } from './retry.js';
export { systemClock } from './clock.js';
export { RunAsError, resolveRunAs } from './run-as.js';
export { ShellStartError } from './shell-process.js';
export type * from './types.js';
