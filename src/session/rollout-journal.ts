/**
 * Rollout journals: `rollouts/<id>.jsonl` under stepgate's state directory, kept as a session's
 * journal is. Each line is fsync'd before the command moves on, carries the hash chain of
 * `journal-chain.ts` (an HMAC under the rollout's own key, `<id>.key`, 0600, beside it) and is
 * schema-checked as read (`rolloutEventProblem`), so an edited rollout record (a failed
 * instance turned into a success) is said by `log` and `report` with file:line, and `fleet
 * status` and `fleet cancel` refuse it (they act on the command id it names). Its verdict is
 * the session journal's (`chain-verdict.ts`): a journal without key and macs is edited too.
 *
 * Appends are stateless (the last line is read back each time, under the journal's lock):
 * `fleet run` and a `fleet status` or `fleet cancel` in another process all append to the
 * same journal, and each must chain from what the file holds, not from what it wrote last.
 */
import { closeSync, existsSync, fstatSync, fsyncSync, ftruncateSync, readSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { RolloutEvent } from '../fleet/rollout.js';
import { rolloutEventProblem } from './event-schema.js';
import { chainLine, chainSeed, newChainKey, nextPrev, splitChained, type ChainBreak, type ChainStatus } from './journal-chain.js';
import { chainBreaks, verifyJournalLines, type Acceptance } from './chain-verdict.js';
import { isSessionId, newSessionId, stateDir } from './session-paths.js';
import { matchJournalId, matchSessionId, type JournalIds, type SessionIdMatch } from './session-id-match.js';
import { createPrivateFile, ensurePrivateDir, openPrivateAppend, openPrivateRead } from './private-files.js';
import { writeAllSync } from '../exec/write-all.js';
import { describeError } from '../errors.js';
import { describeHolder, HostLock, lockHolder, type LockHolder } from '../exec/lock.js';

export const ROLLOUT_ID = /^fleet-\d{8}-\d{6}-[0-9a-f]{6}$/;

export function rolloutsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'rollouts');
}

const ROLLOUT_IDS: JournalIds = { noun: 'rollout', example: 'fleet-20250101-120000-a1b2c3', prefix: 'fleet-', isId: (text) => ROLLOUT_ID.test(text) };

/** The rollout `given` names by part of its id, as a session is named (`session-id-match.ts`). */
export function matchRolloutId(given: string, env: NodeJS.ProcessEnv = process.env): Promise<SessionIdMatch> {
  return matchJournalId(ROLLOUT_IDS, rolloutsDir(env), given, `ls ${rolloutsDir(env)}`);
}

/**
 * What `log` and `report` were given: a session or a rollout, whole or by part. `fleet-...`
 * is a rollout's; another part is a session's, or a rollout's when it names no session, and
 * refused when it names one of each.
 */
export async function matchTrailId(sessions: string, given: string, env: NodeJS.ProcessEnv = process.env): Promise<{ session: string } | { rollout: string } | { refused: string }> {
  if (given.startsWith('fleet-')) {
    const rollout = await matchRolloutId(given, env);
    return 'id' in rollout ? { rollout: rollout.id } : rollout;
  }
  const session = await matchSessionId(sessions, given);
  if ('refused' in session && session.none !== true) return session;
  const rollout = isSessionId(given) ? undefined : await matchRolloutId(given, env);
  if (rollout && 'id' in rollout) {
    return 'id' in session ? { refused: `${given} names session ${session.id} and rollout ${rollout.id}; give more of the id` } : { rollout: rollout.id };
  }
  return 'id' in session ? { session: session.id } : session;
}

/** A session id's shape (start time to the millisecond, then random) behind `fleet-`. */
export function newRolloutId(now: number): string {
  return `fleet-${newSessionId(now)}`;
}

export function rolloutPath(id: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(rolloutsDir(env), `${id}.jsonl`);
}

function keyPath(id: string, env: NodeJS.ProcessEnv): string {
  return join(rolloutsDir(env), `${id}.key`);
}

