/**
 * Which of the newest sessions may be of a given runbook, from the first 16 KB of each journal
 * (its session-started line names the runbook's path): the cheap first pass before a journal is
 * read whole. A journal that fits in those 16 KB and holds no event after which a session is
 * worth resuming (a TUI opened and quit before anything ran) is no candidate: every start of the
 * TUI leaves one, and each used to be read whole, verified and replayed before the first frame. Kept apart from history.ts so that the TUI's launcher can ask it without loading
 * the reducer and the journal reader (issue 14: the launcher sits on the path to the first
 * frame, and a runbook never run before has no session to offer).
 */
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { journalPath, listSessionIds } from './session-paths.js';
import { openPrivateReadHandle } from './private-files.js';

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
  for (const id of ids) if (await mayBeCandidate(journalPath(dir, id), names)) out.push(id);
  return out;
}

const HEAD_BYTES = 16 * 1024;

/**
 * The first 16 KB of the file (its session-started line, or most of it) holds one of `texts`,
 * and the file is longer than that or names one of HAPPENED_TYPES. A marker found inside some
 * value only costs a whole read; a journal without any cannot hold such an event.
 */
async function mayBeCandidate(path: string, texts: readonly string[]): Promise<boolean> {
  let handle;
  try {
    handle = await openPrivateReadHandle(path);
    const buffer = Buffer.alloc(HEAD_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, Math.min(bytesRead, HEAD_BYTES)).toString('utf8');
    if (!texts.some((text) => head.includes(text))) return false;
    return bytesRead > HEAD_BYTES || HAPPENED_MARKERS.some((marker) => head.includes(marker));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
