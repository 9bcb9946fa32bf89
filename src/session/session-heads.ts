/**
 * Which of the newest sessions may be of a given runbook, from the first 16 KB of each journal
 * (its session-started line names the runbook's path): the cheap first pass before a journal is
 * read whole. Kept apart from history.ts so that the TUI's launcher can ask it without loading
 * the reducer and the journal reader (issue 14: the launcher sits on the path to the first
 * frame, and a runbook never run before has no session to offer).
 */
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { journalPath, listSessionIds } from './session-paths.js';
import { openPrivateReadHandle } from './private-files.js';

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
 * is, or as the file it resolves to: candidates only (the caller reads each whole to match the
 * real path).
 */
export async function recentSessionsNaming(dir: string, file: string): Promise<string[]> {
  const names = [...new Set([basename(file), basename(realPath(file))])].map((name) => JSON.stringify(`/${name}`).slice(1));
  const ids = (await listSessionIds(dir)).slice(-RECENT_SESSIONS).reverse();
  const out: string[] = [];
  for (const id of ids) if (await headMentions(journalPath(dir, id), names)) out.push(id);
  return out;
}

/** The first 16 KB of the file (its session-started line, or most of it) holds one of `texts`. */
async function headMentions(path: string, texts: readonly string[]): Promise<boolean> {
  let handle;
  try {
    handle = await openPrivateReadHandle(path);
    const buffer = Buffer.alloc(16 * 1024);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead).toString('utf8');
    return texts.some((text) => head.includes(text));
  } catch {
    return false;
  } finally {
    await handle?.close();
  }
}
