/**
 * The session's shell as the engine keeps it: started ahead of the first step that needs it, or
 * by that step (from a resumed session's kept state when there is one), its output redacted
 * and routed to the step's transcript and the listeners, its screen pushed to the store at a
 * bounded rate, its state kept on disk after every step for a resume, and closed when the
 * session ends.
 */
import { userInfo } from 'node:os';
import type { Clock, ScreenSnapshot, Shell, ShellOptions, ShellSnapshot } from '../exec/types.js';
import { describeError } from '../errors.js';
import type { Journal } from './journal.js';
import { displayText } from './printable.js';
import { MIN_SECRET_LENGTH, StreamRedactor, type SecretSet } from './redact.js';
import { restoredFrom, withoutSecrets } from './shell-state.js';
import type { ResumeReport } from './resume.js';
import type { ShellPlace } from './step-context.js';
import type { SessionEvent } from './types.js';

/** The longest value `capture=` keeps (characters, after trimming). */
export const MAX_CAPTURE = 4096;

/** Opens the session's persistent shell (exec's `openShell`). */
export type ShellFactory = (options: ShellOptions) => Promise<Shell>;

export interface SessionShellDeps {
  openShell: ShellFactory;
  journal: Journal;
  clock: Clock;
  secrets: SecretSet;
  /** Minimum ms between screen snapshots pushed to the store. */
  screenIntervalMs: number;
  /** Whether a face shows the screen (false: the shell keeps no emulator, nothing is pushed). */
  screen: boolean;
  /** What steps read as stdin (ShellOptions.stepStdin). */
  stepStdin: 'terminal' | 'none';
  cols: number;
  rows: number;
  /** Journal and fold an event (the store's dispatch). */
  dispatch(event: SessionEvent): Promise<void>;
  setScreen(screen: ScreenSnapshot): void;
  /** Whom the shell is starting as while it starts (undefined once it is up or failed to start). */
  setStarting(user: string | undefined): void;
  /** The prompt the running step printed before it went quiet (see PROMPT_QUIET_MS), or undefined once it goes on. */
  setWaiting(prompt: string | undefined): void;
  /** Show a line as the store's error, as it is. */
  setError(line: string): void;
  /** Show a failure as the store's error, redacted. */
  fail(message: string): void;
}

type ShellReset = Extract<SessionEvent, { type: 'shell-reset' }>;

/**
 * A flood: output without a pause of FLOOD_QUIET_MS for FLOOD_AFTER_MS, FLOOD_BYTES of it at
 * least. Its screen is pushed FLOOD_SLOWER times less often: nobody reads lines that scroll
 * by at thirty frames a second, and each frame costs a snapshot of the scrollback and a
 * render of the pane (issue 14: a third of the TUI's CPU in a 5,000,000-line step). Typed
 * keys' echo and progress lines are never a flood (too few bytes).
 */
const FLOOD_QUIET_MS = 100;
const FLOOD_AFTER_MS = 500;
const FLOOD_BYTES = 256 * 1024;
const FLOOD_SLOWER = 3;
/** Screenfuls a flood's frames keep (see `refreshScreen`). */
const FLOOD_TAIL_SCREENS = 2;
/**
 * A step whose output stops this long on a line that looks like a question (`[sudo] password
 * for ubuntu:`, `Continue? [y/N]`) may wait for keys nobody knows to type: the faces say so
 * (a trial saw a step hang at a password prompt with no word of it). A guess, said as one.
 */
const PROMPT_QUIET_MS = 2000;
const PROMPT_LIKE = /(?:[:?>]|\[y\/n\]|\(y\/n\)|\(yes\/no\))\s*$/i;

