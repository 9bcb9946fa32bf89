/**
 * One bash in one pty, as the target user. Commands go in through a private FIFO (never
 * echoed); the step's stdin, stdout and stderr are the pty. Each step ends with a marker
 * carrying its status; the marker is cut out of the output before anyone sees it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { chmod, chown, lstat, open, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import pty from 'node-pty';
import type { IPty } from 'node-pty';
import { configLines, rcScript, stepCommand, stepFile } from './rc-script.js';
import type { TypedRestore } from './rc-script.js';
import { parseSavedExports } from './saved-exports.js';
import { unquoteShell } from './shell-quote.js';
import type { SavedExport } from './saved-exports.js';
import { MarkerScanner } from './marker.js';
import type { Marker } from './marker.js';
import { killOnExit, readProcStat, signalAll, signalAllSync, signalName, sleep, sleepSync } from './processes.js';
import { asUser, loginDoneByWrapper, targetUserEnv } from './run-as.js';
import type { RunAs } from './run-as.js';

const execFileAsync = promisify(execFile);

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

const PRE_READY_LIMIT = 8192;
const READY_TIMEOUT_MS = 30_000;
/**
 * Given to every shell before the session env (which may set them otherwise): steps run on a
 * terminal, where git, systemctl, journalctl and the AWS CLI would open a pager and wait for a
 * key in the middle of a step. `cat` (empty for AWS) is each tool's way of saying no pager.
 */
const NO_PAGERS: Readonly<Record<string, string>> = { PAGER: 'cat', GIT_PAGER: 'cat', SYSTEMD_PAGER: 'cat', AWS_PAGER: '' };

/** Session directories are named after the stepgate process that owns them. */
const DIR_PREFIX = 'stepgate-sh-';

/** Set once the sweep has run: leftovers predate this process, so one look at start-up is enough. */
let swept = false;

/**
 * Remove session directories left by a stepgate that was killed outright (no exit hook ran):
 * those whose owner pid is gone. Directories of other users fail to remove and stay. Runs
 * once per process (reading all of the temp directory on every shell start would be waste).
 */
