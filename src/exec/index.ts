/** The execution layer's public surface: the session shell, probes, the clock. */
export { openShell } from './shell.js';
export { runProbe } from './probes.js';
export type { ProbeOptions } from './probes.js';
export { systemClock } from './clock.js';
export { RunAsError, resolveRunAs } from './run-as.js';
export { ShellStartError } from './shell-process.js';
export type * from './types.js';
