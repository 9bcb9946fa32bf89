/** Where a session's files live, and the ids that name them. */
import { randomHex } from './random-hex.js';
import type { Dirent } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

/**
 * `20250101-120000-1f4a1b`: the second, then the millisecond as three hex digits, then three
 * random ones. The millisecond keeps two sessions started in one second in the order they
 * started (`resume` without an id takes the newest); the random digits keep two in one
 * millisecond apart.
 */
export function newSessionId(now: number): string {
  const iso = new Date(now).toISOString();
  const stamp = `${iso.slice(0, 10).replace(/-/g, '')}-${iso.slice(11, 19).replace(/:/g, '')}`;
  const ms = (((now % 1000) + 1000) % 1000).toString(16).padStart(3, '0');
  return `${stamp}-${ms}${randomHex(2).slice(0, 3)}`;
}

const SESSION_ID = /^[0-9]{8}-[0-9]{6}-[0-9a-f]{6}$/;

export function isSessionId(text: string): boolean {
  return SESSION_ID.test(text);
}

/** Session ids under `dir`, oldest first (ids sort by start time). */
export function listSessionIds(dir: string): Promise<string[]> {
  return listJournalIds(dir, isSessionId);
}

/** The ids of the `<id>.jsonl` journals under `dir` that `isId` takes (a session's, a rollout's), sorted. */
export async function listJournalIds(dir: string, isId: (text: string) => boolean): Promise<string[]> {
  let entries: Dirent[];
  try {
    // The directory's own types (d_type), not an lstat per journal: awaited one after another,
    // those were 140 thread-pool turns (about 45 ms) of every run's start for a user with 140
    // journals, on the way to the first step.
    entries = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const ids: string[] = [];
  for (const entry of entries) {
    if (!entry.name.endsWith('.jsonl') || !entry.isFile()) continue;
    const id = entry.name.slice(0, -'.jsonl'.length);
    if (isId(id)) ids.push(id);
  }
  return ids.sort();
}
