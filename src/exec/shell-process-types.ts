/** What a `ShellProcess` is given and what it reports: its options, how it and its steps end. */
import type { TypedRestore } from './rc-script.js';
import type { ShellProcess } from './shell-process.js';
import { signalName } from './processes.js';
import type { RunAs } from './run-as.js';

export interface ShellProcessOptions {
  runAs: RunAs;
  cwd?: string;
  env?: Record<string, string>;
  cols: number;
  rows: number;
  /** State directory of an earlier shell of the same user whose cwd and exports to restore. */
  restoreFrom?: string;
  /** A snapshot (possibly of a shell of a dead stepgate) typed to the new shell and restored. */
  restore?: TypedRestore;
  /** Names of `env` whose values are secret: the shell's state files never hold those values. */
  secretEnvNames?: string[];
  /** Visible output (markers removed), in order. */
  onText: (text: string, shell: ShellProcess) => void;
  /**
   * An exported secret-looking variable, as the shell tells it before each status report
   * (before the step's end is reported, so what follows is hidden with it).
   */
  onSecret?: (name: string, value: string) => void;
  /** The shell ended (after its output was drained). */
  onExit?: (info: ShellExit, shell: ShellProcess) => void;
}

export interface ShellExit {
  /** Status from the shell's own exit (`exit N`, `set -e`), when it reported one. */
  status: number | null;
  /** Raw pty exit. */
  code: number;
  signal?: number;
  /** Set when the shell did not end by itself. */
  reason?: string;
}

/** How a step ended, as seen from the shell. */
export type StepEnd = { kind: 'done'; status: number } | { kind: 'exited'; exit: ShellExit };

/** A step being stopped by `ShellProcess.stopStep`. */
export interface StepStop {
  /** Stop escalating (the step ended). */
  cancel(): void;
  /** Whether the last resort, killing the shell, was taken. */
  shellKilled(): boolean;
}

/** Raised when the shell cannot be started (the text it printed is part of the message). */
export class ShellStartError extends Error {
  override name = 'ShellStartError';
}

/**
 * How the shell ended: its own exit report when it made one; without one it was killed (a
 * signal, or a status over 128 that names one) or a step replaced its EXIT trap.
 */
export function shellExit(code: number, signal: number | undefined, reported: number | null): ShellExit {
  const exit: ShellExit = { status: reported, code, ...(signal ? { signal } : {}) };
  if (exit.status !== null) return exit;
  const sig = signal || (code > 128 && code < 128 + 65 ? code - 128 : 0);
  if (sig) exit.reason = `the shell was killed from outside (${signalName(sig) ?? `signal ${sig}`})`;
  else exit.status = code;
  return exit;
}
