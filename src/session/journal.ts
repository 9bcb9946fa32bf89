/**
 * The audit journal: one JSON line per session event in
 * `$STEPGATE_STATE_DIR/sessions/<id>.jsonl`, fsync'd before the engine moves on, plus a raw
 * (redacted) transcript per step run in `sessions/<id>/`. Directories 0700, files 0600.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, readFileSync, writeSync } from 'node:fs';
import { open, readFile, readdir, realpath, rename, rm, lstat, truncate } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { homedir, hostname, userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { HostLock, lockHolder } from '../exec/lock.js';
import type { ShellSnapshot } from '../exec/types.js';
import { eventProblem } from './event-schema.js';
import { chainLine, chainSeed, newChainKey, nextPrev, splitChained, verifyChain, type ChainBreak, type ChainStatus } from './journal-chain.js';
import { createPrivateHandle, ensurePrivateDir, openPrivateAppend, openPrivateAppendHandle, openPrivateReadHandle } from './private-files.js';
import { parseSnapshot } from './shell-state.js';
import type { SessionEvent } from './types.js';
import { describeError } from '../errors.js';

/** Receives a step's output as it arrives. */
export interface TranscriptSink {
  /** Where it is written, for the journal; undefined for in-memory sinks. */
  readonly path?: string;
  write(text: string): void;
  close(): Promise<void>;
}

/** Where session events go. The engine awaits `append` before acting on an event. */
export interface Journal {
  readonly id: string;
  /** Durable when the promise resolves (written and fsync'd for the file journal). */
  append(event: SessionEvent): Promise<void>;
  /** A transcript for one run of one step; `name` is file-name safe. */
  openTranscript(name: string): Promise<TranscriptSink>;
  close(): Promise<void>;
  /**
   * Keeps the session shell's last known state for a resume, replacing the one kept before.
   * It must outlive the stepgate process (SIGKILL, a dropped SSM session). Optional: without
   * it a resumed session starts from a fresh shell.
   */
  saveShell?(snapshot: ShellSnapshot): Promise<void>;
  /** The state `saveShell` kept, if any (undefined for sessions from before it existed). */
  loadShell?(): Promise<ShellSnapshot | undefined>;
  /** Forgets the kept state: the session has ended. */
  removeShell?(): Promise<void>;
}

/**
 * `$STEPGATE_STATE_DIR`, else `$XDG_STATE_HOME/stepgate`, else `~/.local/state/stepgate`.
 */
export function stateDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env['STEPGATE_STATE_DIR']) return env['STEPGATE_STATE_DIR'];
  const xdg = env['XDG_STATE_HOME'];
  return join(xdg ? xdg : join(env['HOME'] || homedir(), '.local', 'state'), 'stepgate');
}

export function sessionsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'sessions');
}

export function journalPath(dir: string, id: string): string {
  return join(dir, `${id}.jsonl`);
}

/** The session shell's last known cwd and exports, kept for a resume (see `Journal.saveShell`). */
export function shellStatePath(dir: string, id: string): string {
  return join(dir, `${id}.shell.json`);
}

/** The session's chain key (see `journal-chain.ts`), 0600 beside the journal. */
export function chainKeyPath(dir: string, id: string): string {
  return join(dir, `${id}.key`);
}

