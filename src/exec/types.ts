/**
 * The contracts between the session engine and the host. `session` depends on these
 * interfaces only; real implementations live beside this file, scripted fakes in tests.
 */

import type { WarmShell } from './warm-shell.js';

export interface ShellOptions {
  /** Target user; undefined = the current user. */
  user?: string;
  /** Starting directory. Default: stepgate's cwd for the same user, the user's home otherwise. */
  cwd?: string;
  /** Extra environment for every step (front-matter env and vars). */
  env?: Record<string, string>;
  /** Terminal size. Default 80x24. */
  cols?: number;
  rows?: number;
  /** Scrollback lines kept by the headless terminal. Default 1000. */
  scrollback?: number;
  /**
   * Keep a headless terminal of the output (what `screen()` returns). Default true. Plain mode
   * shows no screen: without one, output goes only to the `onEvent` listeners, as it arrives,
   * @xterm/headless is never loaded, and `screen()` has no lines.
   */
  screen?: boolean;
  /**
   * After a timeout's Ctrl-C, how long to wait before SIGTERM, then SIGKILL, to the step's
   * process group (and finally the shell). Default 2000 ms.
   */
  killGraceMs?: number;
  /**
   * What a step reads as stdin. 'terminal' (default): the pty, where the operator's keys arrive.
   * 'none': /dev/null, for plain mode without any terminal (cron, CI, a pipe): a step that reads
   * stdin gets end-of-file at once instead of waiting for keys nobody can type.
   */
  stepStdin?: 'terminal' | 'none';
  /**
   * Start from this snapshot of an earlier shell (`Shell.snapshot()`, possibly of a stepgate
   * process that died): its exported variables, then its directory (`cwd` when that directory
   * is gone). Ignored when the snapshot's user is not this shell's user. Default: none.
   */
  restore?: ShellSnapshot;
  /**
   * Names of `env` whose values are secret (secret vars, secret-looking env): the shell's state
   * files keep no variable holding one of them, nor one of an exported secret-looking name.
   */
  secretEnvNames?: string[];
  /**
   * Applied to all output, in order, before the screen and the `onEvent` listeners see it (the
   * session's redactor: what the TUI shows is then redacted too). It may hold back the end of a
   * chunk (a secret may go on in the next); what it holds is flushed when a step ends.
   */
  outputFilter?: OutputFilter;
  /**
   * The shell has an exported variable whose name looks secret (`GITHUB_TOKEN`, `DB_PASS`:
   * `looksSecretName` in src/runbooks/vars.ts), told before each status report whoever set it
   * (a step, the user's profile, the environment), in order with the output: before the filter
   * sees anything printed after it. Also while the shell starts, before `openShell` resolves.
   */
  onSecret?: (name: string, value: string) => void;
  /**
   * A shell started ahead (`WarmShell.start`) for the first shell to take, when it runs as the
   * same user: its startup files have run already. Default: none.
   */
  warm?: WarmShell;
}

/** A stream transform of the shell's output (see `ShellOptions.outputFilter`). */
export interface OutputFilter {
  push(chunk: string): string;
  flush(): string;
}

/**
 * What a new shell can take over from an earlier one: the working directory and the variables
 * steps exported (those whose value differs from what the shell started with: the rest came
 * from stepgate's environment, which a later process gives afresh), without secret-looking names
 * and without the session's own environment (vars and front-matter env, given to every shell).
 * Plain JSON: the session keeps it on disk for a resume.
 */
export interface ShellSnapshot {
  /** The user the shell ran as; the snapshot is restored only into a shell of that user. */
  user: string;
  /** The working directory; absent when the shell had not saved one. */
  cwd?: string;
  /** Each exported variable: its name and the bash declaration (`declare -x N="v"`) that recreates it. */
  exports: Array<{ name: string; declaration: string }>;
}

/** What a replacement shell started from, for the operator and the journal. */
export interface RestoredShell {
  /** The directory it was started in (absent when it kept the default). */
  cwd?: string;
  /** Exported variables it took over. */
  exported: number;
}

export interface RunRequest {
  script: string;
  /** Default: no timeout. */
  timeoutMs?: number;
  /** Per-step overrides. */
  cwd?: string;
  user?: string;
  /** Run in a fresh shell, leaving the session shell untouched. */
  isolated?: boolean;
  env?: Record<string, string>;
  signal?: AbortSignal;
}

export interface RunResult {
  /** null when the step has no status (shell killed from outside). */
  exitCode: number | null;
  signal?: string;
  durationMs: number;
  timedOut: boolean;
  interrupted: boolean;
  /** The shell ended during the step; the next step gets a fresh one. */
  shellExited: boolean;
  /** Human-readable reason when the step did not finish normally. */
  reason?: string;
}

/** What the operator sees of the terminal: the headless emulator's viewport and scrollback. */
export interface ScreenSnapshot {
  /** Scrollback then viewport, trailing blank lines trimmed. */
  lines: string[];
  cols: number;
  rows: number;
}

