/**
 * The built CLI in a real pseudo-terminal, its output read back through a headless terminal:
 * what an operator's screen would show. 80x24 unless resized; `CI=false` (CI sets it, and the
 * TUI would fall back to plain mode), no colour, no NODE_ENV (vitest sets one; an operator's
 * shell has none).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import pty from 'node-pty';
import xterm from '@xterm/headless';

export const CLI = join(import.meta.dirname, '..', '..', 'dist', 'cli.js');

/** tmux on PATH, or undefined (the tests that need it skip, and say so). */
export const TMUX = (process.env['PATH'] ?? '')
  .split(delimiter)
  .map((d) => join(d, 'tmux'))
  .find((p) => existsSync(p));

/**
 * Ends what detached-TUI tests started: the TUIs, then every private tmux server under each
 * workspace's `state/detach` (and the other sockets `more` names for it), then the workspaces.
 */
export async function endDetached(tuis: Tui[], dirs: string[], more: (dir: string) => string[] = () => []): Promise<void> {
  for (const tui of tuis.splice(0)) {
    try {
      tui.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  for (const dir of dirs.splice(0)) {
    const detach = join(dir, 'state', 'detach');
    const sockets = existsSync(detach) ? readdirSync(detach).map((d) => join(detach, d, 'sock')) : [];
    for (const sock of [...sockets, ...more(dir)]) {
      if (TMUX === undefined || !existsSync(sock)) continue;
      try {
        execFileSync(TMUX, ['-S', sock, 'kill-server'], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    // A TUI whose server was just killed still journals its hang-up and closes its shell (a
    // step's end is waited for, up to 6 s): the tree is removed once no process names the
    // workspace any more (ENOTEMPTY twice in CI runs while one still wrote), killed after 10 s.
    for (const end = Date.now() + 10_000; processesNaming(dir).length > 0 && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
    for (const pid of processesNaming(dir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 20, retryDelay: 100 });
  }
}

/**
 * Pids of this machine's processes whose command line or environment names `dir`: a TUI started
 * on a runbook there, or a bare `stepgate resume` whose only tie to it is STEPGATE_STATE_DIR
 * (which wrote into the sessions directory as it was removed: ENOTEMPTY in a CI run).
 */
function processesNaming(dir: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(dir) || readFileSync(`/proc/${name}/environ`, 'utf8').includes(dir)) found.push(Number(name));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

export type JournalEvent = Record<string, unknown> & { type: string };

/**
 * The events of the session journal in `stateDir/sessions`, [] before one exists (tests poll
 * it). `only` insists that exactly one journal is there.
 */
export function journalEvents<T = JournalEvent>(stateDir: string, options: { only?: boolean } = {}): T[] {
  const sessions = join(stateDir, 'sessions');
  const journals = existsSync(sessions) ? readdirSync(sessions).filter((f) => f.endsWith('.jsonl')) : [];
  if (options.only === true && journals.length !== 1) throw new Error(`expected one journal in ${sessions}, found ${journals.length}`);
  const journal = journals[0];
  if (journal === undefined) return [];
  return readFileSync(join(sessions, journal), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as T);
}

export interface Tui {
  resize(cols: number, rows: number): void;
  /** The visible rows, joined with newlines. */
  screen(): string;
  /** Polls the screen until it holds `text` (or matches it, or the predicate holds); throws with the screen after `timeoutMs` (20 s). */
  waitFor(text: string | RegExp | ((screen: string) => boolean), timeoutMs?: number): Promise<string>;
  press(keys: string): void;
  kill(signal: string): void;
  exited: Promise<number>;
  /** How many times the terminal's bell rang (a BEL outside any sequence, as xterm reads it). */
  bells(): number;
  /** Every byte the process wrote, as text: for sequences the screen does not show (OSC 9). */
  output(): string;
  /** The pid of the process started in the pty (the launcher, when detaching). */
  pid: number;
}

export interface TuiOptions {
  /**
   * Let stepgate start its detachable terminal (a private tmux server) as it does for an
   * operator: the terminal of the test is then outside any tmux ($TMUX and $STY removed).
   * Default: in place (STEPGATE_DETACH=0), the TUI itself in the pty.
   */
  detach?: boolean;
  /** Replaces PATH (a PATH without tmux). */
  path?: string;
  /** More environment for stepgate (an operator's own variables). */
  env?: Record<string, string>;
  /** Run stepgate as this login user (through runuser; the test runs as root), with its HOME. */
  as?: { user: string; home: string };
}

export function startTui(args: string[], cwd: string, stateDir: string, options: TuiOptions = {}): Tui {
  const cols = 80;
  let rows = 24;
  const term = new xterm.Terminal({ cols, rows, allowProposedApi: true });
  const { NODE_ENV: _nodeEnv, TMUX: _tmux, TMUX_PANE: _pane, STY: _sty, ...env } = process.env;
  const login = options.as ? { HOME: options.as.home, USER: options.as.user, LOGNAME: options.as.user } : {};
  if (options.as) delete env['SUDO_USER'];
  const [file, argv] = options.as ? ['runuser', ['-u', options.as.user, '--', process.execPath, CLI, ...args]] : [process.execPath, [CLI, ...args]];
  const child = pty.spawn(file, argv, {
    name: 'xterm-256color',
    cols,
    rows,
    cwd,
    env: {
      ...env,
      ...login,
      CI: 'false',
      NO_COLOR: '1',
      TERM: 'xterm-256color',
      STEPGATE_STATE_DIR: stateDir,
      ...(options.detach ? {} : { STEPGATE_DETACH: '0' }),
      ...(options.path !== undefined ? { PATH: options.path } : {}),
      ...options.env,
    } as Record<string, string>,
  });
  // xterm parses what it is given later, and node-pty may report the exit before the last
  // output: `exited` waits for output to stop and the screen to hold all of it, so a test can
  // read the last words of a process that has ended.
  let parsed = Promise.resolve();
  let lastData = Date.now();
  let bells = 0;
  let raw = '';
  term.onBell(() => {
    bells += 1;
  });
  child.onData((data) => {
    lastData = Date.now();
    raw += data;
    parsed = new Promise<void>((resolve) => term.write(data, resolve));
  });
  const exited = new Promise<number>((resolve) =>
    child.onExit(({ exitCode }) => {
      const settle = async (): Promise<void> => {
        const deadline = Date.now() + 2_000;
        while (Date.now() - lastData < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
        await parsed;
        resolve(exitCode);
      };
      void settle();
    }),
  );
  const screen = (): string => {
    const buffer = term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < rows; i += 1) lines.push(buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '');
    return lines.join('\n');
  };
  return {
    resize(c, r) {
      rows = r;
      term.resize(c, r);
      child.resize(c, r);
    },
    screen,
    async waitFor(text, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const s = screen();
        if (typeof text === 'string' ? s.includes(text) : typeof text === 'function' ? text(s) : text.test(s)) return s;
        if (Date.now() > until) throw new Error(`no ${String(text)} on the screen:\n${s}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
    press: (keys) => child.write(keys),
    kill: (signal) => child.kill(signal),
    exited,
    bells: () => bells,
    output: () => raw,
    pid: child.pid,
  };
}

/** Polls `probe` every 50 ms until it gives a value (not undefined or false); throws after `timeoutMs`. */
export async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
