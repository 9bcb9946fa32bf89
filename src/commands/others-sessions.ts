/**
 * Other users' unfinished sessions, for root: an operator who arrived as ssm-user left a deploy
 * blocked at its health check; a colleague who is root on the same host runs `stepgate sessions`
 * and was told nothing of it, and might start the deploy again beside it. Journals live in their
 * owner's home, so root lists them by running `stepgate sessions --json` as that owner (with
 * the owner's HOME), never reading files another user controls with root's rights. Only users
 * with the default state directory (`~/.local/state/stepgate/sessions`) are found: their
 * environment (XDG_STATE_HOME, STEPGATE_STATE_DIR) is not known here.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runInOwnSession } from '../exec/own-session.js';
import { asUser, localUsers, targetUserEnv, type RunAs } from '../exec/run-as.js';
import { stateAt } from '../session/state-phrase.js';
import { displayWord, printable } from '../session/printable.js';
import { isSessionId } from '../session/session-paths.js';
import { selfCommand, selfInvocation } from './attach-other.js';

/** What `sessions --json` says of one session, as far as a note needs it. */
interface Listed {
  id: string;
  runbook: string;
  state: string;
  at?: string;
  finished: boolean;
  empty: boolean;
  detached?: boolean;
  runningPid?: number;
}

/**
 * A state as `sessions` words it (blocked, interrupted (terminal closed, SIGHUP), in progress,
 * running (pid 123)...): shown bare; anything else the listing says is quoted.
 */
const KNOWN_STATE = /^[a-z][a-z -]{0,40}(?: \([a-zA-Z0-9 ,]{1,60}\))?$/;

/** Users whose sessions are listed at most, and how many listings run at once. */
const MAX_USERS = 12;
const AT_ONCE = 4;
/** Sessions named per user at most; the rest are counted. */
const PER_USER = 3;
/** A listing that takes longer is given up on (a user's broken home on a network mount). */
const LIST_MS = 10_000;

/**
 * One note line per unfinished session of another local user (newest first), and one per user
 * whose sessions could not be listed. Empty unless root: nobody else may read other homes.
 */
export async function othersSessionNotes(self: string[] = selfCommand(), invocation = selfInvocation(self)): Promise<string[]> {
  const uid = process.getuid?.();
  if (uid !== 0) return [];
  const owners = (await localUsers()).filter((u) => u.uid !== uid && u.home.startsWith('/') && u.home !== '/' && existsSync(join(u.home, '.local', 'state', 'stepgate', 'sessions')));
  // A stepgate start each: a few at a time, and a host with many such users gets a count.
  const notes: string[] = [];
  const asked = owners.slice(0, MAX_USERS);
  for (let i = 0; i < asked.length; i += AT_ONCE) {
    const batch = await Promise.all(asked.slice(i, i + AT_ONCE).map((owner) => notesOf(owner.user, owner.uid, owner.gid, owner.home, self, invocation)));
    notes.push(...batch.flat());
  }
  const rest = owners.length - asked.length;
  if (rest > 0) notes.push(`note: and ${rest} more user${rest === 1 ? '' : 's'} with stepgate sessions on this host, not looked at`);
  return notes;
}

async function notesOf(user: string, uid: number, gid: number, home: string, self: string[], invocation: string): Promise<string[]> {
  const owner: RunAs = { user, uid, gid, home, shell: '/bin/sh', mode: 'runuser', invoker: 'root' };
  const command = asUser(owner, [...self, 'sessions', '--json']);
  // The owner's own view of their sessions: their HOME, nothing of root's environment that moves
  // the state directory or changes how stepgate runs.
  const listed = await listAs(command.file, command.args, targetUserEnv(owner, process.env));
  const who = printable(user);
  // What listed their sessions just now runs as them: the notes name it, not a `stepgate` their
  // PATH may not have.
  const stepgate = printable(invocation);
  if (typeof listed === 'string') return [`note: cannot list ${who}'s sessions: ${printable(listed)}`];
  // A detached TUI of theirs is said by its own note (stepgate attach); an unfinished session
  // that a newer one of the same runbook followed is history (newest first here).
  const newer = new Set<string>();
  const open = listed.filter((s) => {
    const followed = newer.has(s.runbook);
    if (!s.empty) newer.add(s.runbook);
    return !s.finished && !s.empty && s.detached !== true && !followed;
  });
  const named = open.slice(0, PER_USER).map((s) => {
    // The id goes into a command to copy: a session id or nothing. The path, state and step are
    // the user's words: each shown as one unit (displayWord), never as stepgate's sentence.
    const id = s.id;
    const book = displayWord(s.runbook);
    if (s.runningPid !== undefined) return `note: ${who} is running session ${id} (${book}) on this host, pid ${s.runningPid}`;
    const state = KNOWN_STATE.test(s.state) ? s.state : displayWord(s.state);
    const where = stateAt(state, s.at === undefined ? undefined : displayWord(s.at));
    // Not `sudo -u USER -i ...`: that runs the user's login files on root's terminal, where a
    // process they leave can type into it once root's shell is back (a review ran `id` as root
    // that way) or set its clipboard. Root is told to log in as them instead.
    return `note: ${who} left session ${id} (${book}) ${where}: it resumes as ${who}: log in as ${who} and run ${stepgate} resume ${id}`;
  });
  const more = open.length - named.length;
  return more > 0 ? [...named, `note: and ${more} older unfinished session${more === 1 ? '' : 's'} of ${who} (${stepgate} sessions, logged in as ${who}, lists them)`] : named;
}

/** The owner's `sessions --json`, parsed, or why not. */
async function listAs(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<Listed[] | string> {
  const ran = await runInOwnSession(file, args, { timeoutMs: LIST_MS, env });
  if (ran.error) return ran.error.message;
  if (ran.code !== 0) return `stepgate as that user ended with ${ran.code ?? ran.signal}${whyFrom(ran.stderr)}`;
  try {
    const parsed: unknown = JSON.parse(ran.stdout);
    return Array.isArray(parsed) ? parsed.flatMap(listedOf) : 'not a list';
  } catch (e) {
    return (e as Error).message;
  }
}

/**
 * The line of a failed listing's stderr that says why: stepgate's own, or node's error (a
 * stepgate installed where that user cannot read it: `Error: Cannot find module ...`).
 */
function whyFrom(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('Node.js v'));
  const said = lines.find((l) => l.startsWith('stepgate:') || /^[A-Za-z]*Error\b/.test(l)) ?? lines.pop();
  return said === undefined ? '' : `: ${said}`;
}

/**
 * One entry of the owner's listing, checked field by field: it comes from a process that runs
 * as that user, who can make it print anything (a debugger attached to their own process).
 */
function listedOf(value: unknown): Listed[] {
  if (typeof value !== 'object' || value === null) return [];
  const v = value as Record<string, unknown>;
  const text = (x: unknown): string | undefined => (typeof x === 'string' ? x.slice(0, 500) : undefined);
  const id = text(v['id']);
  const runbook = text(v['runbook']);
  const state = text(v['state']);
  if (id === undefined || !isSessionId(id) || runbook === undefined || state === undefined) return [];
  const at = text(v['at']);
  const pid = v['runningPid'];
  return [
    {
      id,
      runbook,
      state,
      ...(at !== undefined ? { at } : {}),
      finished: v['finished'] === true,
      empty: v['empty'] === true,
      detached: v['detached'] === true,
      ...(typeof pid === 'number' && Number.isSafeInteger(pid) && pid > 0 ? { runningPid: pid } : {}),
    },
  ];
}
