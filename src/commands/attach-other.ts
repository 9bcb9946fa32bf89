/**
 * Attaching to a detached TUI that another login user started (issue 12). Its tmux socket stays
 * in its owner's 0700 directory: nobody else ever connects to it. Whoever attaches becomes the
 * owner first, by the same rule stepgate uses to run steps as a user (`sudo -n -u OWNER`, or
 * `runuser` as root: src/exec/run-as.ts), and runs `stepgate attach --registry DIR` as the
 * owner; a login user who may not become the owner is refused with that rule and its fix.
 *
 * Attaching drives a process that runs as its owner, so the rule is "may become the owner", not
 * "may become the runbook's run-as user": with the usual setup (every operator arrives as
 * ssm-user, or may sudo to any user) the two agree.
 */
import { spawn } from 'node:child_process';
import { existsSync, lstatSync } from 'node:fs';
import { userInfo } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import { listBeacons, type BeaconInfo } from '../exec/beacon.js';
import { RunAsError, asUser, resolveRunAs, targetUserEnv } from '../exec/run-as.js';
import { shQuote } from '../exec/shell-quote.js';
import { osUser, processAccount } from '../session/host.js';
import { displayText, displayWord, printable } from '../session/printable.js';
import { isSessionId } from '../session/session-paths.js';
import { TerminalFilter } from '../session/terminal-filter.js';
import { liveTuiAt, type LiveTui } from './detach.js';
import { EXIT } from './exit-codes.js';

/** The detached TUIs of other login users on this host, each with the session it holds. */
export async function othersTuis(): Promise<BeaconInfo[]> {
  const uid = process.getuid?.();
  return (await listBeacons().catch(() => []))
    .filter((b) => b.uid !== uid && plausibleBeacon(b))
    .sort((a, b) => (b.session?.since ?? 0) - (a.session?.since ?? 0));
}

/**
 * Anyone on the host can announce a beacon and say anything in it: what is printed from it
 * must be a user name and a session id as stepgate makes them, and a runbook path without
 * control characters (a review's beacon set the terminal's clipboard through one).
 */
function plausibleBeacon(b: BeaconInfo): boolean {
  if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(b.user) || !isAbsolute(b.registry) || !isPrintable(b.registry)) return false;
  return b.session === undefined || (isSessionId(b.session.id) && isPrintable(b.session.runbook));
}

function isPrintable(text: string): boolean {
  return printable(text) === text && displayText(text) === text && !/[\t\r\n\u2028\u2029]/.test(text);
}

/**
 * One line per session another login user runs detached: `sessions` and `resume` look only at
 * this user's own journals, and a second operator told "nothing to resume" might start the
 * deploy again while the first one's still runs.
 */
export async function othersNotes(): Promise<string[]> {
  const notes: string[] = [];
  for (const b of await othersTuis()) {
    if (!b.session) continue;
    const head = `note: ${b.user} runs session ${b.session.id} (${displayWord(b.session.runbook)}) detached on this host`;
    // Attaching, even to watch, means becoming its owner: offered only to whoever may (a trial
    // was offered root's session, then refused).
    notes.push((await mayBecome(b.user)) ? `${head}: stepgate attach ${b.session.id} (or --watch)` : `${head}; attaching to it means becoming ${b.user}, which ${processAccount()} may not here`);
  }
  return notes;
}

async function mayBecome(user: string): Promise<boolean> {
  try {
    await resolveRunAs(user);
    return true;
  } catch (error) {
    if (error instanceof RunAsError) return false;
    throw error;
  }
}

/** ctrl-\\ as the terminal sends it: stepgate's detach key (exec/tmux.ts DETACH_KEY). */
const DETACH_BYTE = '\u001c';

/**
 * Modes a program may leave on in the terminal, turned off: mouse reporting (1000-1006, 1015),
 * bracketed paste, a hidden cursor, the keyboard lock (KAM) and insert
 * mode, 8-bit controls (S7C1T), UTF-8 and the ASCII charset in G0, and attributes (SGR 0).
 */
const TERMINAL_RESTORE = '\u001b[?1000l\u001b[?1002l\u001b[?1003l\u001b[?1005l\u001b[?1006l\u001b[?1015l\u001b[?2004l\u001b[?25h\u001b[2l\u001b[4l\u001b F\u001b%G\u001b(B\u000f\u001b[0m';
/** Leaves the alternate screen: sent only when the relay left the terminal on it. */
const ALT_SCREEN_OFF = '\u001b[?1049l';

/** The stepgate this process runs as: the same node and script, for another user to run. */
export function selfCommand(): string[] {
  return [process.execPath, ...process.execArgv, process.argv[1] ?? ''];
}

/**
 * This stepgate as a command line for an operator to type as another user, whose PATH may
 * lack `stepgate` (a trial's `sudo -u ssm-user -i stepgate resume ID` said "command not
 * found"): the package's launcher when this is the package (runtime/node running dist/cli.js
 * beside it), else node and the script, shell-quoted.
 */
export function selfInvocation(command: readonly string[] = selfCommand()): string {
  const [node = '', script = ''] = command;
  const root = dirname(dirname(script));
  const launcher = join(root, 'stepgate');
  const word = (text: string): string => (/^[\w/.,:@%+=-]+$/.test(text) ? text : shQuote(text));
  if (command.length === 2 && basename(script) === 'cli.js' && node === join(root, 'runtime', 'node') && existsSync(launcher)) return word(launcher);
  return command.map(word).join(' ');
}