export class SessionShell {
  private readonly deps: SessionShellDeps;
  private shell: Shell | undefined;
  /** The shell being started (ahead of a step, or for one), until it is up or has failed. */
  private opening: Promise<Shell> | undefined;
  private shellOff: (() => void) | undefined;
  /** The terminal size the UI last asked for; a shell opened later starts at it. */
  private size: { cols: number; rows: number };
  private screenTimer: ReturnType<typeof setTimeout> | undefined;
  private wholeTimer: ReturnType<typeof setTimeout> | undefined;
  private lastScreenAt = 0;
  /** The current run of output without a pause (FLOOD_QUIET_MS): when it began, when its last chunk came, its size. */
  private burst = { since: 0, last: Number.NEGATIVE_INFINITY, bytes: 0 };
  private readonly outputListeners = new Set<(text: string) => void>();
  private currentSink: { write(text: string): void } | undefined;
  /**
   * Keys typed for a step before its shell runs it (the operator types as soon as they see the
   * prompt, or in the same burst as the key that started the step): held, then given to the
   * step's shell the moment its run begins. Dropped when the step ends.
   */
  private typedAhead = '';
  private holdInput = false;
  private lineRedactor: StreamRedactor | undefined;
  /** The running step's output since its last line ended (bounded), and the wait after it. */
  private promptTail = '';
  private promptTimer: ReturnType<typeof setTimeout> | undefined;
  /** When the running step last printed. */
  private promptAt = 0;
  private waitingSaid = false;
  /** What the running `capture=` step printed so far (redacted), bounded. */
  private captured: string | undefined;
  /** A resumed session's kept shell state, for the first shell this process opens. */
  private restoreShell: ShellSnapshot | undefined;
  /** Journaled when that first shell opens: the earlier process's shell was replaced. */
  private resumedReset: ShellReset | undefined;
  /** The shell state last kept on disk (JSON), so an unchanged one is not written again. */
  private keptShell = '';
  private shellStateWarned = false;
  /** The kept shell state being removed because the session ended; close() waits for it. */
  private forgetting: Promise<void> = Promise.resolve();
  /**
   * Shells being closed. The session's end closes its shell without waiting (the summary comes
   * first); the store's close() must still wait for it, or stepgate exits with the shell in its
   * hang-up trap and the exit handler kills it the slow, synchronous way.
   */
  private closing: Promise<void> = Promise.resolve();

  constructor(deps: SessionShellDeps) {
    this.deps = deps;
    this.size = { cols: deps.cols, rows: deps.rows };
  }

  /** The open shell, if any. */
  get current(): Shell | undefined {
    return this.shell;
  }

  /**
   * Starts the shell at `place` ahead of the step that will need it, when none is open or
   * opening: bash (or `sudo -i` as another user, a second or two on a real host) starts while
   * the operator reads the step, so that the step runs at once. Nothing is said while it
   * starts; a failure is kept for the step that waits for this shell, which fails with it as
   * it would have without the head start.
   */
  prepare(place: ShellPlace): void {
    if (this.shell || this.opening) return;
    this.opening = this.open(place);
    this.opening.catch(() => undefined);
  }

  /** The shell, opened at `place` when there is none (or the one opening, once it is up). */
  async ensure(place: ShellPlace): Promise<Shell> {
    if (this.shell) return await this.useOpened(this.shell);
    const { deps } = this;
    // A step waits for this: the faces say the shell is starting, not that the step runs.
    deps.setStarting(place.user ?? currentUser() ?? 'you');
    try {
      this.opening ??= this.open(place);
      return await this.useOpened(await this.opening);
    } finally {
      // Failed: the next step (a retry) opens a new one.
      this.opening = undefined;
      deps.setStarting(undefined);
    }
  }

  /**
   * A step is about to use `opened`: a resumed session's earlier shell is journaled as
   * replaced now, when a step first runs in the new one (a resumed session that runs
   * nothing replaced nothing), even if the new one was started ahead.
   */
  private async useOpened(opened: Shell): Promise<Shell> {
    const { deps } = this;
    if (this.resumedReset) {
      const reset = { ...this.resumedReset, at: deps.clock.now() };
      this.resumedReset = undefined;
      // What the shell really took over: the kept directory may be gone since the crash.
      if (reset.restored && opened.restored) {
        const wanted = reset.restored.cwd;
        reset.restored = opened.restored;
        if (wanted !== undefined && opened.restored.cwd === undefined) {
          const note = `the kept directory ${wanted} cannot be entered any more, so the shell starts in its default directory`;
          reset.reason += `; ${note}`;
          this.emit(`[stepgate] ${deps.secrets.redact(note)}\r\n`);
        }
      }
      await deps.dispatch(reset);
    }
    return opened;
  }

