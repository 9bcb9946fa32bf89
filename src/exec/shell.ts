/**
 * `openShell`: the session's terminal. One long-lived shell as the target user carries state
 * from step to step like a human's terminal; isolated steps and steps for another user get a
 * shell of their own. All output goes through one headless screen and to the `output`
 * listeners (the session writes its per-step transcripts from those).
 */
import { signalName } from './processes.js';
import { resolveRunAs } from './run-as.js';
import type { RunAs } from './run-as.js';
import type { TerminalScreen } from './screen.js';
import { ShellProcess } from './shell-process.js';
import type { ShellExit, ShellProcessOptions, StepEnd, StepStop } from './shell-process.js';
import { changedExports, restorableExports, restoreScript } from './saved-exports.js';
import type { SavedExport } from './saved-exports.js';
import type { TypedRestore } from './rc-script.js';
import type { MissedInterruptWatch } from './missed-interrupt.js';
import type { RestoredShell, RunRequest, RunResult, ScreenSnapshot, Shell, ShellEvent, ShellOptions, ShellSnapshot } from './types.js';
import { durationLiteral } from '../runbooks/duration.js';

// Started before a session exists by the commands that start one (see warm-shell.ts).
export { WarmShell } from './warm-shell.js';

const DEFAULT_COLS = 80;
const DEFAULT_ROWS = 24;
const DEFAULT_SCROLLBACK = 1000;
const DEFAULT_KILL_GRACE_MS = 2000;

/** Start the session shell as `opts.user` (default: the current user). */
export async function openShell(opts: ShellOptions = {}): Promise<Shell> {
  const runAs = await resolveRunAs(opts.user);
  const shell = new SessionShell(runAs, opts);
  try {
    await shell.start();
  } catch (err) {
    await shell.close();
    throw err;
  }
  return shell;
}

/** The signal a status above 128 says killed the step. */
function statusSignal(status: number): string | undefined {
  if (status <= 128 || status > 128 + 64) return undefined;
  return signalName(status - 128);
}

function describeExit(exit: ShellExit): string {
  return exit.reason ?? `the shell exited with status ${exit.status ?? exit.code}`;
}

/** Keys held for a step whose shell is still starting: a paste, not a file. */
const MAX_PENDING_INPUT = 64 * 1024;

/** A step stopped before its command line was sent: nothing ran. */
function notStarted(durationMs: number): RunResult {
  return { exitCode: null, durationMs, timedOut: false, interrupted: true, shellExited: false, reason: 'cancelled before it started' };
}

/** The running step: whether it was interrupted, and that interrupt's follow-up, ended with the step. */
interface ActiveStep {
  interrupted: boolean;
  interrupting?: MissedInterruptWatch;
}

class SessionShell implements Shell {
  readonly user: string;
  restored: RestoredShell | undefined;
  private readonly runAs: RunAs;
  private readonly opts: ShellOptions;
  /** Undefined without a screen (`ShellOptions.screen: false`). */
  private screenView: TerminalScreen | undefined;
  private readonly listeners = new Set<(event: ShellEvent) => void>();
  private size: { cols: number; rows: number };
  private main: ShellProcess | undefined;
  /** Every shell started in this session; all are ended, with their children, by close(). */
  private readonly started: ShellProcess[] = [];
  private active: ShellProcess | undefined;
  private activeStep: ActiveStep | undefined;
  /** `interrupt()` came while the running step's shell was being made ready: the step is not sent. */
  private interruptedEarly = false;
  private resetReason: string | undefined;
  private stepId = 0;
  private busy = false;
  /**
   * Keys written while a run is starting (its shell still opening) and not yet attached to a
   * process: they go to the step once it has one. An operator types as soon as a prompt shows.
   */
  private pendingInput = '';
  private closed = false;
  private readonly paused = new Set<ShellProcess>();

  constructor(runAs: RunAs, opts: ShellOptions) {
    this.runAs = runAs;
    this.user = runAs.user;
    this.opts = opts;
    const cols = opts.cols ?? DEFAULT_COLS;
    const rows = opts.rows ?? DEFAULT_ROWS;
    if (!(cols > 0 && rows > 0)) throw new RangeError(`openShell: bad terminal size ${cols}x${rows}`);
    this.size = { cols, rows };
  }

  async start(): Promise<void> {
    if (this.opts.screen !== false) {
      // Loaded with the first screen: plain mode never parses xterm's code.
      const { TerminalScreen } = await import('./screen.js');
      this.screenView = new TerminalScreen({ ...this.size, scrollback: this.opts.scrollback ?? DEFAULT_SCROLLBACK });
    }
    const restore = this.opts.restore?.user === this.user ? this.typedRestore(this.opts.restore) : undefined;
    this.main = await this.spawn(this.runAs, { cwd: this.opts.cwd, env: this.opts.env, ...(restore ? { restore: restore.typed } : {}) }, true);
    if (restore) {
      const entered = restore.typed.cwd !== undefined && !this.main.restoredCwdFailed;
      this.restored = entered ? { cwd: restore.typed.cwd as string, exported: restore.count } : { exported: restore.count };
    }
  }

