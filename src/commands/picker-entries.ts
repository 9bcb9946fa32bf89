/**
 * What the TUI's picker lists: the sessions worth resuming (newest first, a detached one or one
 * another live stepgate holds said as running) and the runbooks of a directory with their step
 * counts and lint errors.
 */
import { basename, resolve } from 'node:path';
import { lintRunbook } from '../runbooks/index.js';
import { listSessions, superseded, worthResuming } from '../session/history.js';
import { sessionsDir } from '../session/session-paths.js';
import { sessionOwner } from '../session/session-lock.js';
import type { PickerEntry } from '../ui/picker-model.js';
import { detachedChild, liveTuis } from './detach.js';
import { collectMarkdownFiles, createRunbookCache, loadRunbookFile, whyUnreadable } from './load.js';

/** Sessions held by a TUI that runs detached (not this one). */
export async function detachedSessionIds(): Promise<Set<string>> {
  const own = detachedChild()?.dir;
  return new Set((await liveTuis().catch(() => [])).filter((t) => t.dir !== own).flatMap((t) => (t.session ? [t.session.id] : [])));
}

export async function listEntries(dir: string): Promise<PickerEntry[]> {
  const entries: PickerEntry[] = [];
  const titles = new Map<string, string>();
  const cache = createRunbookCache();
  for (const file of collectMarkdownFiles([dir]).files) {
    try {
      const { runbook } = await loadRunbookFile(file);
      const errors = lintRunbook(runbook, { load: cache, env: process.env, whyUnreadable }).filter((d) => d.severity === 'error').length;
      const entry: PickerEntry = {
        kind: 'runbook',
        file: resolve(file),
        title: runbook.title || basename(file),
        steps: runbook.steps.length,
        checks: runbook.steps.filter((s) => s.kind === 'check').length,
        errors,
      };
      if (runbook.description !== undefined) entry.description = runbook.description;
      titles.set(resolve(file), entry.title);
      entries.push(entry);
    } catch {
      // An unreadable file is not a runbook; lint reports it.
    }
  }
  // Only sessions worth resuming: unfinished, and something ran in them. Newest first.
  const listed = await listSessions(sessionsDir()).catch(() => []);
  const old = superseded(listed);
  const sessions = listed.filter((session) => worthResuming(session) && !old.has(session.id));
  // A session whose TUI kept running after its terminal went away is attached to, not resumed.
  const detached = await detachedSessionIds();
  // Nor is one another live stepgate holds (a plain run, a TUI in another terminal): it is
  // running, not stopped where its journal ends (enter says which process has it).
  const held = await Promise.all(sessions.map((s) => sessionOwner(sessionsDir(), s.id).catch(() => undefined)));
  const owners = new Map(sessions.map((s, i) => [s.id, held[i]] as const));
  const resumable: PickerEntry[] = sessions.reverse().map((s) => {
    const pid = owners.get(s.id);
    const state = detached.has(s.id) ? `running detached (stepgate attach ${s.id})` : pid !== undefined ? `running (pid ${pid})` : s.state;
    const entry: PickerEntry = { kind: 'session', id: s.id, file: s.runbook, title: titles.get(resolve(s.runbook)) ?? basename(s.runbook), state };
    if (s.at !== undefined) entry.at = s.at;
    if (s.startedAt !== undefined) entry.startedAt = s.startedAt;
    return entry;
  });
  return [...resumable, ...entries];
}
