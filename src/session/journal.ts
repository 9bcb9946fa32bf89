/**
 * The audit journal: one JSON line per session event in
 * `$STEPGATE_STATE_DIR/sessions/<id>.jsonl`, fsync'd before the engine moves on, plus a raw
 * (redacted) transcript per step run in `sessions/<id>/`. Directories 0700, files 0600.
 * Where these live is `session-paths.ts`; reading a journal back `journal-read.ts`; the
 * one-process-per-session lock `session-lock.ts`.
 */
import { closeSync, fdatasync, fsyncSync, readFileSync } from 'node:fs';
import { writeAllSync } from '../exec/write-all.js';
import { readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ShellSnapshot } from '../exec/types.js';
import { createKey, readKey } from './chain-key.js';
import { WriteBatch } from './write-batch.js';
import { chainLine, chainSeed, nextPrev } from './journal-chain.js';
import { completeLines } from './journal-read.js';
import { createPrivateHandle, ensurePrivateDir, openPrivateAppend, openPrivateAppendHandle, openPrivateReadHandle, syncDirectory } from './private-files.js';
import { chainKeyPath, isSessionId, journalPath, shellStatePath } from './session-paths.js';
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
 * mkdir -p with 0700 on every directory this creates; an existing one must already be private
 * (see `private-files.ts`: nothing that existed is chmod'ed).
 */
async function privateDir(dir: string, root?: string): Promise<void> {
  ensurePrivateDir(dir, root);
  return Promise.resolve();
}

/**
 * Written since the last fsync, past which the transcript is fsync'd in the background while
 * the step goes on: the fsync at its end then has only the tail to write. A flood of 250 MB
 * otherwise left it all to that last fsync, about 100 ms with the event loop blocked.
 */
const SYNC_EVERY_CHARS = 16 * 1024 * 1024;

class FileTranscript implements TranscriptSink {
  private fd: number | undefined;
  private readonly batch: WriteBatch;
  private unsynced = 0;
  /** The background fsync under way; the file is not closed under it. */
  private syncing: Promise<void> | undefined;
  /**
   * A write that failed (a full disk, a size limit) in a batch flushed on a later turn of the
   * loop, where nothing could catch it: it ended stepgate with an uncaught exception (a review
   * ran a 3 MB step under a 1 MB file-size limit). The next write or the close throws it, to
   * the step runner, which warns once and goes on without the transcript.
   */
  private failed: unknown;

  constructor(readonly path: string) {
    const fd = openPrivateAppend(path);
    this.fd = fd;
    this.batch = new WriteBatch((text) => {
      if (this.failed !== undefined) return;
      try {
        writeAllSync(fd, text);
      } catch (error) {
        this.failed = error;
        return;
      }
      this.unsynced += text.length;
      if (this.unsynced >= SYNC_EVERY_CHARS && this.syncing === undefined) this.syncInBackground(fd);
    });
  }

  private syncInBackground(fd: number): void {
    this.unsynced = 0;
    // Only to get ahead of the closing fsync, which still decides: an error here is its to report.
    this.syncing = new Promise<void>((resolve) => fdatasync(fd, () => resolve())).then(() => {
      this.syncing = undefined;
    });
  }

  write(text: string): void {
    if (this.fd === undefined) return;
    if (this.failed !== undefined) throw this.failed;
    this.batch.write(text);
  }

  async close(): Promise<void> {
    if (this.fd === undefined) return;
    const fd = this.fd;
    this.batch.flush();
    this.fd = undefined;
    await this.syncing;
    try {
      if (this.failed !== undefined) throw this.failed;
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/** The on-disk journal. Appends are serialised: a second event never overtakes the first. */
export class FileJournal implements Journal {
  private handle: FileHandle | undefined;
  private chain: Promise<void> = Promise.resolve();
  /** Settles when the chain key and the directory entries are on disk; every append waits for it. */
  private keyDurable: Promise<void> = Promise.resolve();
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
    // A new session's journal is empty: nothing to read back.
    const text = (await journal.handle.stat()).size === 0 ? '' : await readFile(journal.path, 'utf8');
    const lines = completeLines(text).filter((l) => l.trim() !== '');
    const keyPath = chainKeyPath(dir, id);
    // The new files' directory entries must survive a crash too, not only their contents.
    const syncDir = () => syncDirectory(dir);
    if (lines.length === 0) {
      const created = await createKey(keyPath, syncDir);
      journal.key = created.key;
      // The fsyncs go on while the session starts; the first append waits for them.
      journal.keyDurable = created.durable;
      journal.keyDurable.catch(() => undefined);
    } else {
      journal.key = await readKey(keyPath);
      await syncDir();
    }
    if (journal.key) journal.prev = nextPrev(journal.key, lines.at(-1), chainSeed(journal.key, id));
    return journal;
  }

  append(event: SessionEvent): Promise<void> {
    const next = this.chain.then(async () => {
      if (!this.handle) throw new Error(`journal ${this.path} is closed`);
      await this.keyDurable;
      const json = JSON.stringify(event);
      const chained = this.key ? chainLine(this.key, this.prev, json) : undefined;
      const handle = this.handle;
      const before = (await handle.stat()).size;
      try {
        const bytes = Buffer.from(`${chained ? chained.line : json}\n`);
        // One write(2), which a full disk may cut short without an error.
        const { bytesWritten } = await handle.write(bytes);
        if (bytesWritten !== bytes.length) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
        await handle.sync();
      } catch (error) {
        // A full disk may have taken part of the line: cut it off, so the journal ends with the last
        // whole event (a torn line reads as an edit of the chain) and the failure is the caller's.
        await handle.truncate(before).catch(() => undefined);
        throw error;
      }
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
      // writeFile, not write: one write(2) may take part of it (a full disk), and the rename would put the part in place.
      await handle.writeFile(`${JSON.stringify(snapshot)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    // The rename must survive a power loss too: the journal (fsync'd) may already say later
    // steps finished, and a resume would restore the state from before them.
    await syncDirectory(this.dir);
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
    await this.keyDurable.catch(() => undefined);
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}