  private async open(place: ShellPlace): Promise<Shell> {
    const { deps } = this;
    const size = this.size;
    const opened = await deps.openShell({
      user: place.user,
      cwd: place.cwd,
      env: place.env,
      cols: size.cols,
      rows: size.rows,
      ...(this.deps.screen ? {} : { screen: false }),
      ...(this.deps.stepStdin === 'none' ? { stepStdin: 'none' as const } : {}),
      ...(this.restoreShell ? { restore: this.restoreShell } : {}),
      secretEnvNames: Object.keys(place.env).filter((name) => deps.secrets.has(place.env[name])),
      // The screen (the TUI's output pane, the attached view) is fed redacted output.
      outputFilter: new StreamRedactor(deps.secrets),
      onSecret: (name, value) => this.learnSecret(name, value),
    });
    this.restoreShell = undefined;
    this.shell = opened;
    // The size the faces asked for while it started.
    if (this.size !== size) opened.resize(this.size.cols, this.size.rows);
    this.shellOff = opened.onEvent((event) => {
      if (event.type === 'shell-reset') {
        // The operator must know that cd/export/functions from earlier steps may be gone.
        const line = `[stepgate] ${deps.secrets.redact(event.reason)}`;
        this.emit(`${line}\r\n`);
        deps.setError(line);
        const reset: SessionEvent = { type: 'shell-reset', at: deps.clock.now(), cause: 'shell-ended', reason: event.reason };
        if (event.restored) reset.restored = event.restored;
        void deps.dispatch(reset).catch((error: unknown) => deps.fail(`cannot journal the shell reset: ${String(error)}`));
        return;
      }

      const clean = this.lineRedactor ? this.lineRedactor.push(event.data) : deps.secrets.redact(event.data);
      if (clean !== '') this.emit(clean);
      this.keep(clean);
      this.notePrompt(clean);
      this.noteOutput(event.data.length);
      this.scheduleScreen();
    });
    return opened;
  }

  /**
   * A value the shell exports under a secret-looking name joins the secrets: from this status
   * report on it is hidden on the screen, in transcripts, the journal and stdout. Said once per
   * new value, so the operator knows why it shows as [REDACTED].
   */
  private learnSecret(name: string, value: string): void {
    const { secrets } = this.deps;
    if (secrets.has(value) || value.length < MIN_SECRET_LENGTH) return;
    secrets.add(value);
    this.emit(`[stepgate] ${name} looks secret: its value is redacted from here on\r\n`);
  }

  /** Output for the running step's transcript and the listeners (already redacted). */
  emit(text: string): void {
    this.currentSink?.write(text);
    for (const listener of this.outputListeners) listener(text);
  }

  /** A line for the listeners only (not a step's transcript). */
  tell(text: string): void {
    for (const listener of this.outputListeners) listener(text);
  }

  onOutput(listener: (text: string) => void): () => void {
    this.outputListeners.add(listener);
    return () => this.outputListeners.delete(listener);
  }

  /**
   * A step's output goes to `sink` from now on, redacted line by line; with `capture`, it is
   * also kept (up to a bound) for `endStep` to return.
   */
  beginStep(sink: { write(text: string): void }, capture = false): void {
    this.currentSink = sink;
    this.holdInput = true;
    this.lineRedactor = new StreamRedactor(this.deps.secrets);
    this.captured = capture ? '' : undefined;
  }

  /**
   * The step ended: what the line redactor held back goes out (when `flush`), then nowhere.
   * Returns what a capturing step printed.
   */
  endStep(flush = true): string | undefined {
    this.quietPrompt();
    this.promptTail = '';
    const rest = flush ? (this.lineRedactor?.flush() ?? '') : '';
    if (rest !== '') this.emit(rest);
    this.keep(rest);
    const printed = this.captured;
    this.holdInput = false;
    this.typedAhead = '';
    this.currentSink = undefined;
    this.lineRedactor = undefined;
    this.captured = undefined;
    return printed;
  }

  /**
   * Output of the running step: a line that looks like a question, then quiet, is said
   * (PROMPT_QUIET_MS). On the pty's data path: a chunk only keeps the line's tail and the time;
   * one timer, armed while a line is unfinished, judges the tail once the output is quiet.
   */
  private notePrompt(text: string): void {
    if (this.currentSink === undefined || text === '') return;
    if (this.waitingSaid) this.quietPrompt();
    const end = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
    this.promptTail = (end >= 0 ? '' : this.promptTail) + text.slice(end + 1);
    if (this.promptTail.length > 512) this.promptTail = this.promptTail.slice(-512);
    this.promptAt = Date.now();
    if (this.promptTail !== '' && this.promptTimer === undefined) this.armPrompt(PROMPT_QUIET_MS);
  }