export type ShellEvent =
  | { type: 'output'; data: string }

  | {
      type: 'shell-reset';
      reason: string;
      /** What the new shell took over from the one that ended; absent when nothing was restored. */
      restored?: RestoredShell;
    };

export interface Shell {
  readonly user: string;
  /**
   * What this shell took over from `ShellOptions.restore`; absent when it was given none (or
   * one of another user). `cwd` is absent when the saved directory could not be entered.
   */
  readonly restored?: RestoredShell;
  run(req: RunRequest): Promise<RunResult>;
  /** Forward operator keys to the running step. */
  write(data: string): void;
  /** Ctrl-C to the running step only. */
  interrupt(): void;
  resize(cols: number, rows: number): void;
  /** Output with plumbing stripped, as it arrives. Returns an unsubscribe function. */
  onEvent(listener: (event: ShellEvent) => void): () => void;
  /** The screen; with `tail`, only its last `tail` lines (cheaper: a flood's frames). */
  screen(tail?: number): ScreenSnapshot;
  /**
   * Resolves once the emulator has interpreted all output so far (it holds and parses output
   * asynchronously). Optional: a fake screen is always current.
   */
  screenSettled?(): Promise<void>;
  /** Clear the emulator screen before a new step (transcript is untouched). */
  clearScreen(): void;
  /**
   * The session shell's directory and exports as it saved them after its last step, to restore
   * in a later process (`ShellOptions.restore`). Undefined when there is nothing to read.
   * Optional so that scripted shells need not have it.
   */
  snapshot?(): Promise<ShellSnapshot | undefined>;
  close(): Promise<void>;
}

export type ProbeSpec =
  | {
      kind: 'http';
      url: string;
      /** Inclusive ranges; default 200-299. */
      expect?: Array<{ min: number; max: number }>;
      contains?: string;
      timeoutMs: number;
      /** Redirects to another origin fail the check unless 'any'. Default 'same-origin'. */
      follow?: 'same-origin' | 'any';
    }
  | { kind: 'tcp'; host: string; port: number; timeoutMs: number }
  | {
      kind: 'run';
      command: string;
      user?: string;
      cwd?: string;
      env?: Record<string, string>;
      contains?: string;
      timeoutMs: number;
    };

export interface ProbeResult {
  ok: boolean;
  latencyMs: number;
  /** HTTP status, when a response arrived. */
  status?: number;
  /** Exit code of a `run` probe. */
  exitCode?: number;
  /** Why it failed: refused, DNS, timeout, TLS, bad status (with first bytes of body) ... */
  error?: string;
  /** Body head or command output, kept for the operator. */
  output?: string;
}

export interface RetryPolicy {
  attempts: number;
  baseMs: number;
  /** Cap on a single delay. Default 30s. */
  maxMs?: number;
}

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

// Preflight: what a script runs (bash-words.ts) and what the host says about it (host-check.ts).

/** One command a script runs, by the word that names it. */
export interface CommandWord {
  /** The literal name (`git`, `./scripts/04-redeploy.sh`), or the source text when it is not literal. */
  name: string;
  /** 1-based line within the script. */
  line: number;
  /** How it is named: a literal word, through an expansion (`$CMD`), or inside `eval`'s string. */
  how: 'literal' | 'dynamic' | 'eval';
  /** Offset in the script, to order it against `cd`s on the same line. */
  at: number;
}

/** A `cd` the script makes: its literal target (undefined when it expands at run time). */
export interface ChangeDir {
  dir: string | undefined;
  at: number;
}

export interface ScriptWords {
  commands: CommandWord[];
  /** Names the script defines as functions or aliases, in order. */
  defines: string[];
  /** The `cd`s, in order. */
  cds: ChangeDir[];
}

export interface HostQuery {
  /** Run-as user (undefined = whoever runs stepgate). */
  user?: string;
  env: Record<string, string>;
  /** Scripts for `bash -n`, by key. */
  scripts: Record<string, string>;
  /**
   * Scripts (by key) that `bash` (its "$BASH $BASH_VERSION") parsed before, unchanged since:
   * when the user's bash is still that one, they are not parsed again.
   */
  parsedBefore?: { bash: string; keys: string[] };
  /** Command names for `command -v`. */
  names: string[];
  /** Paths to stat, by key: relative ones against `dir` (`~` is the user's home). */
  paths: Record<string, { path: string; dir?: string }>;
  /** Directories the user must be able to enter. */
  dirs: string[];
  hosts: string[];
  /** Directories whose filesystem's free space is wanted. */
  space: string[];
}

export interface PathAnswer {
  exists: boolean;
  readable: boolean;
  executable: boolean;
}

export interface HostAnswers {
  /** The bash that answered ("$BASH $BASH_VERSION"), when it said. */
  bash?: string;
  /** Per script key: undefined when it parses, else bash's message. */
  syntax: Record<string, string | undefined>;
  names: Record<string, boolean>;
  paths: Record<string, PathAnswer>;
  dirs: Record<string, boolean>;
  hosts: Record<string, boolean>;
  /** Free KiB, undefined when df could not say. */
  space: Record<string, number | undefined>;
}