  /** The exports steps set (not those the environment gave), without secret-looking or session names. */
  private stepExports(saved: { exports: SavedExport[]; base: SavedExport[] }): SavedExport[] {
    return restorableExports(changedExports(saved.exports, saved.base), Object.keys(this.opts.env ?? {}));
  }

  /** The snapshot as typed to a new shell; the session's own env names are never taken from it. */
  private typedRestore(snapshot: ShellSnapshot): { typed: TypedRestore; count: number } {
    const exports = restorableExports(snapshot.exports, Object.keys(this.opts.env ?? {}));
    const script = restoreScript(exports);
    return { typed: snapshot.cwd === undefined ? { script } : { script, cwd: snapshot.cwd }, count: exports.length };
  }

  async snapshot(): Promise<ShellSnapshot | undefined> {
    const saved = await this.main?.readSaved();
    if (!saved) return undefined;
    const snap: ShellSnapshot = { user: this.user, exports: this.stepExports(saved) };
    if (saved.cwd !== undefined) snap.cwd = saved.cwd;
    return snap;
  }

  /** A shell as `runAs` at `where`; the session's first may be the prewarmed one (`ShellOptions.warm`). */
  private async spawn(
    runAs: RunAs,
    where: { cwd?: string; env?: Record<string, string>; restoreFrom?: string; restore?: TypedRestore },
    first = false,
  ): Promise<ShellProcess> {
    const warm = first ? this.opts.warm?.take(runAs) : undefined;
    const procOpts: ShellProcessOptions = {
      runAs,
      cols: this.size.cols,
      rows: this.size.rows,
      ...where,
      ...(this.opts.secretEnvNames ? { secretEnvNames: this.opts.secretEnvNames } : {}),
      onText: (text, from) => this.output(from, text),
      ...(this.opts.onSecret ? { onSecret: this.opts.onSecret } : {}),
      onExit: (exit, from) => {
        if (from === this.main && !this.closed && !this.resetReason) this.resetReason = describeExit(exit);
      },
    };
    const proc = warm ? await warm.adopt(procOpts) : await ShellProcess.start(procOpts);
    this.started.push(proc);
    return proc;
  }

  private output(proc: ShellProcess, raw: string, filter = true): void {
    const text = filter && this.opts.outputFilter ? this.opts.outputFilter.push(raw) : raw;
    if (text === '') return;
    const screen = this.screenView;
    const screenOk = screen?.write(text) ?? true;
    for (const listener of this.listeners) listener({ type: 'output', data: text });
    if (screen && !screenOk && !this.paused.has(proc)) {
      // Backpressure: stop reading the pty until the emulator catches up.
      this.paused.add(proc);
      proc.pause();
      void screen.drained().then(() => {
        this.paused.delete(proc);
        proc.resume();
      });
    }
  }

