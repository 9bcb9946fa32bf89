/**
 * Resuming a session from its journal: the state the journal describes, the answers it
 * kept, the step a crash cut short (and its transcript, found by name), and the events that
 * bring the plan up to date with runbooks edited since. Nothing here journals or runs: the
 * store dispatches the events this returns, in order, and shows the report.
 */
import type { RestoredShell } from '../exec/types.js';
import { describeError } from '../errors.js';
import type { Runbook } from '../runbooks/model.js';
import type { TornLine } from './journal-read.js';
import { PlanError, collectRunbooks, diffPlans, replanFrame, type LoadedRunbook } from './plan.js';
import { currentItem, replay } from './reducer.js';
import { runLogOf, withTranscript, type RunLog } from './run-log.js';
import type { AcceptedEdit, PlanDiff, RunbookDigest, SessionEvent, SessionState, Who } from './types.js';
import { stepName } from './step-name.js';

/** What `resume` found and did, for the operator. */
export interface ResumeReport {
  torn?: TornLine;
  /**
   * The step that was running when stepgate stopped, if any, and the transcript of that run
   * (what it printed until then) when it is found.
   */
  interrupted?: { key: string; title: string; transcript?: string };
  /** Runbooks whose content changed since the session started, with step-level changes. */
  changed: Array<{ file: string; diff: PlanDiff }>;
  /**
   * What the new shell takes over from the one the earlier process had (its cwd and exported
   * variables, kept on disk after every step); absent when nothing was kept (a session from
   * before this was kept, or one that had run no step).
   */
  shell?: RestoredShell;
  /** Why a kept shell state is not used (steps now run as another user). */
  shellNotRestored?: string;
  /** Each step's latest run as journaled (check attempts, transcript), for the TUI's gate. */
  runs?: RunLog;
}

/** What a journal says, before anything is loaded. */
export interface Rebuilt {
  state: SessionState;
  /** The main runbook's path. */
  file: string;
  /** The latest `--as`: the start's, the one a previous resume gave, or this resume's. */
  as?: string;
  /** Answers given before the crash: non-secret ones carry their value in the journal. */
  vars: Map<string, string>;
}

/** The state a journal describes, with nothing performed. */
export function rebuild(events: readonly SessionEvent[], as: string | undefined): Rebuilt {
  const first = events[0];
  if (!first || first.type !== 'session-started') throw new Error('the journal does not begin with session-started');
  const state = replay(events, first.id);
  const vars = new Map<string, string>();
  for (const [name, answer] of Object.entries(state.answers)) {
    if (!answer.secret && answer.value !== undefined) vars.set(name, answer.value);
  }
  // What capture= steps kept: passed to the steps again, never captured anew.
  for (const [name, kept] of Object.entries(state.captured)) {
    vars.set(name, kept.value);
  }
  const rebuilt: Rebuilt = { state, file: first.frame.source.file, vars };
  const latest = as ?? state.as;
  if (latest !== undefined) rebuilt.as = latest;
  return rebuilt;
}

export interface ResumeDeps {
  loadRunbook(file: string): Promise<LoadedRunbook>;
  /** The account stepgate runs as now (steps run as it when nothing names another user). */
  account: string;
  findTranscript?: (stepId: string, attempt: number) => Promise<string | undefined>;
  now(): number;
  who(): Who;
  host: { host: string; pid: number };
}

/** One thing the store does, in order: journal an event. */
export type ResumeMove = { event: SessionEvent };

export interface Resumption {
  books: Map<string, Runbook>;
  report: ResumeReport;
  /** `session-resumed`, then a `plan-replaced` for each frame whose runbook changed. */
  moves: ResumeMove[];
}

/** The users a session's steps ran as, in the order the journal says they changed (none in journals before it was kept). */
export function journaledRunAs(events: readonly SessionEvent[]): string[] {
  const users: string[] = [];
  for (const event of events) {
    if ((event.type === 'session-started' || event.type === 'session-resumed') && event.runAs !== undefined && event.runAs !== users.at(-1)) users.push(event.runAs);
  }
  return users;
}

export function digests(found: ReadonlyMap<string, string>): RunbookDigest[] {
  return [...found.entries()].map(([path, sha256]) => ({ path, sha256 }));
}

