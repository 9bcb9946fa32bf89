/**
 * Surviving a dropped terminal (issue 12): the TUI starts itself inside a private tmux server
 * (src/exec/tmux.ts) so that an SSM session that drops takes only the tmux client with it. The
 * engine does not know: it never moves past a decision nobody made, and the TUI's `a` walk
 * stops after the running step while nobody is attached (`Presence.attended`).
 *
 * Three sides live here: the launcher (the `stepgate` the operator typed: starts the server
 * attached to its terminal, then says how it came back), the child (the TUI inside the pane:
 * takes its arguments and exact environment from the launcher, journals who comes and goes)
 * and the registry that `stepgate attach` reads (`<state>/detach/<token>/`, 0700: the socket,
 * the config, `session.json` naming the stepgate session the TUI holds, `result.json`).
 */
import { randomHex } from '../session/random-hex.js';
import { existsSync, readdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { announce } from '../exec/beacon.js';
import { TMUX_SESSION, TmuxServer, findTmux, runClient, tmuxConfig, type ClientEnd } from '../exec/tmux.js';
import { osUser } from '../session/host.js';
import { isSessionId, sessionsDir, stateDir } from '../session/session-paths.js';
import { displayText } from '../session/printable.js';
import { stateAt } from '../session/state-phrase.js';
import { ensurePrivateDir, readPrivateFile, replacePrivateFile } from '../session/private-files.js';
import type { Who } from '../session/types.js';
import { EXIT } from './exit-codes.js';

/** The detach key as the docs and the TUI name it (tmux's name is in exec/tmux.ts). */
export const DETACH_KEY_NAME = 'ctrl-\\';

/** Set in the pane's environment by the launcher: the registry directory of this TUI. */
const CHILD_ENV = 'STEPGATE_DETACH_CHILD';

/** Said once on the first screen when there is no tmux to keep a dropped session's step running. */
export const NO_TMUX_NOTE = 'no tmux: a dropped terminal stops the running step (install tmux)';

/** The longest socket path a Unix socket takes (108 bytes with its NUL on Linux), with room. */
const MAX_SOCKET_PATH = 100;

/**
 * Node flags for the TUI the launcher starts in the pane (issue 14: the TUI's RSS in a
 * 5,000,000-line step). The operator's own flags come after these, so theirs win.
 *
 * A young generation of at most 2 x 4 MB instead of V8's 2 x 16 MB: a step that floods output
 * keeps the new space full, and those 24 MB were resident for the whole flood. It can only be
 * set when the heap is made; before the first frame its scavenges paused the TUI about as long
 * as V8's default size did (28 to 31 ms against 25 to 33, --trace-gc, three runs each).
 */
export const TUI_NODE_FLAGS = ['--max-semi-space-size=4'];

/**
 * The old generation collected once it has grown by 10% (or V8's least step, 8 MB) since the
 * last full collection. The small young generation above is scavenged every 20 ms or so in a
 * flood, so whatever lives a little longer (an Ink frame being built, xterm's scrollback lines,
 * the screen's snapshot) is promoted and dies in old space. V8's own factor, up to 4x for a
 * heap that collects as fast as this one, let 13 MB of live objects grow to 26-40 MB of
 * committed old space before the first full collection: the flood's peak RSS, 119-150 MB. With
 * a live heap this small a full collection takes about 5 ms, a dozen a flood.
 *
 * V8 reads the factor each time it sets its next limit, so it is set at run time, once the
 * first frame is drawn (in the pane and in place alike): from the start, it added a full
 * collection while the modules loaded in two runs of three, 40 and 41 ms of pauses before the
 * first frame against 29 to 31 without it (--trace-gc). In the bench's flood in place: peak RSS (VmHWM) 140-141 MB
 * without the factor, 124-126 MB with it (two runs each).
 */
export function applyTuiHeapFlags(execArgv: readonly string[] = process.execArgv): void {
  if (execArgv.some((flag) => flag.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString('--heap-growing-percent=10');
}

export function detachRoot(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'detach');
}

/** This process is the TUI that a launcher started inside the private tmux server (its questions were asked there). */
export function isDetachedChild(env: NodeJS.ProcessEnv = process.env): boolean {
  return env[CHILD_ENV] !== undefined || child !== undefined;
}

/** Said on the status line when --detach was asked for inside the operator's own tmux or screen. */
const IN_MULTIPLEXER_NOTE = 'inside tmux/screen stepgate runs in place: yours keeps it running (its detach key, not ctrl-\\)';

/** Where the TUI runs: in a private tmux server, in place (with a note for the status line), or not at all. */
export type Placement = { kind: 'wrap'; tmux: string } | { kind: 'in-place'; note?: string } | { kind: 'error'; message: string };

/**
 * The one decision: wrap when on a terminal, outside tmux and screen, with tmux installed, and
 * not told otherwise (`--no-detach`, `STEPGATE_DETACH=0`). Plain mode never gets here.
 */
export function placement(flags: { detach?: boolean; noDetach?: boolean }, env: NodeJS.ProcessEnv = process.env): Placement {
  if (flags.detach && flags.noDetach) return { kind: 'error', message: '--detach and --no-detach contradict each other' };
  if (isDetachedChild(env)) return { kind: 'in-place' };
  const off = env['STEPGATE_DETACH'];
  if (flags.noDetach || (!flags.detach && (off === '0' || off === 'off' || off === 'false'))) return { kind: 'in-place' };
  // The operator's own multiplexer already keeps the TUI alive: no tmux inside it.
  if (env['TMUX'] || env['STY']) return flags.detach ? { kind: 'in-place', note: IN_MULTIPLEXER_NOTE } : { kind: 'in-place' };
  const tmux = findTmux(env);
  if (tmux === undefined) {
    if (flags.detach) {
      return {
        kind: 'error',
        message: '--detach needs tmux, which is not on PATH: install it (Ubuntu/Debian: sudo apt-get install tmux; Amazon Linux/RHEL: sudo dnf install tmux), or run without --detach',
      };
    }
    return { kind: 'in-place', note: NO_TMUX_NOTE };
  }
  return { kind: 'wrap', tmux };
}

/** What the launcher hands the TUI inside the pane: its arguments and its exact environment. */
interface LaunchFile {
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  tmux: string;
}

/** What the TUI leaves for whoever ran the last client: its exit code and what it said on stderr. */
interface ResultFile {
  code: number;
  stderr: string;
}

/** The stepgate session a detached TUI holds, for `attach` and for the offer to attach. */
export interface HeldSession {
  id: string;
  runbook: string;
  pid: number;
  who: Who;
  since: number;
}

/** A detached TUI that is still there. */
export interface LiveTui {
  dir: string;
  server: TmuxServer;
  session?: HeldSession;
}


function readJson<T>(path: string): T | undefined {
  const text = readPrivateFile(path)?.toString('utf8');
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** Every registry directory whose server still answers; the rest (a TUI that is gone) are removed. */
export async function liveTuis(env: NodeJS.ProcessEnv = process.env): Promise<LiveTui[]> {
  const root = detachRoot(env);
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return [];
  }
  const tmux = findTmux(env) ?? 'tmux';
  const out: LiveTui[] = [];
  for (const name of names) {
    if (!/^[0-9a-f]{12}$/.test(name)) continue;
    const dir = join(root, name);
    const server = new TmuxServer(tmux, join(dir, 'sock'));
    if (!(await server.alive())) {
      // Kept a minute: a launcher may be starting its server there, or about to read the result.
      let age = 0;
      try {
        age = Date.now() - statSync(dir).mtimeMs;
      } catch {
        continue;
      }
      if (age > 60_000) rmSync(dir, { recursive: true, force: true });
      continue;
    }
    out.push(heldBy(dir, server));
  }
  return out;
}

function heldBy(dir: string, server: TmuxServer): LiveTui {
  const session = readJson<HeldSession>(join(dir, 'session.json'));
  return session ? { dir, server, session } : { dir, server };
}

/** A detached TUI holding a session of this runbook file (or of any runbook under this directory). */
export function sameRunbook(target: string, isDir: boolean): (tui: LiveTui) => boolean {
  const path = resolve(target);
  return (tui) => tui.session !== undefined && (isDir ? tui.session.runbook.startsWith(`${path}/`) : tui.session.runbook === path);
}

/** The detached TUI whose registry directory is `dir`, when its server answers. */
export async function liveTuiAt(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<LiveTui | undefined> {
  const server = new TmuxServer(findTmux(env) ?? 'tmux', join(dir, 'sock'));
  return (await server.alive()) ? heldBy(dir, server) : undefined;
}

/** The TUI cannot be wrapped after all (a socket path too long): it runs in place, saying why. */
export class CannotWrap extends Error {}

/**
 * The launcher: starts the private server with the TUI in it, attached to this terminal, and
 * waits for the client to end. Returns the exit code to give the operator's shell.
 */
export async function launch(tmux: string, argv: string[]): Promise<number> {
  const base = stateDir();
  const token = randomHex(6);
  const dir = join(detachRoot(), token);
  ensurePrivateDir(dir, base);
  const socket = join(dir, 'sock');
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH) {
    rmSync(dir, { recursive: true, force: true });
    throw new CannotWrap(`the state directory's path is too long for a tmux socket (${socket}): a dropped terminal stops the running step; set STEPGATE_STATE_DIR to a shorter path`);
  }
  const conf = join(dir, 'tmux.conf');
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) if (value !== undefined) env[name] = value;
  replacePrivateFile(conf, tmuxConfig({ notify: 'kill -USR2 #{pane_pid}', ...(process.env['TERM'] ? { term: process.env['TERM'] } : {}) }));
  const launchFile: LaunchFile = { argv, cwd: process.cwd(), env, tmux };
  replacePrivateFile(join(dir, 'launch.json'), JSON.stringify(launchFile));
  const server = new TmuxServer(tmux, socket);
  const self = [process.execPath, ...TUI_NODE_FLAGS, ...process.execArgv, process.argv[1] ?? ''];
  const clientEnv: NodeJS.ProcessEnv = { ...process.env, [CHILD_ENV]: dir };
  delete clientEnv['TMUX'];
  const size = [`-x`, String(process.stdout.columns || 80), `-y`, String(process.stdout.rows || 24)];
  const { end, hungUp } = await runClient(server, ['-f', conf, 'new-session', '-s', TMUX_SESSION, ...size, '--', ...self], clientEnv);
  return cameBack(dir, end, hungUp);
}

/**
 * How the session of a TUI that ended stands, from its journal, when its result file was
 * already taken: two terminals attached when one quits, the other's client finds the directory
 * gone (a trial's "ended without saying how", exit 1, after a completed session).
 */
async function outcomeOf(id: string | undefined, why: string): Promise<{ code: number; said: string } | undefined> {
  if (id === undefined || !isSessionId(id)) return undefined;
  try {
    const { summarize } = await import('../session/history.js');
    const session = await summarize(sessionsDir(), id);
    if (session.state.startsWith('unreadable')) return undefined;
    const said = `stepgate: the TUI ended (${why}): session ${id} ${displayText(stateAt(session.state, session.at))}`;
    if (session.finished) return { code: session.state === 'completed' ? EXIT.completed : EXIT.blocked, said: `${said}\n` };
    return { code: EXIT.blocked, said: `${said}; continue with: stepgate resume ${id}\n` };
  } catch {
    return undefined;
  }
}

/**
 * After a client ended: what the operator reads, and the exit code. Detaching leaves the
 * session unfinished, so it exits 1 as `q` on an unfinished session does (a script's
 * `stepgate FILE && next` must not go on as if the deploy had completed); a watcher owns no
 * outcome and exits 0, as does a detach from the picker, where no session is open.
 */
export async function cameBack(dir: string, end: ClientEnd, hungUp: boolean, watch = false, knownId?: string): Promise<number> {
  // This terminal hung up: nobody is there to read anything.
  if (end === 'hangup' && hungUp) return EXIT.interrupted;
  if (end !== 'exited') {
    const id = readJson<HeldSession>(join(dir, 'session.json'))?.id;
    const back = `  come back with: stepgate attach${id !== undefined ? ` ${id}` : ''}\n`;
    const running = id !== undefined ? `session ${id} keeps running` : 'stepgate keeps running';
    if (end === 'hangup') {
      // The client alone ended (killed, or it lost its tty while this process kept its own):
      // tmux printed only `[exited]` or `[lost tty]`, and someone may still be reading.
      process.stderr.write(`stepgate: the tmux client ended (killed or lost its terminal); ${running}\n${back}`);
      return EXIT.interrupted;
    }
    process.stderr.write(`stepgate: detached; ${running}${id !== undefined ? ' (a running step finishes, nothing after it starts)' : ''}\n${back}`);
    return id !== undefined && !watch ? EXIT.blocked : EXIT.completed;
  }
  // tmux's client says `[exited]` on its own line when the session it showed ends, just above
  // the line stepgate says how it ended with (a trial asked what had exited): taken back.
  if (process.stdout.isTTY === true) process.stdout.write('\u001b[1A\r\u001b[2K');
  // Read before the result: whoever removes the directory first takes both.
  const there = existsSync(dir);
  const held = knownId ?? readJson<HeldSession>(join(dir, 'session.json'))?.id;
  const result = readJson<ResultFile>(join(dir, 'result.json'));
  if (watch) {
    // The owner's client reads the result and removes the directory, maybe before this one got
    // there: a watcher that finds nothing has not seen a crash (a trial read it as one).
    process.stderr.write(result ? result.stderr : 'stepgate: the TUI ended (stepgate sessions says how its session stands)\n');
    return EXIT.completed;
  }
  rmSync(dir, { recursive: true, force: true });
  if (!result) {
    // The directory there without a result: the TUI never wrote one (killed, or it crashed; a
    // trial's SIGKILL read "another terminal ... had its last words" with no other terminal).
    const outcome = await outcomeOf(held, there ? 'it was killed or crashed before it could say how' : 'another terminal attached to it had its last words');
    if (outcome) {
      process.stderr.write(outcome.said);
      return outcome.code;
    }
    process.stderr.write('stepgate: the TUI ended without saying how (see stepgate sessions)\n');
    return EXIT.blocked;
  }
  process.stderr.write(result.stderr);
  return result.code;
}

/** How long a watcher's client shows that it is read-only. */
const WATCH_NOTICE_MS = 6000;

/** Runs a client attached to a live TUI until it ends; for `attach`. */
export async function attachTo(tui: LiveTui, watch: boolean): Promise<number> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env['TMUX'];
  // A watcher sees the owner's screen, status line and key hints included: told once, on its
  // own client, that its keys do nothing there (a trial pressed r and ctrl-c, believing it had).
  const told = ['display-message', '-d', String(WATCH_NOTICE_MS), 'watching read-only: your keys do nothing here (ctrl-\\ leaves)'];
  const args = ['attach-session', '-t', TMUX_SESSION, ...(watch ? ['-r', '-f', 'ignore-size', ';', ...told] : [])];
  const { end, hungUp } = await runClient(tui.server, args, env);
  return cameBack(tui.dir, end, hungUp, watch, tui.session?.id);
}