async function readKey(path: string): Promise<Buffer | undefined> {
  let handle;
  try {
    handle = await openPrivateReadHandle(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    const text = (await handle.readFile('utf8')).trim();
    return /^[0-9a-f]{64}$/.test(text) ? Buffer.from(text, 'hex') : undefined;
  } finally {
    await handle.close();
  }
}

/** Creates the key of a new session; one left by a crash before the first event is kept. */
async function createKey(path: string): Promise<Buffer> {
  const key = newChainKey();
  let handle;
  try {
    handle = await createPrivateHandle(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      const existing = await readKey(path);
      if (existing) return existing;
      await rm(path, { force: true });
      handle = await createPrivateHandle(path);
    } else throw err;
  }
  try {
    await handle.write(`${key.toString('hex')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return key;
}

/** Sortable and unguessable enough to not collide: `20250101-120000-a1b2c3`. */
export function newSessionId(now: number): string {
  const iso = new Date(now).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

const SESSION_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;

export function isSessionId(text: string): boolean {
  return SESSION_ID.test(text);
}

/**
 * mkdir -p with 0700 on every directory this creates; an existing one must already be private
 * (see `private-files.ts`: nothing that existed is chmod'ed).
 */
async function privateDir(dir: string, root?: string): Promise<void> {
  ensurePrivateDir(dir, root);
  return Promise.resolve();
}

class FileTranscript implements TranscriptSink {
  private fd: number | undefined;

  constructor(readonly path: string) {
    this.fd = openPrivateAppend(path);
  }

  write(text: string): void {
    if (this.fd === undefined || text === '') return;
    writeSync(this.fd, text);
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.fd = undefined;
    fsyncSync(fd);
    closeSync(fd);
  }
}

/** The on-disk journal. Appends are serialised: a second event never overtakes the first. */
export class FileJournal implements Journal {
  private handle: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** The chain key; undefined for a journal from before the chain, continued as it was. */
  private key: Buffer | undefined;
  /** The mac the next line chains from. */
  private prev = '';

  private constructor(
    readonly id: string,
    readonly dir: string,
    readonly path: string,
  ) {}

  /** Opens (creating if needed) the journal of session `id` under `dir` for appending. */
  static async open(dir: string, id: string): Promise<FileJournal> {
    if (!isSessionId(id)) throw new Error(`not a session id: ${id}`);
    await privateDir(dir);
    const journal = new FileJournal(id, dir, journalPath(dir, id));
    journal.handle = await openPrivateAppendHandle(journal.path);
    const text = await readFile(journal.path, 'utf8');
    const lines = completeLines(text).filter((l) => l.trim() !== '');
    const keyPath = chainKeyPath(dir, id);
    journal.key = (await readKey(keyPath)) ?? (lines.length === 0 ? await createKey(keyPath) : undefined);
    if (journal.key) journal.prev = nextPrev(journal.key, lines.at(-1), chainSeed(journal.key, id));
    // The new file's directory entry must survive a crash too, not only its contents.
    const parent = await open(dir, 'r');
    try {
      await parent.sync();
    } finally {
      await parent.close();
    }
    return journal;
  }

  append(event: SessionEvent): Promise<void> {
    const next = this.chain.then(async () => {
      if (!this.handle) throw new Error(`journal ${this.path} is closed`);
      const json = JSON.stringify(event);
      const chained = this.key ? chainLine(this.key, this.prev, json) : undefined;
      await this.handle.write(`${chained ? chained.line : json}\n`);
      await this.handle.sync();
      // Only a line that reached the file moves the chain on.
      if (chained) this.prev = chained.mac;
    });
    // A failed append must not wedge later ones; the caller still sees the failure.
    this.chain = next.catch(() => undefined);
    return next;
  }

  async openTranscript(name: string): Promise<TranscriptSink> {
    const dir = join(this.dir, this.id);
    await privateDir(dir, this.dir);
    return new FileTranscript(join(dir, `${name.replace(/[^\w.-]+/g, '_')}.log`));
  }

  /**
   * Written by stepgate itself (never by the shell's user, who may be another account), 0600,
   * through a temporary file and a rename, so a crash mid-write leaves the previous state.
   */
  async saveShell(snapshot: ShellSnapshot): Promise<void> {
    const path = shellStatePath(this.dir, this.id);
    const temp = `${path}.tmp`;
    // A temporary left by a crash is removed (unlink removes a planted link, not its target).
    await rm(temp, { force: true });
    const handle = await createPrivateHandle(temp);
    try {
      await handle.write(`${JSON.stringify(snapshot)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    // The rename must survive a power loss too: the journal (fsync'd) may already say later
    // steps finished, and a resume would restore the state from before them.
    const parent = await open(this.dir, 'r');
    try {
      await parent.sync();
    } finally {
      await parent.close();
    }
  }

  async loadShell(): Promise<ShellSnapshot | undefined> {
    let text: string;
    try {
      const handle = await openPrivateReadHandle(shellStatePath(this.dir, this.id));
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseSnapshot(text);
  }

  async removeShell(): Promise<void> {
    const path = shellStatePath(this.dir, this.id);
    await rm(`${path}.tmp`, { force: true });
    await rm(path, { force: true });
  }

  async close(): Promise<void> {
    await this.chain;
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/** A last line cut short by a crash mid-write. */
export interface TornLine {
  /** 1-based line number. */
  line: number;
  bytes: number;
}

export interface JournalRead {
  events: SessionEvent[];
  /** The 1-based line of each event in `events`. */
  lines: number[];
  torn?: TornLine;
  /** Lines that are not valid events (`event-schema.ts`), other than a torn last line. */
  bad: Array<{ line: number; error: string }>;
  /**
   * Whether the hash chain holds (`journal-chain.ts`); breaks a later resume accepted with
   * --accept-edited-journal are left out. `unchained` for a text parsed without its key.
   */
  chain: ChainStatus;
}

/** The lines of a journal that end in a newline (a last line without one may be torn). */
function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/** Parses a journal's text. A last line without its newline that does not parse is torn. */
export function parseJournal(text: string): JournalRead {
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text === '';
  if (endsClean) lines.pop();
  const out: JournalRead = { events: [], lines: [], bad: [], chain: { kind: 'unchained' } };
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    if (line.trim() === '') return;
    try {
      const value: unknown = JSON.parse(splitChained(line)?.body ?? line);
      const problem = eventProblem(value);
      if (problem !== undefined) {
        out.bad.push({ line: i + 1, error: problem });
        return;
      }
      out.events.push(value as SessionEvent);
      out.lines.push(i + 1);
    } catch (err) {
      if (last && !endsClean) out.torn = { line: i + 1, bytes: Buffer.byteLength(line) };
      else out.bad.push({ line: i + 1, error: describeError(err) });
    }
  });
  return out;
}

/** The journal at `path` with its chain verified against the session's key beside it. */
export async function readJournal(path: string): Promise<JournalRead> {
  const text = await readFile(path, 'utf8');
  const read = parseJournal(text);
  const id = basename(path, '.jsonl');
  const key = await readKey(chainKeyPath(dirname(path), id));
  const lines = completeLines(text).map((l) => (l.trim() === '' ? undefined : l));
  const chain = verifyChain(lines.filter((l): l is string => l !== undefined), key, id);
  read.chain = chain.kind === 'broken' ? withoutAccepted(chain.breaks, read, lines) : chain;
  return read;
}

/**
 * Breaks that a later `session-resumed` accepted (--accept-edited-journal) are settled: that
 * event is itself chained, so what was accepted cannot be widened afterwards.
 */
function withoutAccepted(breaks: ChainBreak[], read: JournalRead, lines: Array<string | undefined>): ChainStatus {
  // verifyChain numbered the non-empty lines; map back to file lines.
  const fileLine: number[] = [];
  lines.forEach((l, i) => {
    if (l !== undefined) fileLine.push(i + 1);
  });
  const inFile = breaks.map((b) => ({ ...b, line: fileLine[b.line - 1] ?? b.line }));
  const accepted = new Set<number>();
  read.events.forEach((event, i) => {
    if (event.type !== 'session-resumed' || !event.acceptedEdits) return;
    const at = read.lines[i] ?? 0;
    // Only an acceptance that itself verifies counts.
    if (inFile.some((b) => b.line === at)) return;
    for (const edit of event.acceptedEdits) if (edit.line < at) accepted.add(edit.line);
  });
  const left = inFile.filter((b) => !accepted.has(b.line));
  return left.length === 0 ? { kind: 'intact' } : { kind: 'broken', breaks: left };
}

/** Cuts a torn last line off so appends start on a fresh line. Returns what was cut. */
export async function dropTornTail(path: string): Promise<TornLine | undefined> {
  const text = await readFile(path, 'utf8');
  const read = parseJournal(text);
  if (!read.torn) {
    if (text !== '' && !text.endsWith('\n')) {
      // A complete event that lost only its newline: keep it, add the newline.
      const handle = await openPrivateAppendHandle(path);
      await handle.write('\n');
      await handle.sync();
      await handle.close();
    }
    return undefined;
  }
  const keep = Buffer.byteLength(text) - read.torn.bytes;
  await truncate(path, keep);
  return read.torn;
}

/** Session ids under `dir`, oldest first (ids sort by start time). */
export async function listSessionIds(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids: string[] = [];
  for (const name of names) {
    if (!name.endsWith('.jsonl')) continue;
    const id = name.slice(0, -'.jsonl'.length);
    if (isSessionId(id) && (await lstat(join(dir, name))).isFile()) ids.push(id);
  }
  return ids.sort();
}

export class SessionBusyError extends Error {}

/**
 * The host lock that keeps one process at a time on a session (see `exec/lock.ts`): the kernel
 * releases it when that process dies, so a resume after a SIGKILL finds it free and two
 * resumes never both take it. Named by the journal's real path, so it is the same for every
 * way of naming the state directory.
 */
async function sessionLockName(dir: string, id: string): Promise<string> {
  const real = await realpath(dir).catch(() => dir);
  return `session:${join(real, id)}`;
}

/** The pid of a live process holding the session's lock, if any. */
export async function sessionOwner(dir: string, id: string): Promise<number | undefined> {
  const holder = await lockHolder(await sessionLockName(dir, id));
  return holder && holder.pid !== process.pid ? holder.pid : undefined;
}

/** Takes the session's lock, or throws `SessionBusyError` naming the holder. Returns the release. */
export async function lockSession(dir: string, id: string): Promise<() => Promise<void>> {
  await privateDir(dir);
  const name = await sessionLockName(dir, id);
  const since = Date.now();
  const lock = await HostLock.tryAcquire(name, () => ({ pid: process.pid, user: loginName(), host: hostname(), since, session: id }));
  if (!lock) {
    const holder = await lockHolder(name);
    throw new SessionBusyError(holder ? `session ${id} is in use by process ${holder.pid} (${holder.user})` : `session ${id} is in use by another process`);
  }
  return async () => lock.release();
}

/** Who is at the keyboard: the login behind sudo, else the OS user. */
function loginName(): string {
  const viaSudo = process.env.SUDO_USER;
  if (viaSudo) return viaSudo;
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}

/**
 * The chain's breaks as the operator should hear them, or [] when it holds (or the journal is
 * from before the chain). A journal whose key is gone counts as broken at its first line.
 */
export function chainProblems(read: JournalRead, path: string): ChainBreak[] {
  switch (read.chain.kind) {
    case 'intact':
    case 'unchained':
      return [];
    case 'no-key':
      return [{ line: 1, what: `cannot be verified: the session key ${path.replace(/\.jsonl$/, '.key')} is missing` }];
    case 'broken':
      return read.chain.breaks;
  }
}