/**
 * Runs `stepgate attach --registry DIR` as the TUI's owner on this terminal until it ends; its
 * exit code. Refused (exit 2, as a run-as user stepgate cannot become) naming the rule.
 */
export async function attachAsOwner(info: BeaconInfo, watch: boolean): Promise<number> {
  let runAs;
  try {
    runAs = await resolveRunAs(info.user);
  } catch (error) {
    if (!(error instanceof RunAsError)) throw error;
    const what = info.session ? `session ${info.session.id}` : 'that TUI';
    process.stderr.write(
      `stepgate: ${what} runs detached as ${info.user}; attaching to it means becoming ${info.user}, by the rule stepgate uses to run steps as a user, and ${error.message}\n`,
    );
    return EXIT.usage;
  }
  // A pty of stepgate's own between the owner's processes and this terminal, relayed: the owner
  // runs the tmux server this client attaches to, and can make a client run a command
  // (detach-client -E), which in the operator's terminal session could type into it (a review
  // had root run `id` that way). sudo's use_pty would keep them apart but is not on everywhere
  // (a re-review ran a command as ssm-user through `!use_pty`), and runuser's --pty (kept, for
  // an attach without a terminal) relays what the owner's tmux prints unread.
  const command = asUser(runAs, [...selfCommand(), 'attach', '--registry', info.registry, ...(watch ? ['--watch'] : [])], { ownTerminal: true });
  // Nothing of the operator's environment reaches the owner's processes (tokens, keys): runuser
  // would keep all of it, and sudo keeps what a site's env_keep names. The TUI's journal names
  // who attached (SUDO_USER first, which sudo sets itself), not the owner.
  const env: NodeJS.ProcessEnv = runAs.mode === 'runuser' ? { ...targetUserEnv(runAs, process.env), SUDO_USER: process.env['SUDO_USER'] ?? osUser() } : targetUserEnv(runAs, process.env);
  delete env['TMUX'];
  // The attach as the owner tells the TUI how its client ended; this process only waits for it.
  const ignore = (): void => undefined;
  process.on('SIGHUP', ignore);
  process.on('SIGINT', ignore);
  try {
    if (process.stdin.isTTY && process.stdout.isTTY) {
      const { relayInPty } = await import('../exec/pty-relay.js');
      // The owner's tmux writes to this terminal: it may pass on a clipboard write (OSC 52, its
      // set-clipboard) or anything else the owner prints into the pane, which the operator's
      // terminal would obey. Only what draws the screen gets through.
      const filter = new TerminalFilter({ mouse: true });
      const end = await relayInPty(command.file, command.args, env, { output: (data) => filter.feed(data), leaveKey: DETACH_BYTE });
      // The owner's tmux may have left modes on that the filter lets through (mouse reporting,
      // a keyboard lock, another charset, the alternate screen): put them back, then say in
      // stepgate's own words, from this process, where the operator is.
      process.stdout.write(`${filter.altScreen ? ALT_SCREEN_OFF : ''}${TERMINAL_RESTORE}`);
      if (end.left) {
        const id = info.session?.id;
        process.stderr.write(`stepgate: back from ${info.user}'s TUI${id !== undefined ? `; session ${id} keeps running as ${info.user}\n  come back with: stepgate attach ${id}` : ''}\n`);
        return watch || id === undefined ? EXIT.completed : EXIT.blocked;
      }
      return end.signal === 1 ? EXIT.interrupted : end.code;
    }
    const child = spawn(command.file, command.args, { stdio: 'inherit', env });
    return await new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => resolve(code ?? (signal === 'SIGHUP' ? EXIT.interrupted : EXIT.blocked)));
      child.on('error', (error) => {
        process.stderr.write(`stepgate: cannot run ${command.file}: ${error.message}\n`);
        resolve(EXIT.usage);
      });
    });
  } finally {
    process.off('SIGHUP', ignore);
    process.off('SIGINT', ignore);
  }
}

/**
 * The owner's side: the registry directory a beacon named, accepted only when it is this user's
 * own private one (a false beacon could name any directory: another user's tmux server must
 * never get a client of ours). The TUI, or why not.
 */
export async function ownRegistry(dir: string): Promise<LiveTui | string> {
  const uid = process.getuid?.();
  const me = userInfo().username;
  if (!isAbsolute(dir) || !/^[0-9a-f]{12}$/.test(basename(dir))) return `${dir} is not a detached TUI's directory`;
  try {
    const st = lstatSync(dir);
    if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o077) !== 0) return `${dir} is not a private directory of ${me} (owner uid ${st.uid}, mode ${(st.mode & 0o777).toString(8)})`;
    const sock = lstatSync(join(dir, 'sock'));
    if (!sock.isSocket() || sock.uid !== uid) return `${join(dir, 'sock')} is not ${me}'s tmux socket`;
  } catch {
    return `no detached TUI in ${dir} (it ended)`;
  }
  return (await liveTuiAt(dir)) ?? `the TUI of ${dir} has ended`;
}
