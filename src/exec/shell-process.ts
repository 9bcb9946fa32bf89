/**
 * One bash in one pty, as the target user. Commands go in through a private FIFO (never
 * echoed); the step's stdin, stdout and stderr are the pty. Each step ends with a marker
 * carrying its status; the marker is cut out of the output before anyone sees it.
 */
import { closeSync, lstatSync, writeFileSync, writeSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import type { IPty } from 'node-pty';
import { NO_PAGERS, configLines, rcScript, stepCommand, stepFile } from './rc-script.js';
import { SavedStateReader, newShellDir, prepareShellDir, randomFileName, removeDirsSync, removeUserDir, removeUserDirSync, type SavedState } from './shell-dirs.js';
import { ShellStartError, shellExit } from './shell-process-types.js';
import type { ShellExit, ShellProcessOptions, StepEnd, StepStop } from './shell-process-types.js';
import { unquoteShell } from './shell-quote.js';
import { MarkerScanner } from './marker.js';
import type { Marker } from './marker.js';
import { groupAlive, killOnExit, readProcStat, signalAll, signalAllSync, sleep, sleepSync } from './processes.js';
import { spawnLoginBash } from './login-bash.js';
import { guardShell, type OrphanGuard } from './orphan-guard.js';
import { loginDoneByWrapper } from './run-as.js';
import { watchMissedInterrupt, type MissedInterruptWatch } from './missed-interrupt.js';
import type { RunAs } from './run-as.js';

// The types are exec's to import from here as before; they live in shell-process-types.ts.
export { ShellStartError, removeUserDir };
export type { ShellExit, ShellProcessOptions, StepEnd, StepStop };

const PRE_READY_LIMIT = 8192;
const READY_TIMEOUT_MS = 30_000;
/** How often, after a ctrl-c, the terminal's foreground is looked at for a command that missed it (a /proc read or two). */
const MISSED_INTERRUPT_POLL_MS = 20;

export class ShellProcess {
  readonly runAs: RunAs;
  /** Directory where a successor can restore this shell's cwd and exports (owned by the user). */
  stateDir = '';
  bashPid = 0;
  exited: ShellExit | undefined;
  /** The directory of a typed `restore` could not be entered (gone since); the shell went to `cwd`. */
  restoredCwdFailed = false;

  private opts: ShellProcessOptions;
  private readonly nonce = randomBytes(16).toString('hex');
  private readonly scanner = new MarkerScanner(this.nonce);
  private readonly dir: string;
  private fifoFd = -1;
  private fifoOpen: Promise<number> | undefined;
  private fifoPath = '';
  private term: IPty | undefined;
  private ready = false;
  private preReady = '';
  private exitMarkerStatus: number | null = null;
  /** The step sent to bash: `started` once its file began (its `s` marker), `onStart` then run once. */
  private waitingStep: { id: number; resolve: (end: StepEnd) => void; started: boolean; onStart?: () => void } | undefined;
  private readyWaiter: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private exitWaiters: Array<() => void> = [];
  private unregisterExitKill: (() => void) | undefined;
  private closing = false;
  /** Through runuser: hangs the shell up if this process dies (orphan-guard.ts). */
  private guard: OrphanGuard | undefined;
  private cwdFailed = false;
  private configSent = false;
  /** The shell asked for its setup (its `c` marker) before it had a session to be set up for. */
  private configAsked = false;
  /** The shell reported its setup done (its `r` marker, with its pid and state directory). */
  private setupReported = false;
  /** Started by `prewarm`, not yet given its session (`adopt`). */
  private waitingForSession = false;
  /** Moves when the shell's saved state changed (reported with each status marker). */
  private savedVersion = 0;
  private readonly saved: SavedStateReader;
  /** A secret's value told so far, in pieces (see SECRET_PIECE), by name. */
  private secretPieces = new Map<string, string>();

  private constructor(opts: ShellProcessOptions) {
    this.opts = opts;
    this.runAs = opts.runAs;
    this.dir = newShellDir();
    this.saved = new SavedStateReader(opts.runAs);
  }

  /** Start the shell and wait until it is ready for its first step. */
  static async start(opts: ShellProcessOptions): Promise<ShellProcess> {
    const shell = new ShellProcess(opts);
    try {
      shell.spawnBash();
      await shell.untilReady();
    } catch (err) {
      await shell.close(0);
      await shell.removeState();
      throw err;
    }
    return shell;
  }

  /**
   * Starts a shell before its session is known: bash and the user's startup files (the slow
   * part of a login) run while stepgate does its own work, up to where the shell waits for its
   * setup, typed with `adopt`. Its rcfile holds nothing of a session (see BootstrapOptions).
   * Close it if it is not adopted. Nothing it prints before is shown: a session's faces get
   * what the shell says once ready, as with `start`.
   */
  static prewarm(base: Pick<ShellProcessOptions, 'runAs' | 'cols' | 'rows'>): ShellProcess {
    const shell = new ShellProcess({ ...base, onText: () => undefined });
    shell.waitingForSession = true;
    try {
      shell.spawnBash();
    } catch (err) {
      void shell.close(0).then(() => shell.removeState());
      throw err;
    }
    return shell;
  }

  /**
   * Gives a prewarmed shell its session (every option but the user, which it was started as)
   * and waits until it is ready, as `start` would. On failure the shell is closed and removed.
   */
  async adopt(opts: ShellProcessOptions): Promise<ShellProcess> {
    if (!this.waitingForSession) throw new Error('adopt: this shell is not waiting for a session');
    if (opts.runAs.user !== this.runAs.user || opts.runAs.mode !== this.runAs.mode) throw new Error(`adopt: the shell runs as ${this.runAs.user}, not ${opts.runAs.user}`);
    this.waitingForSession = false;
    this.opts = { ...opts, runAs: this.runAs };
    try {
      if (this.exited) throw new ShellStartError(`the shell as ${this.runAs.user} ended before it was ready (status ${this.exited.code})${this.preReady.trim() ? `: ${this.preReady.trim()}` : ''}`);
      if (opts.cols !== this.startSize.cols || opts.rows !== this.startSize.rows) this.resize(opts.cols, opts.rows);
      const ready = this.untilReady();
      if (this.configAsked) this.sendConfig();
      await ready;
    } catch (err) {
      await this.close(0);
      await this.removeState();
      throw err;
    }
    return this;
  }

  /** Whether this shell was prewarmed and still waits for its session (and has not ended). */
  get waiting(): boolean {
    return this.waitingForSession && this.exited === undefined;
  }

  private readonly startSize = { cols: 0, rows: 0 };

  private spawnBash(): void {
    const { runAs } = this.opts;
    const rc = rcScript({
      nonce: this.nonce,
      login: runAs.mode !== 'self' && !loginDoneByWrapper(runAs),
      ...(this.opts.restoreFrom !== undefined ? { restoreFrom: this.opts.restoreFrom } : {}),
      ownerPid: process.pid,
    });
    const { rcPath, fifoPath, fifoFd } = prepareShellDir(this.dir, runAs, rc);
    this.fifoPath = fifoPath;
    this.fifoOpen = fifoFd.then((fd) => (this.fifoFd = fd));
    this.fifoOpen.catch(() => undefined); // handled where the shell asks for its setup

    const term = spawnLoginBash(runAs, rcPath, this.opts.cols, this.opts.rows);
    this.startSize.cols = this.opts.cols;
    this.startSize.rows = this.opts.rows;
    this.term = term;
    this.unregisterExitKill = killOnExit(() => this.killSync());
    term.onData((data) => this.handleData(data));
    term.onExit(({ exitCode, signal }) => this.handleExit(exitCode, signal));
  }

  private untilReady(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const late = new ShellStartError(`the shell as ${this.runAs.user} did not become ready within ${READY_TIMEOUT_MS / 1000}s`);
      const timer = setTimeout(() => reject(late), READY_TIMEOUT_MS);
      this.readyWaiter = { resolve: () => { clearTimeout(timer); resolve(); }, reject: (err) => { clearTimeout(timer); reject(err); } };
    });
  }

  /** Types the shell's setup: its FIFO, once made, then the session's directory, environment and secret names. */
  private sendConfig(): void {
    this.configSent = true;
    const { opts } = this;
    void this.fifoOpen?.then(
      () =>
        this.term?.write(
          configLines(this.fifoPath, { ...NO_PAGERS, ...opts.env }, opts.restore, {
            ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
            sessionEnvNames: Object.keys(opts.env ?? {}),
            secretEnvNames: opts.secretEnvNames ?? [],
          }),
        ),
      (err: Error & { stderr?: string }) => this.readyWaiter?.reject(new ShellStartError(`cannot make the shell's command FIFO: ${err.stderr?.trim() || err.message}`)),
    );
  }

  private handleData(data: string): void {
    for (const item of this.scanner.feed(data)) {
      if (item.type === 'text') {
        // Once closing, whatever the dying processes print is not the operator's business.
        if (this.ready && !this.closing) this.opts.onText(item.text, this);
        else if (this.preReady.length < PRE_READY_LIMIT) this.preReady += item.text;
      } else {
        this.handleMarker(item.marker);
      }
    }
  }

  private handleMarker(marker: Marker): void {
    const [a = '', b = '', c = '', d = ''] = marker.fields;
    switch (marker.kind) {
      case 'c':
        // The shell waits, echo off, for its FIFO path and environment: once. Asked again, it is
        // a step that forged the marker, and the lines would be typed, echoed, at that step.
        if (this.configSent || this.configAsked || this.ready) break;
        // Its pid, so that a shell closed before it is set up is hung up at once (the 'r' marker
        // says it again): through runuser the pty's own process is runuser, which takes seconds.
        if (this.startedHere(Number(a))) this.bashPid = Number(a);
        // The FIFO is made while the shell starts; the setup lines lead the shell to open it. A
        // prewarmed shell waits, echo off, until it is adopted.
        if (this.waitingForSession) this.configAsked = true;
        else this.sendConfig();
        break;
      case 'r':
        // Said once, after the setup lines and before the first status. Any other is forged
        // (the nonce is in the shell's own functions, which a step can print): through runuser
        // this directory is read and removed by root.
        if (!this.configSent || this.ready || this.stateDir !== '') break;
        // The startup files can print markers too (the nonce is in the rcfile they can read):
        // a pid that is not this terminal's shell is not signalled (and a directory that is not
        // the user's is not removed: see killSync).
        if (!this.startedHere(Number(a))) break;
        this.setupReported = true;
        this.bashPid = Number(a);
        if (this.runAs.mode === 'runuser') this.guard = guardShell(this.bashPid);
        this.stateDir = b;
        this.cwdFailed = c === '1';
        this.restoredCwdFailed = d === '1';
        break;
      case 'd': {
        const id = Number(a);
        const status = Number(b);
        this.savedVersion = Number(c) || this.savedVersion;
        // Ready only after the setup said so (`r`): a `d` the startup files print is not.
        if (!this.ready && id === 0 && this.setupReported) {
          this.ready = true;
          if (this.cwdFailed) {
            const said = this.preReady.trim().split('\n').pop() ?? '';
            this.readyWaiter?.reject(
              new ShellStartError(`cannot start the shell as ${this.runAs.user} in ${this.opts.cwd ?? '?'}: ${said}`),
            );
            this.readyWaiter = undefined;
            return;
          }
          this.readyWaiter?.resolve();
          this.readyWaiter = undefined;
        } else if (this.waitingStep && this.waitingStep.id === id) {
          const waiting = this.waitingStep;
          this.waitingStep = undefined;
          waiting.resolve({ kind: 'done', status });
        }
        break;
      }
      case 's': {
        const step = this.waitingStep;
        if (!step || step.id !== Number(a) || step.started) break;
        step.started = true;
        const onStart = step.onStart;
        step.onStart = undefined;
        onStart?.();
        break;
      }
      case 'k': {
        // Forged, it only hides more: a step can already print anything.
        if (!this.configSent || this.closing) break;
        const text = (this.secretPieces.get(a) ?? '') + marker.fields.slice(2).join(';');
        if (b === '1' && text.length < 256 * 1024) this.secretPieces.set(a, text);
        else {
          this.secretPieces.delete(a);
          this.opts.onSecret?.(a, unquoteShell(text));
        }
        break;
      }
      case 'x':
        this.exitMarkerStatus = Number(b);
        this.savedVersion = Number(c) || this.savedVersion;
        break;
      default:
        break;
    }
  }

  /** Whether `pid` is a process of this shell's terminal: the pty's own process or one it started. */
  private startedHere(pid: number): boolean {
    const top = this.term?.pid;
    if (!Number.isSafeInteger(pid) || pid <= 0 || top === undefined) return false;
    let at = pid;
    for (let hops = 0; hops < 6 && at > 1; hops++) {
      if (at === top) return true;
      const stat = readProcStat(at);
      // Hidden by /proc's hidepid through sudo: not a process of ours, so it is signalled
      // only through `sudo -u USER kill`, as that user (see signalAll).
      if (!stat) return hops === 0 && this.runAs.mode === 'sudo';
      at = stat.ppid;
    }
    return false;
  }

  private handleExit(code: number, signal?: number): void {
    // node-pty waits for the pty to drain before reporting the exit; flush what the scanner held.
    const rest = this.scanner.flush();
    if (rest && this.ready && !this.closing) this.opts.onText(rest, this);
    const exit = shellExit(code, signal, this.exitMarkerStatus);
    this.exited = exit;
    this.guard?.release();
    this.unregisterExitKill?.();
    if (this.readyWaiter) {
      const said = this.preReady.replace(/\s+$/, '');
      this.readyWaiter.reject(
        new ShellStartError(
          `the shell as ${this.runAs.user} ended before it was ready (status ${code}${signal ? `, signal ${signal}` : ''})` +
            (said ? `: ${said}` : ''),
        ),
      );
      this.readyWaiter = undefined;
    }
    if (this.waitingStep) {
      const waiting = this.waitingStep;
      this.waitingStep = undefined;
      waiting.resolve({ kind: 'exited', exit });
    }
    this.opts.onExit?.(exit, this);
    for (const fn of this.exitWaiters.splice(0)) fn();
  }

  get alive(): boolean {
    return this.exited === undefined;
  }

  /** Run one step; resolves when its marker arrives or the shell ends. */
  async run(id: number, script: string, opts: { cwd?: string; env?: Record<string, string>; stdin?: 'terminal' | 'none' }): Promise<StepEnd> {
    if (this.exited) return { kind: 'exited', exit: this.exited };
    if (this.waitingStep) throw new Error('a step is already running in this shell');
    const file = path.join(this.dir, randomFileName('step'));
    // Readable by the user in stepgate's own directory (see prepareShellDir); never an existing name.
    writeFileSync(file, stepFile(script), { mode: this.runAs.mode === 'self' ? 0o600 : 0o644, flag: 'wx' });
    const line = stepCommand(id, file, opts);
    const end = new Promise<StepEnd>((resolve) => {
      this.waitingStep = { id, resolve, started: false };
    });
    writeSync(this.fifoFd, line);
    try {
      return await end;
    } finally {
      rm(file, { force: true }).catch(() => undefined);
    }
  }

  write(data: string): void {
    if (this.alive) this.term?.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.alive) this.term?.resize(cols, rows);
  }

  pause(): void {
    this.term?.pause();
  }

  resume(): void {
    this.term?.resume();
  }

  /** The process group holding the terminal, when it is not the shell itself. */
  foregroundGroup(): number | undefined {
    if (!this.bashPid) return undefined;
    const stat = readProcStat(this.bashPid);
    if (!stat || stat.tpgid <= 0 || stat.tpgid === stat.pgrp) return undefined;
    return stat.tpgid;
  }

  async signalForeground(signal: NodeJS.Signals): Promise<void> {
    const group = this.foregroundGroup();
    if (group) await signalAll([-group], signal, this.runAs);
  }

  async signalShell(signal: NodeJS.Signals): Promise<void> {
    if (this.bashPid && this.alive) await signalAll([this.bashPid], signal, this.runAs);
  }

  /**
   * Ctrl-C to the running step, wherever it is: the ^C goes to the command holding the
   * terminal, as typed, and for `forMs` a command that takes the terminal without having got
   * the SIGINT that would have ended it is sent it (a ^C landing between two commands is lost:
   * see missed-interrupt.ts). bash itself is not signalled: a SIGINT that met it while it
   * printed the step's status would end the step with no status at all. Before bash has begun
   * the step (its `s` marker), the ctrl-c waits: at bash's prompt it throws away the step's
   * command line, and the step neither ran nor reported. `cancel()` when the step has ended.
   */
  interrupt(forMs: number): MissedInterruptWatch {
    const step = this.waitingStep;
    if (step === undefined || step.started) return this.interruptNow(forMs);
    let watch: MissedInterruptWatch | undefined;
    let cancelled = false;
    step.onStart = () => {
      if (!cancelled) watch = this.interruptNow(forMs);
    };
    return {
      cancel: () => {
        cancelled = true;
        watch?.cancel();
      },
    };
  }

  private interruptNow(forMs: number): MissedInterruptWatch {
    this.write('\u0003');
    return watchMissedInterrupt({ foreground: () => this.foregroundGroup(), send: (group) => signalAll([-group], 'SIGINT', this.runAs), everyMs: MISSED_INTERRUPT_POLL_MS, forMs });
  }

  /**
   * Stop the running step as an operator would, then harder: Ctrl-C now (`interrupt`); after
   * `graceMs` SIGTERM to the terminal's foreground group (and SIGINT to bash, so a sourced
   * loop stops); after another `graceMs` SIGKILL to that group; after a third, SIGKILL to the
   * shell itself (the next step then gets a fresh one). `cancel()` when the step has ended.
   */
  stopStep(graceMs: number): StepStop {
    const interrupting = this.interrupt(graceMs);
    let shellKilled = false;
    const rounds: Array<() => Promise<void>> = [
      async () => {
        await this.signalForeground('SIGTERM');
        await this.signalShell('SIGINT');
      },
      async () => {
        await this.signalForeground('SIGKILL');
        await this.signalShell('SIGINT');
      },
      async () => {
        shellKilled = true;
        await this.signalShell('SIGKILL');
      },
    ];
    const timers = rounds.map((round, i) => setTimeout(() => void round().catch(() => undefined), graceMs * (i + 1)));
    return {
      cancel: () => {
        interrupting.cancel();
        for (const t of timers) clearTimeout(t);
      },
      shellKilled: () => shellKilled,
    };
  }

  /**
   * stepgate is exiting without closing: what a terminal hang-up does, synchronously. The
   * foreground step is stopped; the shell gets SIGHUP, and its trap passes it on to its jobs
   * (not to disowned ones); nohup'd and setsid'd processes keep running.
   */
  private killSync(): void {
    const group = this.foregroundGroup();
    if (group) {
      signalAllSync([-group], 'SIGTERM', this.runAs);
      // Polled, not slept: most steps end at once, and stepgate's exit waits on this.
      for (let waited = 0; waited < 100 && groupAlive(group); waited += 5) sleepSync(5);
      signalAllSync([-group], 'SIGKILL', this.runAs);
    }
    if (this.bashPid && this.alive) {
      signalAllSync([this.bashPid], 'SIGHUP', this.runAs);
      for (let waited = 0; waited < 300 && this.bashAlive(); waited += 5) sleepSync(5);
      if (this.bashAlive()) signalAllSync([this.bashPid], 'SIGKILL', this.runAs);
    }
    // The state directory may hold exported secrets: removed as its user (its path is the
    // shell's word, which that user's startup files can bend).
    removeDirsSync([this.dir]);
    if (this.stateDir.startsWith('/') && ownedBy(this.stateDir, this.runAs.uid)) removeUserDirSync(this.stateDir, this.runAs);
  }

  /** bash itself, read from /proc (the pty's exit event cannot arrive in a synchronous wait). */
  private bashAlive(): boolean {
    const stat = this.bashPid ? readProcStat(this.bashPid) : undefined;
    return stat !== undefined && stat.state !== 'Z';
  }

  waitExit(timeoutMs: number): Promise<boolean> {
    if (this.exited || !this.term) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /**
   * End the shell the way a terminal hang-up ends a login shell: a step still running in the
   * foreground is stopped (SIGTERM, SIGKILL after `graceMs`); then the shell gets SIGHUP, and
   * its trap hangs up its jobs as bash does (`cmd &` ends, unless it ignores SIGHUP); `nohup`,
   * `disown`ed and `setsid` processes keep running, which is what redeploy scripts rely on.
   */
  async close(graceMs = 1000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    if (this.term) {
      const group = this.foregroundGroup();
      if (group) {
        await signalAll([-group], 'SIGTERM', this.runAs);
        const deadline = Date.now() + graceMs;
        while (this.foregroundGroup() === group && Date.now() < deadline) await sleep(25);
        await signalAll([-group], 'SIGKILL', this.runAs);
      }
      // While a step runs its shell has no hang-up trap (it must end at once then: __sg_pre), and
      // bash's own hang-up leaves the jobs of a sourced step running. The step's end is reported
      // once the trap is back (__sg_done): a hang-up before that left a job behind, one close in
      // six at load 2 (shell.test.ts's hang-up test).
      const settled = Date.now() + graceMs;
      while (this.waitingStep !== undefined && this.bashAlive() && Date.now() < settled) await sleep(25);
      // Closed while the user's startup files still run (a run that preflight stopped, a resume
      // that stopped at once), the shell has not said its pid yet and the hang-up would reach
      // nobody: the wait below ran out and the shell was killed, 5 s of the operator's time and
      // no exit trap. Its pid comes with its first marker (`c`), once the login is through; a
      // `c` that named another pid (forged by the startup files) is not waited on again.
      const told = Date.now() + Math.max(graceMs, 500) + 4500;
      while (this.bashPid === 0 && !this.configAsked && !this.configSent && this.alive && Date.now() < told) await sleep(10);
      await this.signalShell('SIGHUP');
      // Killed before its trap has run, the shell's jobs outlive it (orphans of init): at load
      // 5 to 6 on two cores, 2.5 s was too short for bash to reap the stopped step and hang up
      // its jobs (shell.test.ts's hang-up test, once in a README run beside a CI run). A shell
      // that handles the hang-up is gone in milliseconds; this is only the stuck one's wait.
      // One deadline with the wait for the pid above: a login that hangs is not waited for twice
      // (a review's `sleep 20` profile took 12 s to close), and a shell hung up late still gets 1 s.
      if (!(await this.waitExit(Math.max(1000, told - Date.now())))) {
        // The shell ignores the hang-up (its trap is stuck): only the shell is killed, never its jobs.
        if (this.bashPid) await signalAll([this.bashPid], 'SIGKILL', this.runAs);
        if (!(await this.waitExit(1000))) {
          try {
            this.term.kill('SIGKILL');
          } catch {
            // Already gone.
          }
          await this.waitExit(1000);
        }
      }
    }
    this.unregisterExitKill?.();
    await this.fifoOpen?.catch(() => undefined);
    if (this.fifoFd >= 0) closeSync(this.fifoFd);
    this.fifoFd = -1;
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * The cwd and exports this shell saved after its last step (also after it ended, until
   * `removeState`). Through sudo the files are the target user's, so they are read as that user.
   */
  async readSaved(): Promise<SavedState | undefined> {
    if (!this.stateDir.startsWith('/')) return undefined;
    return this.saved.read(this.stateDir, this.savedVersion);
  }

  /** Remove this shell's state directory (owned by the target user). */
  async removeState(): Promise<void> {
    if (!this.stateDir.startsWith('/')) return;
    await removeUserDir(this.stateDir, this.runAs);
  }
}


/** A directory (not a link) of that uid: what the exit hook may remove as this process. */
function ownedBy(dir: string, uid: number): boolean {
  try {
    const st = lstatSync(dir);
    return st.isDirectory() && st.uid === uid;
  } catch {
    return false;
  }
}