/** The TUI inside the pane: its registry directory and the private server it runs in. */
export interface DetachedChild {
  dir: string;
  server: TmuxServer;
  /** Names the stepgate session this TUI holds, for `attach`. */
  hold(session: { id: string; runbook: string }): void;
}

let child: DetachedChild | undefined;

/** The detached context when this process is the TUI inside the pane. */
export function detachedChild(): DetachedChild | undefined {
  return child;
}

/**
 * In the pane: takes the launcher's arguments and restores its exact environment (tmux adds
 * TMUX, TMUX_PANE, TERM_PROGRAM... which the steps must not see), and arranges for the exit
 * code and the last words on stderr to reach whoever runs the last client. Undefined when
 * this process is not a detached child.
 */
export function becomeChild(env: NodeJS.ProcessEnv = process.env): string[] | undefined {
  const dir = env[CHILD_ENV];
  if (dir === undefined) return undefined;
  const path = join(dir, 'launch.json');
  const launched = readJson<LaunchFile>(path);
  try {
    unlinkSync(path);
  } catch {
    // already taken
  }
  if (!launched) throw new Error(`${path}: the launcher's arguments are missing; run stepgate again`);
  for (const name of Object.keys(process.env)) if (!(name in launched.env)) delete process.env[name];
  Object.assign(process.env, launched.env);
  process.chdir(launched.cwd);
  const server = new TmuxServer(launched.tmux, join(dir, 'sock'));
  // The server's hooks signal SIGUSR2 when a client comes or goes; until `Presence` listens,
  // the default action (terminate) must not take the TUI down.
  process.on('SIGUSR2', () => undefined);
  let held: HeldSession | undefined;
  child = {
    dir,
    server,
    hold(session) {
      held = { id: session.id, runbook: resolve(session.runbook), pid: process.pid, who: { user: osUser() }, since: Date.now() };
      replacePrivateFile(join(dir, 'session.json'), JSON.stringify(held));
    },
  };
  // Other login users find this TUI by its beacon; they reach it only by becoming its owner.
  const owner = userInfo();
  void announce(basename(dir), () => ({
    user: owner.username,
    uid: owner.uid,
    pid: process.pid,
    registry: dir,
    ...(held ? { session: { id: held.id, runbook: held.runbook, since: held.since } } : {}),
  })).catch(() => undefined);
  // What the TUI says as it exits goes to stderr, which is the pane: gone with it. Keep it for
  // the launcher (or the attach) that sees the client end.
  let said = '';
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    said = (said + (typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'))).slice(-8192);
    return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stderr.write;
  process.on('exit', (code) => {
    try {
      replacePrivateFile(join(dir, 'result.json'), JSON.stringify({ code: process.exitCode ?? code, stderr: said, at: Date.now() }));
      rmSync(join(dir, 'session.json'), { force: true });
    } catch {
      // the directory is gone: nobody will read it
    }
  });
  return launched.argv;
}