  private armPrompt(ms: number): void {
    this.promptTimer = setTimeout(() => {
      this.promptTimer = undefined;
      if (this.currentSink === undefined || this.promptTail === '') return;
      const quiet = Date.now() - this.promptAt;
      if (quiet < PROMPT_QUIET_MS) return this.armPrompt(PROMPT_QUIET_MS - quiet);
      // As stepgate's own lines show a step's words: no escapes, controls (C1 too) or bidi overrides.
      const shown = displayText(this.promptTail).replace(/[\t\n]/g, ' ').trim();
      if (shown === '' || !PROMPT_LIKE.test(shown)) return;
      this.waitingSaid = true;
      this.deps.setWaiting(shown.length > 120 ? `…${shown.slice(-119)}` : shown);
    }, ms);
    this.promptTimer.unref?.();
  }

  /** The step went on (output, keys) or ended: no longer said to wait. */
  private quietPrompt(): void {
    if (this.promptTimer !== undefined) clearTimeout(this.promptTimer);
    this.promptTimer = undefined;
    if (this.waitingSaid) {
      this.waitingSaid = false;
      this.deps.setWaiting(undefined);
    }
  }

  private keep(text: string): void {
    // Four times the longest value: enough to say how long it was, never unbounded.
    if (this.captured !== undefined && this.captured.length <= MAX_CAPTURE * 4) this.captured += text;
  }

  private noteOutput(bytes: number): void {
    const now = Date.now();
    if (now - this.burst.last > FLOOD_QUIET_MS) this.burst = { since: now, last: now, bytes: 0 };
    this.burst.last = now;
    this.burst.bytes += bytes;
  }

  private flooding(): boolean {
    const { since, last, bytes } = this.burst;
    return Date.now() - last <= FLOOD_QUIET_MS && last - since >= FLOOD_AFTER_MS && bytes >= FLOOD_BYTES;
  }

  /** The least time between two screens: longer while a flood goes on. */
  private screenInterval(): number {
    return this.flooding() ? this.deps.screenIntervalMs * FLOOD_SLOWER : this.deps.screenIntervalMs;
  }

  /**
   * Push the screen to the store now. The frames of a flood (`whole` false) carry only the
   * last FLOOD_TAIL_SCREENS screenfuls: the pane shows the tail, lines that scroll by at that
   * rate are not read, and building the whole scrollback as strings every frame was most of
   * the TUI's memory in a flood (issue 14). The whole screen follows once the output pauses.
   */
  refreshScreen(whole = true): void {
    if (!this.shell || !this.deps.screen) return;
    const tail = whole || !this.flooding() ? undefined : this.size.rows * FLOOD_TAIL_SCREENS;
    this.deps.setScreen(this.shell.screen(tail));
    if (tail !== undefined) this.wholeAfterFlood();
  }

  /** After a flood's tail-only frames: the whole screen, once the output paused and the emulator caught up. */
  private wholeAfterFlood(): void {
    if (this.wholeTimer !== undefined) return;
    this.wholeTimer = setTimeout(() => {
      this.wholeTimer = undefined;
      if (this.flooding()) return this.wholeAfterFlood();
      void this.shell?.screenSettled?.().then(() => this.refreshScreen());
    }, FLOOD_QUIET_MS * 2);
  }

  /**
   * At most one snapshot per interval, plus one trailing snapshot after the output stops: the
   * headless terminal parses writes asynchronously, so a snapshot taken right after the last
   * chunk (a `read -p` prompt with no newline) can miss it, and no later output would fix that.
   */
  private scheduleScreen(trailing = false): void {
    if (this.screenTimer !== undefined || !this.shell || !this.deps.screen) return;
    const interval = this.screenInterval();
    const wait = Math.max(trailing ? Math.max(16, interval) : 0, this.lastScreenAt + interval - Date.now());
    this.screenTimer = setTimeout(() => {
      this.screenTimer = undefined;
      this.lastScreenAt = Date.now();
      this.refreshScreen(false);
      if (!trailing) this.scheduleScreen(true);
      // The trailing snapshot is the last one until more output comes: taken once the emulator
      // has caught up, or a prompt without a newline (`read -p`) held or still being parsed
      // under load would never show (seen: "(no output yet)" for a minute at a `read -p`).
      else void this.shell?.screenSettled?.().then(() => this.refreshScreen(false));
    }, wait);
  }

