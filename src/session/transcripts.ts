/**
 * Finding and reading step transcripts on disk. A run's transcript is
 * `sessions/<id>/<seq>-<step-id>-<attempt>.log` (named by the store, written by the file
 * journal). A run that finished names its transcript in `step-finished`; a run cut short by a
 * crash never got there, so its transcript is found by name: the one with the highest
 * sequence number for that step and attempt is the latest.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** As the file journal makes a transcript name safe for a file name. */
function fileSafe(name: string): string {
  return name.replace(/[^\w.-]+/g, '_');
}

/** The latest transcript of run `attempt` of step `stepId` in `dir` (`sessions/<id>`), if any. */
export async function findTranscript(dir: string, stepId: string, attempt: number): Promise<string | undefined> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return undefined;
  }
  const suffix = `-${fileSafe(stepId)}-${attempt}.log`;
  let best: { seq: number; name: string } | undefined;
  for (const name of names) {
    if (!name.endsWith(suffix)) continue;
    const head = name.slice(0, name.length - suffix.length);
    if (!/^\d+$/.test(head)) continue;
    const seq = Number(head);
    if (!best || seq > best.seq) best = { seq, name };
  }
  return best ? join(dir, best.name) : undefined;
}

/** Default most of a transcript read back for the operator: the last 1 MiB. */
export const TRANSCRIPT_READ_LIMIT = 1 << 20;

/**
 * A transcript's text, or its last `limit` bytes with a first line saying what was left out
 * (a step that flooded its output must not fill the TUI's memory).
 */
export async function readTranscript(path: string, limit = TRANSCRIPT_READ_LIMIT): Promise<string> {
  const size = (await stat(path)).size;
  const from = Math.max(0, size - limit);
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(size - from);
    await handle.read(buffer, 0, buffer.length, from);
    const text = buffer.toString('utf8');
    if (from === 0) return text;
    // Start at a whole line; the cut may also have split a character.
    const nl = text.indexOf('\n');
    return `[stepgate] the first ${from + nl + 1} bytes are left out; the whole file: ${path}\n${text.slice(nl + 1)}`;
  } finally {
    await handle.close();
  }
}
