/**
 * Which of the newest sessions may be of a given runbook, from the first 16 KB of each journal
 * (its session-started line names the runbook's path): the cheap first pass before a journal is
 * read whole. A journal of up to 1 MB without any event after which a session is worth
 * resuming (a TUI opened and quit before anything ran, which every such start leaves) is no
 * candidate: each used to be read whole, verified and replayed before the first frame.
 *
 * Kept apart from history.ts so that the TUI's launcher can ask it without loading the reducer
 * and the journal reader (issue 14: the launcher sits on the path to the first frame, and a
 * runbook never run before has no session to offer).
 */
import { closeSync, fstatSync, readSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { journalPath, listSessionIds } from './session-paths.js';
import { openPrivateRead } from './private-files.js';

/**
 * The events after which a session is worth keeping in view (a step ran, an operator decided,
 * it was discarded): history.ts's somethingHappened reads the parsed events for the same types.
 */
export const HAPPENED_TYPES: readonly string[] = ['step-started', 'decision', 'session-discarded'];

/** Each as the journal's JSON writes it (JSON.stringify, no spaces). */
const HAPPENED_MARKERS = HAPPENED_TYPES.map((type) => `"type":${JSON.stringify(type)}`);

/** How many of the newest sessions are looked through for an unfinished one. */
const RECENT_SESSIONS = 50;

/** The file's real path (symlinks resolved), or the path as given when it cannot be resolved (gone). */
export function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * Ids of the newest sessions (newest first) whose journal's head names a file called as `file`
 * is, or as the file it resolves to, and in which something may have happened: candidates only
 * (the caller reads each whole to match the real path and replay it).
 */
export async function recentSessionsNaming(dir: string, file: string): Promise<string[]> {
  const names = [...new Set([basename(file), basename(realPath(file))])].map((name) => JSON.stringify(`/${name}`).slice(1));
  const ids = (await listSessionIds(dir)).slice(-RECENT_SESSIONS).reverse();
  const out: string[] = [];
  for (const id of ids) if (mayBeCandidate(journalPath(dir, id), names)) out.push(id);
  return out;
}

const HEAD_BYTES = 16 * 1024;

/**
 * How much of a journal is searched for HAPPENED_TYPES. Its session-started line alone holds
 * the whole plan (21 KB for a 41-step runbook), so the head is not enough; a longer journal is
 * a candidate unread (the caller's whole read decides).
 */
const SEARCHED_BYTES = 1024 * 1024;

/**
 * The first 16 KB of the file (its session-started line, or most of it) holds one of `texts`,
 * and the file names one of HAPPENED_TYPES or is too long to search. A marker found inside
 * some value only costs the caller's whole read; a journal without any cannot hold such an event.
 * One read: the whole file when it is short enough to search, else its head alone.
 *
 * Synchronous: the caller waits for the answer with nothing else to do, and on a loaded
 * machine each asynchronous read waited for a thread-pool turn (50 journals: 25 ms idle).
 */
function mayBeCandidate(path: string, texts: readonly string[]): boolean {
  let fd: number | undefined;
  try {
    fd = openPrivateRead(path);
    const { size } = fstatSync(fd);
    const searched = size <= SEARCHED_BYTES;
    // A live session's journal may grow after the stat: a short one is read past its size too,
    // so that the head is never less than HEAD_BYTES of what is there, and growth is seen.
    const buffer = Buffer.alloc(searched ? Math.max(size + 1, HEAD_BYTES) : HEAD_BYTES);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, Math.min(read, HEAD_BYTES)).toString('utf8');
    if (!texts.some((text) => head.includes(text))) return false;
    if (!searched) return true;
    // Grown since the stat: what was read may lack its latest events.
    if (read !== size || fstatSync(fd).size !== size) return true;
    const text = buffer.subarray(0, read).toString('utf8');
    return HAPPENED_MARKERS.some((marker) => text.includes(marker));
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
