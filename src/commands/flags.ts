/**
 * Flag sets more than one command takes, as `node:util` parseArgs options. Data only, so
 * the command table (`specs.ts`) and `--help` load nothing else.
 */

/** The flags of a plain walk (`run`, and `resume` in plain mode). */
export const PLAIN_FLAGS = {
  as: { type: 'string' },
  yes: { type: 'boolean', short: 'y' },
  recover: { type: 'boolean' },
  'recover-path': { type: 'string' },
  var: { type: 'string', multiple: true },
  skip: { type: 'string', multiple: true },
  'allow-untrusted': { type: 'boolean' },
} as const;

/** A runbook's deploy lock (run, resume, the TUI). */
export const LOCK_FLAGS = {
  'wait-lock': { type: 'boolean' },
  'steal-lock': { type: 'string' },
} as const;

/** The TUI's bell and notification when a gate blocks, a manual item waits or a long step ends (the TUI, resume in it). */
export const QUIET_FLAG = {
  quiet: { type: 'boolean' },
} as const;

/** Say on usage lines. */
export const LOCK_USAGE = '[--wait-lock | --steal-lock REASON]';

/** The flags export and fleet run share (fleet run exports a Command document first). */
export const EXPORT_FLAGS = {
  'param-store-prefix': { type: 'string' },
  'param-store-type': { type: 'string' },
  approvers: { type: 'string' },
  as: { type: 'string' },
} as const;