  private emit(event: ShellEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The session shell, replaced by a fresh one (cwd and exports restored) when it has died. */
  private async mainShell(): Promise<ShellProcess> {
    const current = this.main;
    if (current && current.alive) return current;
    const reason = this.resetReason ?? 'the shell had ended';
    const restoreFrom = current?.stateDir || undefined;
    const saved = await current?.readSaved();
    this.main = await this.spawn(this.runAs, { cwd: this.opts.cwd, env: this.opts.env, restoreFrom });
    this.resetReason = undefined;
    const restored: RestoredShell | undefined = saved && {
      ...(saved.cwd !== undefined ? { cwd: saved.cwd } : {}),
      exported: this.stepExports(saved).length,
    };
    const what = restored
      ? `in ${restored.cwd ?? 'its default directory'} with ${restored.exported} exported variable${restored.exported === 1 ? '' : 's'} restored`
      : 'without the earlier directory and exported variables (the ended shell left none to restore)';
    this.emit({
      type: 'shell-reset',
      reason: `${reason}; started a fresh shell as ${this.user} ${what} (functions, aliases and unexported variables are gone)`,
      ...(restored ? { restored } : {}),
    });
    return this.main;
  }

  async run(req: RunRequest): Promise<RunResult> {
    if (this.closed) throw new Error('the shell session is closed');
    if (typeof req.script !== 'string') throw new TypeError('run: script must be a string');
    if (req.timeoutMs !== undefined && !(req.timeoutMs > 0)) throw new RangeError(`run: timeoutMs must be > 0, got ${req.timeoutMs}`);
    if (this.busy) throw new Error('run: a step is already running in this session');
    this.busy = true;
    const startedAt = performance.now();
    try {
      if (req.signal?.aborted) return notStarted(0);
      const otherUser = req.user !== undefined && req.user !== this.user;
      if (otherUser || req.isolated) {
        const runAs = otherUser ? await resolveRunAs(req.user) : this.runAs;
        const restoreFrom = otherUser ? undefined : this.main?.stateDir || undefined;
        const proc = await this.spawn(runAs, { cwd: this.opts.cwd, env: this.opts.env, restoreFrom });
        try {
          return await this.execute(proc, req, startedAt);
        } finally {
          await proc.close(0);
          await proc.removeState();
          this.started.splice(this.started.indexOf(proc), 1);
        }
      }
      return await this.execute(await this.mainShell(), req, startedAt);
    } finally {
      this.busy = false;
      this.interruptedEarly = false;
      this.pendingInput = '';
    }
  }

  private async execute(proc: ShellProcess, req: RunRequest, startedAt: number): Promise<RunResult> {
    // Stopped while its shell was made ready (an abort then found no listener): nothing is sent.
    if (req.signal?.aborted || this.interruptedEarly) return notStarted(performance.now() - startedAt);
    const id = ++this.stepId;
    const step: ActiveStep = { interrupted: false };
    let timedOut = false;
    this.active = proc;
    this.activeStep = step;
    if (this.pendingInput !== '') {
      proc.write(this.pendingInput);
      this.pendingInput = '';
    }
    const grace = this.opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    let stopping: StepStop | undefined;
    const escalate = (): void => {
      stopping ??= proc.stopStep(grace);
    };
    const timer =
      req.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            escalate();
          }, req.timeoutMs);
    const onAbort = (): void => {
      step.interrupted = true;
      escalate();
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });

    let end: StepEnd;
    try {
      end = await proc.run(id, req.script, { cwd: req.cwd, env: req.env, stdin: this.opts.stepStdin ?? 'terminal' });
    } finally {
      clearTimeout(timer);
      stopping?.cancel();
      step.interrupting?.cancel();
      req.signal?.removeEventListener('abort', onAbort);
      this.active = undefined;
      this.activeStep = undefined;
    }
    // What the filter held back (it might have begun a secret) belongs to this step.
    const held = this.opts.outputFilter?.flush() ?? '';
    if (held !== '') this.output(proc, held, false);
    await this.screenView?.settled();
    const durationMs = performance.now() - startedAt;
    const base = { durationMs, timedOut, interrupted: step.interrupted };
    const timeoutNote = timedOut ? `timed out after ${durationLiteral(req.timeoutMs ?? 0)}` : undefined;
    if (end.kind === 'done') {
      const signal = statusSignal(end.status);
      return {
        ...base,
        exitCode: end.status,
        ...(signal ? { signal } : {}),
        shellExited: false,
        ...(timeoutNote ? { reason: timeoutNote } : {}),
      };
    }
    const shellKilled = stopping?.shellKilled() ?? false;
    const exitReason = shellKilled
      ? 'the step kept running through Ctrl-C, SIGTERM and SIGKILL of its processes, so its shell was killed'
      : describeExit(end.exit);
    const signal = end.exit.status !== null ? statusSignal(end.exit.status) : undefined;
    return {
      ...base,
      exitCode: end.exit.status,
      ...(signal ? { signal } : {}),
      shellExited: true,
      reason: [timeoutNote, shellKilled ? exitReason : `${exitReason} during the step`].filter(Boolean).join('; '),
    };
  }

  write(data: string): void {
    if (this.active) this.active.write(data);
    else if (this.busy && this.pendingInput.length < MAX_PENDING_INPUT) this.pendingInput += data;
  }

  interrupt(): void {
    if (this.busy && !this.active) this.interruptedEarly = true;
    if (!this.active || !this.activeStep) return;
    this.activeStep.interrupted = true;
    this.activeStep.interrupting?.cancel();
    this.activeStep.interrupting = this.active.interrupt(this.opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS);
  }

  resize(cols: number, rows: number): void {
    if (!(cols > 0 && rows > 0)) throw new RangeError(`resize: bad size ${cols}x${rows}`);
    this.size = { cols, rows };
    this.screenView?.resize(cols, rows);
    for (const proc of this.started) proc.resize(cols, rows);
  }

  onEvent(listener: (event: ShellEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  screen(tail?: number): ScreenSnapshot {
    return this.screenView?.snapshot(tail) ?? { lines: [], ...this.size };
  }

  screenSettled(): Promise<void> {
    return this.screenView?.settled() ?? Promise.resolve();
  }

  clearScreen(): void {
    this.screenView?.clear();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const proc of this.started) {
      await proc.close();
      await proc.removeState();
    }
    this.listeners.clear();
    this.screenView?.dispose();
  }
}