function readText(path: string): string | undefined {
  let fd: number;
  try {
    fd = openPrivateRead(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const buffer = Buffer.alloc(fstatSync(fd).size);
    let got = 0;
    while (got < buffer.length) {
      const n = readSync(fd, buffer, got, buffer.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buffer.subarray(0, got).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function readKey(id: string, env: NodeJS.ProcessEnv): Buffer | undefined {
  const text = readText(keyPath(id, env))?.trim();
  return text !== undefined && /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
}

/** The rollout's key: read, or created with its first event. */
function keyFor(id: string, env: NodeJS.ProcessEnv): Buffer | undefined {
  const existing = readKey(id, env);
  if (existing) return existing;
  // A journal with lines but no key lost it (or was never chained): it goes on unchained, as a
  // session resumed without its key does (a new key would vouch for lines nobody verified), and
  // every fleet status or cancel of it needs --accept-edited-journal.
  if (existsSync(rolloutPath(id, env))) return undefined;
  const key = newChainKey();
  const fd = createPrivateFile(keyPath(id, env));
  try {
    writeAllSync(fd, `${key.toString('hex')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return key;
}

/** How long an append waits for another process's append (each is one read and one write). */
const APPEND_WAIT_MS = 15_000;

/**
 * The journal's append lock (`exec/lock.ts`: an abstract socket the kernel frees when its
 * holder dies, SIGKILL included, so a crashed appender never leaves it held). Named by the
 * journal's real path, so every way of naming the state directory meets the same lock.
 */
async function appendLock(id: string, env: NodeJS.ProcessEnv): Promise<HostLock> {
  const path = join(realpathSync(rolloutsDir(env)), `${id}.jsonl`);
  const name = `rollout-journal:${path}`;
  const since = Date.now();
  const me = (): LockHolder => ({ pid: process.pid, user: env['SUDO_USER'] ?? env['USER'] ?? String(process.getuid?.() ?? '?'), host: hostname(), since });
  for (let tries = 0; ; tries++) {
    const lock = await HostLock.tryAcquire(name, me);
    if (lock) return lock;
    if (Date.now() - since > APPEND_WAIT_MS) {
      throw new Error(`cannot append to ${path}: ${describeHolder(name, await lockHolder(name))}, for over ${APPEND_WAIT_MS / 1000} s; stop that process if it is stuck, then run the command again`);
    }
    // Another append is one read and one fsync'd write: a few ms, so retry soon, spread out.
    await new Promise((resolve) => setTimeout(resolve, Math.min(40, 2 + tries * 2) + Math.random() * 5));
  }
}

/** A last line without its newline, as the next append finds it (`torn` when it does not parse). */
interface UnendedTail {
  text: string;
  /** 1-based. */
  line: number;
  torn: boolean;
}

/**
 * The file's last line when it has no newline. One that parses lost only its newline (the
 * append adds it). One that does not is a write cut short (a crash, a full disk: a write of a
 * line can be partial) and is cut off: written onto, it and the next event became one line that
 * neither parses nor verifies, the event lost to every reader, and fleet status and fleet cancel
 * refused the journal from then on.
 */
function unendedTail(text: string): UnendedTail | undefined {
  if (text === '' || text.endsWith('\n')) return undefined;
  const start = text.lastIndexOf('\n') + 1;
  const tail = text.slice(start);
  let torn = false;
  try {
    JSON.parse(splitChained(tail)?.body ?? tail);
  } catch {
    torn = true;
  }
  return { text: tail, line: text.slice(0, start).split('\n').length, torn };
}

/** What is journaled about a torn line cut off, so that `log`, `report` and `fleet status` say it. */
function tornWords(tail: UnendedTail): string {
  return `a write cut short (a crash, a full disk) left line ${tail.line} without its end (${Buffer.byteLength(tail.text)} bytes); cut off before the next event`;
}

/**
 * Appends one event, chained from the line the file ends with. `fleet run`, `fleet status` and
 * `fleet cancel` in other processes append to the same journal: the read of the last line and
 * the write of the next happen under the journal's lock, or two appenders would both chain
 * from the same line and break the chain (test/fleet/rollout-journal-race.test.ts).
 */
export async function appendRolloutEvent(id: string, event: RolloutEvent, env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (!ROLLOUT_ID.test(id)) throw new Error(`${id} is not a rollout id`);
  ensurePrivateDir(rolloutsDir(env), stateDir(env));
  const lock = await appendLock(id, env);
  try {
    const key = keyFor(id, env);
    const path = rolloutPath(id, env);
    const text = readText(path) ?? '';
    const tail = unendedTail(text);
    // What the file keeps, and what is added to it: the events, each chained from the line before.
    const kept = tail?.torn ? text.slice(0, text.length - tail.text.length) : text;
    const events: RolloutEvent[] = tail?.torn ? [{ type: 'rollout-error', at: event.at, message: tornWords(tail) }, event] : [event];
    let add = tail && !tail.torn ? '\n' : '';
    let last = kept.split('\n').filter((l) => l.trim() !== '').at(-1);
    for (const e of events) {
      const json = JSON.stringify(e);
      const line = key ? chainLine(key, nextPrev(key, last, chainSeed(key, id)), json).line : json;
      add += `${line}\n`;
      last = line;
    }
    const fd = openPrivateAppend(path);
    try {
      if (tail?.torn) ftruncateSync(fd, Buffer.byteLength(kept));
      // One write of what is added (O_APPEND): a reader never sees half of two lines mixed. A
      // write the disk cuts short is finished, or fails here: the caller must not go on (a cancel
      // sent, a rollout reported) with its event half on disk; the next append cuts that half off.
      writeAllSync(fd, add);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } finally {
    lock.release();
  }
}

export interface RolloutRead {
  path: string;
  events: RolloutEvent[];
  /** Lines that are not rollout events, with why (file:line for the operator). */
  bad: Array<{ line: number; error: string }>;
  /** A last line without its newline that does not parse: a crash mid-write. */
  torn?: { line: number; bytes: number };
  /** As a session journal's (`chain-verdict.ts`), breaks an `edits-accepted` settled left out. */
  chain: ChainStatus;
}

/** The rollout's journal, schema-checked and its chain verified; undefined when there is none. */
export function readRolloutJournal(id: string, env: NodeJS.ProcessEnv = process.env): RolloutRead | undefined {
  const path = rolloutPath(id, env);
  const text = readText(path);
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text === '';
  if (endsClean) lines.pop();
  const read: RolloutRead = { path, events: [], bad: [], chain: { kind: 'unchained' } };
  // What the chain covers, by file line: every line that parses (blank lines and a torn last one are left out).
  const covered: Array<string | undefined> = lines.map(() => undefined);
  const acceptances: Acceptance[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const last = i === lines.length - 1 && !endsClean;
    let value: unknown;
    try {
      value = JSON.parse(splitChained(line)?.body ?? line);
    } catch (err) {
      if (last) read.torn = { line: i + 1, bytes: Buffer.byteLength(line) };
      else {
        read.bad.push({ line: i + 1, error: describeError(err) });
        covered[i] = line;
      }
      return;
    }
    covered[i] = line;
    const problem = rolloutEventProblem(value);
    if (problem !== undefined) read.bad.push({ line: i + 1, error: problem });
    else {
      const event = value as RolloutEvent;
      read.events.push(event);
      if (event.type === 'edits-accepted') acceptances.push({ at: i + 1, edits: event.edits });
    }
  });
  read.chain = verifyJournalLines(covered, readKey(id, env), id, acceptances);
  return read;
}

/** The events alone, unverified (for tests and readers that check nothing against AWS). */
export function readRollout(id: string, env: NodeJS.ProcessEnv = process.env): RolloutEvent[] | undefined {
  return readRolloutJournal(id, env)?.events;
}

/**
 * The chain's breaks as the operator should hear them, or [] when it holds: the session
 * journal's verdict (`chain-verdict.ts`), so a rollout journal without its key and macs is
 * broken at line 1, not "from before the chain".
 */
export function rolloutChainProblems(read: RolloutRead): ChainBreak[] {
  return chainBreaks(read.chain, { kind: 'rollout', keyPath: read.path.replace(/\.jsonl$/, '.key'), empty: read.events.length === 0 && read.bad.length === 0 });
}