function sweepStaleDirs(): void {
  if (swept) return;
  swept = true;
  let names: string[];
  try {
    names = readdirSync(os.tmpdir());
  } catch {
    return;
  }
  for (const name of names) {
    // Its shells' state directories too (cwd and exports: a copy of a secret under another name).
    const pid = Number(/^(?:stepgate-sh-|stepgate-state-)(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    try {
      rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
    } catch {
      // Not ours to remove.
    }
  }
}

function randomName(): string {
  return randomBytes(12).toString('hex');
}

export class ShellProcess {
  readonly runAs: RunAs;
  /** Directory where a successor can restore this shell's cwd and exports (owned by the user). */
  stateDir = '';
  bashPid = 0;
  exited: ShellExit | undefined;
  /** The directory of a typed `restore` could not be entered (gone since); the shell went to `cwd`. */
  restoredCwdFailed = false;

  private readonly opts: ShellProcessOptions;
  private readonly nonce = randomBytes(16).toString('hex');
  private readonly scanner = new MarkerScanner(this.nonce);
  private readonly dir: string;
  private fifoFd = -1;
  private fifoPath = '';
  private term: IPty | undefined;
  private ready = false;
  private preReady = '';
  private exitMarkerStatus: number | null = null;
  private waitingStep: { id: number; resolve: (end: StepEnd) => void } | undefined;
  private readyWaiter: { resolve: () => void; reject: (err: Error) => void } | undefined;
  private exitWaiters: Array<() => void> = [];
  private unregisterExitKill: (() => void) | undefined;
  private closing = false;
  private cwdFailed = false;
  private configSent = false;
  private baseline: SavedExport[] | undefined;
  /** Moves when the shell's saved state changed (reported with each status marker). */
  private savedVersion = 0;
  private lastRead: { version: number; saved: { cwd?: string; exports: SavedExport[]; base: SavedExport[] } } | undefined;
  /** A secret's value told so far, in pieces (see SECRET_PIECE), by name. */
  private secretPieces = new Map<string, string>();

  private constructor(opts: ShellProcessOptions) {
    this.opts = opts;
    this.runAs = opts.runAs;
    sweepStaleDirs();
    this.dir = mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
  }

  /** Start the shell and wait until it is ready for its first step. */
  static async start(opts: ShellProcessOptions): Promise<ShellProcess> {
    const shell = new ShellProcess(opts);
    try {
      await shell.boot();
    } catch (err) {
      await shell.close(0);
      await shell.removeState();
      throw err;
    }
    return shell;
  }

  private async boot(): Promise<void> {
    const { runAs } = this.opts;
    const shared = runAs.mode === 'sudo';
    // Names are random: through sudo the directory is traversable by others (not listable).
    const rcPath = path.join(this.dir, `rc-${randomName()}`);
    this.fifoPath = path.join(this.dir, `cmd-${randomName()}`);
    const rc = rcScript({
      nonce: this.nonce,
      login: runAs.mode !== 'self' && !loginDoneByWrapper(runAs),
      cwd: this.opts.cwd,
      restoreFrom: this.opts.restoreFrom,
      restoreTyped: this.opts.restore !== undefined,
      sessionEnvNames: Object.keys(this.opts.env ?? {}),
      secretEnvNames: this.opts.secretEnvNames ?? [],
      ownerPid: process.pid,
    });
    // Through sudo the target user cannot be given ownership: files it must read are then
    // world-readable inside a directory nobody can list. They hold no secrets: the session
    // environment is typed to the shell over the terminal (see configLines).
    await writeFile(rcPath, rc, { mode: shared ? 0o644 : 0o600 });
    await execFileAsync('mkfifo', ['-m', shared ? '604' : '600', this.fifoPath]);
    if (runAs.mode === 'runuser') {
      for (const p of [this.dir, rcPath, this.fifoPath]) await chown(p, runAs.uid, runAs.gid);
    }
    if (shared) await chmod(this.dir, 0o711);
    // O_RDWR keeps the FIFO open on both ends, so neither side ever blocks on open.
    this.fifoFd = openSync(this.fifoPath, constants.O_RDWR);

    const command = asUser(runAs, ['/bin/bash', '--noediting', '--rcfile', rcPath, '-i'], { login: true });
    const env =
      runAs.mode === 'runuser'
        ? targetUserEnv(runAs, process.env)
        : (Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>);
    env.TERM = 'xterm-256color';
    const term = pty.spawn(command.file, command.args, {
      name: 'xterm-256color',
      cols: this.opts.cols,
      rows: this.opts.rows,
      cwd: runAs.mode === 'self' ? process.cwd() : '/',
      env,
    });
    this.term = term;
    this.unregisterExitKill = killOnExit(() => this.killSync());
    term.onData((data) => this.handleData(data));
    term.onExit(({ exitCode, signal }) => this.handleExit(exitCode, signal));

    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new ShellStartError(`the shell as ${runAs.user} did not become ready within ${READY_TIMEOUT_MS / 1000}s`));
      }, READY_TIMEOUT_MS);
      this.readyWaiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
    });
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
        if (this.configSent || this.ready) break;
        this.term?.write(configLines(this.fifoPath, { ...NO_PAGERS, ...this.opts.env }, this.opts.restore));
        this.configSent = true;
        break;
      case 'r':
        // Said once, after the setup lines and before the first status. Any other is forged
        // (the nonce is in the shell's own functions, which a step can print): through runuser
        // this directory is read and removed by root.
        if (!this.configSent || this.ready || this.stateDir !== '') break;
        this.bashPid = Number(a);
        this.stateDir = b;
        this.cwdFailed = c === '1';
        this.restoredCwdFailed = d === '1';
        break;
      case 'd': {
        const id = Number(a);
        const status = Number(b);
        this.savedVersion = Number(c) || this.savedVersion;
        if (!this.ready && id === 0) {
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

  private handleExit(code: number, signal?: number): void {
    // node-pty waits for the pty to drain before reporting the exit; flush what the scanner held.
    const rest = this.scanner.flush();
    if (rest && this.ready && !this.closing) this.opts.onText(rest, this);
    const exit: ShellExit = { status: this.exitMarkerStatus, code, ...(signal ? { signal } : {}) };
    if (exit.status === null) {
      // No exit report from the shell: it was killed, or a step replaced our EXIT trap.
      const sig = signal || (code > 128 && code < 128 + 65 ? code - 128 : 0);
      if (sig) {
        const name = signalName(sig) ?? `signal ${sig}`;
        exit.reason = `the shell was killed from outside (${name})`;
      } else {
        exit.status = code;
      }
    }
    this.exited = exit;
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
    const file = path.join(this.dir, `step-${randomName()}`);
    writeFileSync(file, stepFile(script), { mode: this.runAs.mode === 'sudo' ? 0o644 : 0o600 });
    if (this.runAs.mode === 'runuser') chownSync(file, this.runAs.uid, this.runAs.gid);
    const line = stepCommand(id, file, opts);
    const end = new Promise<StepEnd>((resolve) => {
      this.waitingStep = { id, resolve };
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
   * Stop the running step as an operator would, then harder: Ctrl-C now; after `graceMs`
   * SIGTERM to the terminal's foreground group (and SIGINT to bash, so a sourced loop stops);
   * after another `graceMs` SIGKILL to that group; after a third, SIGKILL to the shell itself
   * (the next step then gets a fresh one). `cancel()` when the step has ended.
   */
  stopStep(graceMs: number): StepStop {
    this.write('\u0003');
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
      sleepSync(100);
      signalAllSync([-group], 'SIGKILL', this.runAs);
    }
    if (this.bashPid && this.alive) {
      signalAllSync([this.bashPid], 'SIGHUP', this.runAs);
      for (let waited = 0; waited < 300 && this.bashAlive(); waited += 25) sleepSync(25);
      if (this.bashAlive()) signalAllSync([this.bashPid], 'SIGKILL', this.runAs);
    }
    // The state directory may hold exported secrets; through sudo it is not ours to remove.
    for (const dir of [this.dir, this.stateDir.startsWith('/') ? this.stateDir : '']) {
      if (!dir) continue;
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // Exiting anyway.
      }
    }
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
      await this.signalShell('SIGHUP');
      if (!(await this.waitExit(Math.max(graceMs, 500) + 1500))) {
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
    if (this.fifoFd >= 0) closeSync(this.fifoFd);
    this.fifoFd = -1;
    await rm(this.dir, { recursive: true, force: true });
  }

  /**
   * The cwd and exports this shell saved after its last step (also after it ended, until
   * `removeState`). Through sudo the files are the target user's, so they are read as that user.
   */
  async readSaved(): Promise<{ cwd?: string; exports: SavedExport[]; base: SavedExport[] } | undefined> {
    if (!this.stateDir.startsWith('/')) return undefined;
    // Unchanged since the last read (most steps change neither cwd nor exports): no file read, no sudo.
    const version = this.savedVersion;
    if (this.lastRead && this.lastRead.version === version) return this.lastRead.saved;
    let both: string;
    try {
      // The exports the shell started with never change: read once.
      this.baseline ??= parseSavedExports(await this.readOwnFiles(['base']));
      both = await this.readOwnFiles(['cwd', 'state']);
    } catch {
      return undefined;
    }
    // The cwd file ends with a NUL: a directory name cannot contain one.
    const cut = both.indexOf('\0');
    if (cut < 0) return undefined;
    const saved = { cwd: both.slice(0, cut), exports: parseSavedExports(both.slice(cut + 1)), base: this.baseline };
    if (version > 0) this.lastRead = { version, saved };
    return saved;
  }

  /** Files of the state directory, concatenated; through sudo they are the target user's to read. */
  private async readOwnFiles(names: string[]): Promise<string> {
    const files = names.map((name) => path.join(this.stateDir, name));
    if (this.runAs.mode === 'self') return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('');
    if (this.runAs.mode === 'runuser') return (await Promise.all(files.map((f) => readUserFile(f, this.runAs.uid)))).join('');
    const { stdout } = await execFileAsync('sudo', ['-n', '-u', this.runAs.user, 'cat', '--', ...files], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
      // Runs after every step: a wedged sudo (a PAM module, a slow NSS) costs the kept state, not the session.
      timeout: 10_000,
    });
    return stdout;
  }

  /** Remove this shell's state directory (owned by the target user). */
  async removeState(): Promise<void> {
    if (!this.stateDir.startsWith('/')) return;
    await removeUserDir(this.stateDir, this.runAs);
  }
}

/**
 * A file in a directory the target user owns, read by root: only a regular file of that user,
 * never through a symlink, so a step cannot have root read a file the user could not.
 */
async function readUserFile(file: string, uid: number): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.uid !== uid) throw new Error(`${file} is not a file of uid ${uid}`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Remove a directory owned by the target user, through sudo when we may not. */
export async function removeUserDir(dir: string, runAs: RunAs): Promise<void> {
  // As root (runuser), only a directory of that user itself: never through a link, never root's.
  if (runAs.mode === 'runuser') {
    const st = await lstat(dir).catch(() => undefined);
    if (!st?.isDirectory() || st.uid !== runAs.uid) return;
  }
  try {
    await rm(dir, { recursive: true, force: true });
  } catch {
    if (runAs.mode === 'sudo') {
      await execFileAsync('sudo', ['-n', '-u', runAs.user, 'rm', '-rf', '--', dir]).catch(() => undefined);
    }
  }
}