  write(data: string): void {
    // Keys answer what it waits for (a password is not echoed: no output would clear it).
    this.quietPrompt();
    if (this.holdInput) this.typeAhead(data);
    else this.shell?.write(data);
  }

  /** Keys for the step about to run (see `typedAhead`); bounded like a paste. */
  typeAhead(data: string): void {
    if (this.typedAhead.length < 64 * 1024) this.typedAhead += data;
  }

  /** The step's run has begun in `sh` (its shell holds keys until it has a process): the held keys go to it. */
  releaseInput(sh: Shell): void {
    this.holdInput = false;
    if (this.typedAhead !== '') sh.write(this.typedAhead);
    this.typedAhead = '';
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    this.shell?.resize(cols, rows);
  }

  async close(): Promise<void> {
    // One started ahead of a step is closed like any other, once it is up.
    const opening = this.opening;
    this.opening = undefined;
    if (opening) await opening.catch(() => undefined);
    const s = this.shell;
    this.shell = undefined;
    this.shellOff?.();
    this.shellOff = undefined;
    if (this.screenTimer !== undefined) clearTimeout(this.screenTimer);
    this.screenTimer = undefined;
    if (this.wholeTimer !== undefined) clearTimeout(this.wholeTimer);
    this.wholeTimer = undefined;
    this.quietPrompt();
    if (s) {
      const done = s.close();
      this.closing = Promise.all([this.closing, done.catch(() => undefined)]).then(() => undefined);
      await done;
    }
    await this.closing;
  }

  /**
   * Keeps the shell's cwd and exports on disk for a resume after a crash. Trouble here is a
   * warning (once): it costs a resume its shell state, never a step.
   */
  async keepState(): Promise<void> {
    const { deps } = this;
    if (!this.shell?.snapshot || !deps.journal.saveShell) return;
    try {
      const snapshot = await this.shell.snapshot();
      if (!snapshot) return;
      const kept = withoutSecrets(snapshot, deps.secrets);
      const text = JSON.stringify(kept);
      if (text === this.keptShell) return;
      await deps.journal.saveShell(kept);
      this.keptShell = text;
    } catch (error) {
      if (this.shellStateWarned) return;
      this.shellStateWarned = true;
      const line = `[stepgate] warning: the shell's state cannot be kept for a resume (${describeError(error)}); a resume would start from a fresh shell`;
      this.emit(`${deps.secrets.redact(line)}\r\n`);
    }
  }

  /** The session ended: nothing will resume it, so its kept shell state goes. */
  forgetState(): Promise<void> {
    this.keptShell = '';
    this.forgetting = (async () => {
      await this.deps.journal.removeShell?.().catch((error: unknown) => this.deps.fail(`cannot remove the kept shell state: ${String(error)}`));
    })();
    return this.forgetting;
  }

  /** Resolves once a kept state being removed is gone. */
  forgotten(): Promise<void> {
    return this.forgetting;
  }

  /**
   * On resume the earlier process's shell is gone: the next one starts from the state kept
   * after its last step, when steps still run as the user that state belongs to. Journaled as
   * a `shell-reset` when a step first uses that shell (a resumed session that runs nothing
   * replaces none).
   */
  async takeOver(ended: boolean, shellUser: string | undefined, report: ResumeReport): Promise<void> {
    if (ended) {
      await this.forgetState();
      return;
    }
    const kept = await this.deps.journal.loadShell?.().catch(() => undefined);
    const user = shellUser ?? currentUser();
    const end = 'stepgate was resumed: the shell of the earlier process ended with it';
    if (kept && kept.user === user) {
      this.restoreShell = kept;
      this.keptShell = JSON.stringify(kept);
      report.shell = restoredFrom(kept);
      this.resumedReset = { type: 'shell-reset', at: 0, cause: 'resumed', reason: `${end}; a new shell starts from the state kept after the last step`, restored: report.shell };
    } else if (kept) {
      report.shellNotRestored = `the kept shell state is ${kept.user}'s and steps now run as ${user ?? 'another user'}`;
      this.resumedReset = { type: 'shell-reset', at: 0, cause: 'resumed', reason: `${end}; ${report.shellNotRestored}, so nothing was restored` };
    } else {
      this.resumedReset = { type: 'shell-reset', at: 0, cause: 'resumed', reason: `${end}; no shell state was kept, so nothing was restored` };
    }
  }
}

/** The OS user stepgate runs as, if it has a name (a uid without a passwd entry has none). */
function currentUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
