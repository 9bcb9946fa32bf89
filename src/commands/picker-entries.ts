/**
 * What the TUI's picker lists: the sessions worth resuming (newest first, a detached one or one
 * another live stepgate holds said as running) and the runbooks of a directory with their step
 * counts and lint errors.
 */
import { basename, resolve } from 'node:path';
import { lintRunbook, type Runbook } from '../runbooks/index.js';
import { reachableSteps } from '../runbooks/reach.js';
import { listSessions, superseded, worthResuming } from '../session/history.js';
import { sessionsDir } from '../session/session-paths.js';
import { detachedState } from '../session/state-phrase.js';
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
  const books = new Map<string, Runbook>();
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
      books.set(resolve(file), runbook);
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
    const state = detached.has(s.id) ? detachedState(s.state, `stepgate attach ${s.id}`) : pid !== undefined ? `running (pid ${pid})` : s.state;
    const entry: PickerEntry = { kind: 'session', id: s.id, file: s.runbook, title: titles.get(resolve(s.runbook)) ?? basename(s.runbook), state };
    if (s.at !== undefined) entry.at = s.at;
    if (s.startedAt !== undefined) entry.startedAt = s.startedAt;
    return entry;
  });
  // A checklist or recovery runbook is listed as part of the runbook that reaches it (a trial
  // took recovery.md for a procedure to start on its own), after the runbooks that are not.
  const parts = partsOf(books, cache);
  for (const entry of entries) {
    if (entry.kind !== 'runbook') continue;
    const of = parts.get(entry.file);
    if (of !== undefined) entry.partOf = of;
  }
  const own = entries.filter((e) => e.kind !== 'runbook' || e.partOf === undefined);
  const reached = entries.filter((e) => e.kind === 'runbook' && e.partOf !== undefined);
  return [...resumable, ...own, ...reached];
}

/** `checklist of deploy.md`, `recovery of deploy.md` for each listed runbook another listed one reaches. */
function partsOf(books: ReadonlyMap<string, Runbook>, load: (file: string) => Runbook | undefined): Map<string, string> {
  const roles = new Map<string, Set<string>>();
  for (const [file, book] of books) {
    for (const reached of reachableSteps(book, load)) {
      const other = resolve(reached.file);
      if (other === file || !books.has(other) || reached.role === 'main') continue;
      const what = `${reached.role === 'recovery' ? 'recovery' : 'checklist'} of ${basename(file)}`;
      const set = roles.get(other) ?? new Set<string>();
      set.add(what);
      roles.set(other, set);
    }
  }
  return new Map([...roles].map(([file, set]) => [file, [...set].join(', ')]));
}