/** Everything a resume journals and reports, from the rebuilt state and the runbooks on disk now. */
export async function resumption(
  events: readonly SessionEvent[],
  rebuilt: Rebuilt,
  options: { torn?: TornLine; as?: string; acceptedEdits?: AcceptedEdit[] },
  deps: ResumeDeps,
): Promise<Resumption> {
  const { state } = rebuilt;
  const running0 = currentItem(state);
  const report: ResumeReport = { changed: [] };
  if (options.torn) report.torn = options.torn;
  let runs = runLogOf(events);
  if (running0 && running0.step.status === 'running') report.interrupted = { key: running0.item.key, title: stepName(running0.item) };
  // A crash cut this run short (now, or before an earlier resume): no step-finished names
  // its transcript, so it is found by name.
  if (running0 && (running0.step.status === 'running' || running0.step.interrupted) && !runs.transcripts.has(running0.item.key)) {
    const transcript = await deps.findTranscript?.(running0.item.step.id, running0.step.attempts).catch(() => undefined);
    if (transcript !== undefined) {
      if (report.interrupted) report.interrupted.transcript = transcript;
      runs = withTranscript(runs, running0.item.key, transcript);
    }
  }
  report.runs = runs;
  const collected = await collectRunbooks(rebuilt.file, deps.loadRunbook);
  const books = collected.books;
  // A recovery the session is in whose link the main runbook no longer has (its step was
  // fixed and its recover= dropped): the file is still there, and the frame still runs from it.
  for (const frame of state.frames.slice(1)) {
    if (books.has(frame.init.source.file)) continue;
    const more = await collectRunbooks(frame.init.source.file, deps.loadRunbook).catch(() => undefined);
    for (const [file, book] of more?.books ?? []) if (!books.has(file)) books.set(file, book);
    for (const [file, sha] of more?.digests ?? []) if (!collected.digests.has(file)) collected.digests.set(file, sha);
  }
  const resumed: SessionEvent = { type: 'session-resumed', at: deps.now(), who: deps.who(), pid: deps.host.pid, host: deps.host.host };
  if (options.torn) resumed.tornLine = options.torn;
  if (options.acceptedEdits?.length) resumed.acceptedEdits = options.acceptedEdits;
  if (options.as !== undefined && options.as !== state.as) resumed.as = options.as;
  // Who the steps run as from here: the runbook's `user:` may have been edited since.
  const runAs = options.as ?? state.as ?? books.get(rebuilt.file)?.frontMatter.user ?? deps.account;
  if (journaledRunAs(events).at(-1) !== runAs) resumed.runAs = runAs;
  const moves: ResumeMove[] = [{ event: resumed }];
  // `session-resumed` changes neither the runbooks' digests nor a frame's plan.
  const before = new Map(state.runbooks.map((r) => [r.path, r.sha256]));
  const changedFiles = [...collected.digests.entries()].filter(([path, sha]) => before.has(path) && before.get(path) !== sha).map(([p]) => p);
  if (changedFiles.length > 0) {
    const now = digests(collected.digests);
    for (const [depth, frame] of state.frames.entries()) {
      let fresh;
      try {
        fresh = replanFrame(frame.init, books, depth === 0);
      } catch (error) {
        // Going on would run the steps as the journal had them, text the operator may have
        // removed for a reason (a review: a deleted recovery section ran its old steps under
        // --yes). Nothing is journaled yet: the session stays as it was, to restore or discard.
        const what = depth === 0 ? `its runbook ${frame.init.source.file}` : `the recovery it is in, ${frame.init.title} (${frame.init.source.file}${frame.init.source.anchor !== undefined ? `#${frame.init.source.anchor}` : ''})`;
        throw new PlanError(
          `${what} changed since the session stopped and cannot be planned again: ${describeError(error)}. Put back what the session ran, or end the session with \`stepgate discard ${state.id}\` and start again`,
        );
      }
      const diff = diffPlans(frame.init, fresh);
      // Steps that only moved change no diff, but an unnamed step's id is positional: the
      // plan must still follow the file, or an id would name another step's script.
      const same = frame.init.items.length === fresh.items.length && frame.init.items.every((it, i) => it.key === fresh.items[i]?.key && it.hash === fresh.items[i]?.hash);
      if (same) continue;
      if (diff.added.length + diff.removed.length + diff.edited.length > 0) report.changed.push({ file: frame.init.source.file, diff });
      moves.push({ event: { type: 'plan-replaced', at: deps.now(), depth, frame: fresh, diff, runbooks: now } });
    }
    for (const file of changedFiles) {
      if (!report.changed.some((c) => c.file === file)) report.changed.push({ file, diff: { added: [], removed: [], edited: [] } });
    }
  }
  return { books, report, moves };
}
