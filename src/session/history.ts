/**
 * Reading sessions back: which ones exist, what state each is in, and the audit trail of one
 * in words. Used by `sessions`, `log` and `resume`.
 */
import { journalPath, listSessionIds } from './session-paths.js';
import { readJournal, type JournalRead } from './journal-read.js';
import { sessionOwner } from './session-lock.js';
import { HAPPENED_TYPES, realPath, recentSessionsNaming } from './session-heads.js';
import { printable } from './printable.js';
import { currentItem, initialState, reduce, replay } from './reducer.js';
import type { RestoredShell } from '../exec/types.js';
import type { LockParty, SessionEvent, SessionState, Who } from './types.js';
import { stepName } from './step-name.js';

export interface SessionSummary {
  id: string;
  path: string;
  runbook: string;
  startedAt?: number;
  /** completed, rolled-back, aborted, blocked, interrupted, in progress, unreadable. */
  state: string;
  /** The step it stopped at, if unfinished. */
  at?: string;
  who: string;
  finished: boolean;
  torn: boolean;
  /**
   * Nothing ran and nobody decided anything (the runbook was opened to read it, then quit):
   * such a session is not resumable and `sessions` lists it only with `--all`.
   */
  empty: boolean;
  /** Lines left out as not valid events (reported by `log` with file:line). */
  bad?: number;
  /** The vars it answered, by name; a secret's value is never held (undefined). */
  answers?: Record<string, string | undefined>;
  /** The run-as user its steps take when they name none (`--as`), if one was given. */
  as?: string;
}

/** A step ran or an operator decided something (a tick, a skip, a discard): a session worth keeping in view. */
export function somethingHappened(events: readonly SessionEvent[]): boolean {
  return events.some((e) => HAPPENED_TYPES.includes(e.type));
}

/**
 * What an abort leaves, said where the session ends: an abort undoes nothing, and a trial that
 * aborted at a failing health gate was told only "aborted", with the failing release still live.
 */
export function abortedNote(state: SessionState): string | undefined {
  if (state.status.kind !== 'ended' || state.status.outcome !== 'aborted') return undefined;
  const cur = currentItem(state);
  const failed = cur?.step.status === 'failed' ? `, ${stepName(cur.item, 40)} failing` : '';
  return `Nothing was undone: the host is as the steps left it${failed}. A recovery runbook runs only when chosen.`;
}

/**
 * What a completed session passed over in its main runbook: `2 steps skipped, 1 gate
 * overridden`, or '' when nothing. "completed" alone read, on a change ticket, as every step
 * having run (a trial skipped a required step and saw only that).
 */
export function passedOver(state: SessionState): string {
  const steps = state.frames[0]?.steps ?? [];
  const count = (status: string): number => steps.filter((step) => step.status === status).length;
  const skipped = count('skipped');
  const overridden = count('overridden');
  return [
    ...(skipped > 0 ? [`${skipped} step${skipped === 1 ? '' : 's'} skipped`] : []),
    ...(overridden > 0 ? [`${overridden} gate${overridden === 1 ? '' : 's'} overridden`] : []),
  ].join(', ');
}

export function describeState(state: SessionState): { state: string; at?: string; finished: boolean } {
  const cur = currentItem(state);
  // Said in one-line lists (sessions, the picker, a lock's holder): a title is cut short.
  const at = cur ? stepName(cur.item, 40) : undefined;
  switch (state.status.kind) {
    case 'ended':
      return { state: state.status.outcome, finished: true };
    case 'blocked':
      return cur?.step.interrupted ? { state: 'interrupted', at, finished: false } : { state: 'blocked', at, finished: false };
    case 'running':
      // Only a crashed session's journal ends mid-step.
      return { state: 'interrupted', at, finished: false };
    default:
      // A resume asks for secret vars again before anything runs; until they are answered the
      // session is still where it stopped.
      if (cur?.step.status === 'failed') return { state: cur.step.interrupted ? 'interrupted' : 'blocked', at, finished: false };
      return at === undefined ? { state: 'in progress', finished: false } : { state: 'in progress', at, finished: false };
  }
}

export async function summarize(dir: string, id: string): Promise<SessionSummary> {
  const path = journalPath(dir, id);
  let read: JournalRead;
  try {
    read = await readJournal(path);
  } catch (error) {
    return { id, path, runbook: '?', state: `unreadable: ${(error as Error).message}`, who: '?', finished: false, torn: false, empty: false };
  }
  const first = read.events[0];
  if (!first && read.bad.length === 0) {
    // Killed while the journal was being created: nothing ran, nothing to resume.
    return { id, path, runbook: '?', state: 'never started', who: '?', finished: true, torn: read.torn !== undefined, empty: true };
  }
  const badLines = read.bad.length > 0 ? { bad: read.bad.length } : {};
  if (!first || first.type !== 'session-started') {
    const why = read.bad[0] ? `line ${read.bad[0].line}: ${read.bad[0].error}` : 'no session-started event';
    return { id, path, runbook: '?', state: `unreadable: ${why}`, who: '?', finished: false, torn: read.torn !== undefined, empty: false, ...badLines };
  }
  let state: SessionState;
  try {
    state = replay(read.events, id);
  } catch (error) {
    // The schema covers what the reducer reads; this keeps one odd journal from hiding the rest.
    return { id, path, runbook: first.frame.source.file, state: `unreadable: ${(error as Error).message}`, who: first.who.user, finished: false, torn: read.torn !== undefined, empty: false, ...badLines };
  }
  const d = describeState(state);
  const empty = !somethingHappened(read.events);
  const drop = lastDrop(read.events);
  if (drop && !d.finished) d.state = `${d.state} (terminal closed, ${drop.signal})`;
  const summary: SessionSummary = {
    id,
    path,
    runbook: first.frame.source.file,
    startedAt: first.at,
    state: empty && !d.finished ? 'nothing run' : d.state,
    // The list keeps to the name (narrow columns); log and report say the account beside it.
    who: first.who.ssmSessionId ? `${first.who.user} (ssm ${first.who.ssmSessionId})` : first.who.user,
    finished: d.finished,
    torn: read.torn !== undefined,
    empty,
    answers: Object.fromEntries(Object.entries(state.answers).map(([name, answer]) => [name, answer.secret ? undefined : answer.value])),
    ...(state.as !== undefined ? { as: state.as } : {}),
    ...badLines,
  };
  if (d.at !== undefined) summary.at = d.at;
  return summary;
}

/** The newest session in `dir` in which something ran (what `report` and `log` read without an id). */
export async function newestRanSession(dir: string): Promise<string | undefined> {
  return (await listSessions(dir)).filter((s) => !s.empty && !s.state.startsWith('unreadable')).pop()?.id;
}

export async function listSessions(dir: string): Promise<SessionSummary[]> {
  const ids = await listSessionIds(dir);
  return Promise.all(ids.map((id) => summarize(dir, id)));
}

/** Sessions an operator may want to pick up: unfinished, readable, and something ran in them. */
export function worthResuming(session: SessionSummary): boolean {
  return !session.finished && !session.empty && !session.state.startsWith('unreadable');
}

/**
 * Unfinished sessions that a later session of the same runbook (by real path) in which
 * something ran has followed: that one re-ran the steps, so these are history, not work in
 * progress to pick up (`sessions` still lists them). `sessions` is in the order listed
 * (oldest first).
 */
export function superseded(sessions: readonly SessionSummary[]): Set<string> {
  const out = new Set<string>();
  const newer = new Set<string>();
  for (let i = sessions.length - 1; i >= 0; i--) {
    const session = sessions[i]!;
    if (session.empty || session.runbook === '?') continue;
    const book = realPath(session.runbook);
    if (newer.has(book) && !session.finished) out.add(session.id);
    newer.add(book);
  }
  return out;
}

/**
 * The newest unfinished session no live process holds, and the ones that are held (newest
 * first) with the holder's pid: after a dropped SSM session the old stepgate may take a few
 * seconds to exit, and the operator should hear that rather than "no unfinished session".
 */
export async function unfinishedSessions(dir: string): Promise<{ free?: SessionSummary; held: { session: SessionSummary; pid: number }[] }> {
  const all = await listSessions(dir);
  // A session still running in another terminal is not the one to pick up, nor one where
  // nothing ran, nor one a later session of its runbook followed.
  const old = superseded(all);
  const open = all.filter((session) => worthResuming(session) && !old.has(session.id)).reverse();
  const held: { session: SessionSummary; pid: number }[] = [];
  for (const session of open) {
    const pid = await sessionOwner(dir, session.id);
    if (pid === undefined) return { free: session, held };
    held.push({ session, pid });
  }
  return { held };
}

/**
 * The session of the runbook at `file` to continue, if its newest session (among the last
 * few, leaving out those where nothing ran) is unfinished and no live process holds it: what
 * an operator who opens the same runbook again most likely means to continue. An unfinished
 * session that a later one of the same runbook followed is history, not work in progress (the
 * later one re-ran the steps). The runbook is matched by real path, so a release symlink
 * (`/srv/app/current/...`) and the path it points to are one runbook. Only journals whose
 * first 16 KB name a file of that name are read whole, so a host with years of sessions stays
 * quick to start.
 */
export async function unfinishedSessionOf(dir: string, file: string, candidates?: readonly string[]): Promise<SessionSummary | undefined> {
  const real = realPath(file);
  // `candidates`: what recentSessionsNaming already found, when the caller asked it first.
  for (const id of candidates ?? (await recentSessionsNaming(dir, file))) {
    const session = await summarize(dir, id);
    if (session.runbook === '?' || realPath(session.runbook) !== real || session.empty) continue;
    // The newest session of this runbook in which something ran decides.
    if (!worthResuming(session) || (await sessionOwner(dir, id)) !== undefined) return undefined;
    return session;
  }
  return undefined;
}

function time(at: number): string {
  return new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** `cwd /srv/app and 3 exported variables`, for the operator and the audit trail. */
export function restoredText(restored: RestoredShell): string {
  const vars = `${restored.exported} exported variable${restored.exported === 1 ? '' : 's'}`;
  return restored.cwd === undefined ? vars : `cwd ${restored.cwd} and ${vars}`;
}

/** `alice`, `alice (account root, ssm s-0abc)`: who the environment named, and the account the kernel knew. */
export function whoText(who: Who): string {
  const notes = [who.account !== undefined ? `account ${who.account}` : '', who.ssmSessionId ? `ssm ${who.ssmSessionId}` : ''].filter(Boolean);
  return `${who.user}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/**
 * The terminal drop that stopped the session's last run, if that is what stopped it: said in
 * words by `sessions` and `resume` instead of a bare "interrupted".
 */
export function lastDrop(events: readonly SessionEvent[]): Extract<SessionEvent, { type: 'terminal-closed' }> | undefined {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i];
    if (!event) continue;
    if (event.type === 'terminal-closed') return event.kept ? undefined : event;
    if (event.type === 'step-started' || event.type === 'session-resumed' || event.type === 'decision') return undefined;
  }
  return undefined;
}

function partyText(party: LockParty): string {
  const rest = `pid ${party.pid}${party.session !== undefined ? `, session ${party.session}` : ''}`;
  // A holder's verified requester: the uid is the kernel's, the rest is what the requester said.
  if (party.uid !== undefined) return `${party.user} (uid ${party.uid}; claimed: ${rest}${party.claimedUser !== undefined ? `, login ${party.claimedUser}` : ''})`;
  return `${party.user} (${rest})`;
}

/**
 * A resume's step changes in words, each step as `file.md#step`: `~/home/u/rb/long.md#long`
 * (an edit's mark on an absolute key) read as a path under a home directory (a trial).
 */
export function planChangeText(diff: { added: string[]; removed: string[]; edited: string[] }): string {
  const short = (key: string): string => key.slice(key.lastIndexOf('/', key.indexOf('#') < 0 ? key.length : key.indexOf('#')) + 1);
  const part = (what: string, keys: string[]): string[] => (keys.length === 0 ? [] : [`${keys.length} ${what} (${keys.map(short).join(', ')})`]);
  const parts = [...part('edited', diff.edited), ...part('added', diff.added), ...part('removed', diff.removed)];
  return parts.length === 0 ? 'no step changed' : parts.join(', ');
}

/** One event as a line of the audit trail. */
export function describeEvent(event: SessionEvent, state: SessionState): string {
  const item = 'index' in event ? state.frames[event.depth]?.init.items[event.index] : undefined;
  const step = oneLine(item ? stepName(item, 60) : 'key' in event ? event.key : '');
  const head = `${time(event.at)}  `;
  switch (event.type) {
    case 'session-started':
      return `${head}session ${event.id} started by ${whoText(event.who)} on ${event.host}, stepgate ${event.version}${event.runAs !== undefined ? `, steps as ${event.runAs}` : ''}\n${event.runbooks.map((r) => `${' '.repeat(head.length)}runbook ${r.path} sha256 ${r.sha256}`).join('\n')}`;
    case 'var-answered':
      return `${head}var ${event.name} = ${event.secret ? '(secret)' : JSON.stringify(event.value ?? '')} [${event.source}]`;
    case 'var-captured':
      return `${head}step ${step} captured ${event.name} = ${JSON.stringify(event.value)}`;
    case 'step-started':
      return `${head}step ${step} started (attempt ${event.attempt})`;
    case 'check-attempt':
      return `${head}  check ${event.name ?? event.target} ${event.attempt}/${event.of}: ${event.ok ? 'ok' : `failed: ${event.error ?? ''}${event.output !== undefined ? `: ${event.output}` : ''}`}${event.status !== undefined ? ` status ${event.status}` : ''} (${event.latencyMs}ms)`;
    case 'step-finished':
      return `${head}step ${step} ${event.ok ? 'passed' : event.interrupted ? 'interrupted' : event.timedOut ? 'timed out' : 'failed'} exit ${event.exitCode ?? '-'} in ${event.durationMs}ms${event.reason ? `: ${event.reason}` : ''}${event.transcript ? `\n${' '.repeat(head.length)}transcript ${event.transcript}` : ''}${event.transcriptLost ? `\n${' '.repeat(head.length)}transcript ${event.transcriptLost}` : ''}`;
    case 'confirm-requested':
      return `${head}step ${step} asked for confirmation`;
    case 'decision': {
      const d = event.decision;
      if (d.kind === 'confirm' && item?.step.kind === 'manual') {
        return `${head}DECISION confirm [x] ${oneLine(item.step.text)} by ${d.auto ? '--yes, run by ' : ''}${whoText(event.who)}`;
      }
      const by = `by ${whoText(event.who)}`;
      switch (d.kind) {
        case 'recover':
          return `${head}DECISION recover ${step} via ${d.path.label} ${d.auto ? `by --recover, run ${by}` : by}`;
        case 'skip':
          return `${head}DECISION skip ${step} ${by}: ${d.reason || '(optional)'}`;
        case 'override':
          return `${head}DECISION override ${step} ${by}: ${d.reason}`;
        case 'abort':
          return `${head}DECISION abort at ${step} ${by}${d.reason ? `: ${d.reason}` : ''}`;
        case 'jump': {
          const targetItem = state.frames[event.depth]?.init.items[d.index];
          const target = targetItem ? oneLine(stepName(targetItem, 60)) : `#${d.index + 1}`;
          return `${head}DECISION run ${target} out of order ${by}: ${d.reason}`;
        }
        case 'confirm':
          return `${head}DECISION confirm ${step} ${d.auto ? `by --yes, run ${by}` : by}`;
        case 'retry':
        case 'decline':
          return `${head}DECISION ${d.kind} ${step} ${by}`;
        default: {
          const never: never = d;
          return `${head}DECISION ${JSON.stringify(never)}`;
        }
      }
    }
    case 'session-resumed': {
      const resumed = `${head}resumed by ${whoText(event.who)} on ${event.host} pid ${event.pid}${event.runAs !== undefined ? `, steps now as ${event.runAs}` : ''}${event.tornLine ? ` (dropped a torn last line: line ${event.tornLine.line}, ${event.tornLine.bytes} bytes)` : ''}${event.acceptedEdits?.length ? ` (accepted an edited journal: line${event.acceptedEdits.length === 1 ? '' : 's'} ${event.acceptedEdits.map((e) => e.line).join(', ')} did not verify)` : ''}`;
      // A stepgate that is hung up, interrupted or loses its terminal journals it and ends the
      // step; one killed outright (SIGKILL, out of memory, the host going down) writes nothing,
      // and the trail would go from the step's start straight to the resume (a trial's question).
      const cur = currentItem(state);
      if (cur?.step.status !== 'running') return resumed;
      const pad = ' '.repeat(head.length);
      return `${pad}(nothing after step ${oneLine(stepName(cur.item, 60))} started: the stepgate running it ended without a word, killed or its host gone down; the step's outcome is unknown)\n${resumed}`;
    }
    case 'preflight': {
      const count = (severity: string) => event.findings.filter((f) => f.severity === severity).length;
      const summary = `${head}preflight: ${count('error')} errors, ${count('warning')} warnings (${event.ms} ms)`;
      const skipped = event.skipped ? ` — errors passed by ${whoText(event.skipped.who)} with --skip-preflight: ${event.skipped.reason}` : '';
      const pad = ' '.repeat(head.length);
      const lines = event.findings.filter((f) => f.severity !== 'note').map((f) => `${pad}${f.severity} ${f.file}:${f.line}: ${f.message}`);
      return [summary + skipped, ...lines].join('\n');
    }
    case 'shell-reset':
      return `${head}shell replaced (${event.cause === 'resumed' ? 'resume' : 'the shell ended'}): ${event.restored ? `restored ${restoredText(event.restored)}` : 'nothing restored'}\n${' '.repeat(head.length)}${event.reason}`;
    case 'session-discarded':
      return `${head}DISCARDED by ${whoText(event.who)}: ${event.reason}`;
    case 'terminal-closed':
      // A full disk (ENOSPC, EFBIG, EDQUOT) is journaled as a drop too: the output went nowhere either.
      if (event.signal === 'ENOSPC' || event.signal === 'EFBIG' || event.signal === 'EDQUOT') return `${head}OUTPUT LOST (${event.signal}: no room left where stepgate's output goes); the running step was stopped`;
      return `${head}TERMINAL CLOSED (${event.signal})${event.terminal ? `: ${whoText(event.terminal.who)}${event.terminal.tty ? ` on ${event.terminal.tty}` : ''}` : ''}; ${event.kept ? 'stepgate kept running in its detachable terminal: a running step went on, nothing after it starts until someone attaches' : 'the running step was stopped'}`;
    case 'terminal-attached':
      return `${head}ATTACHED ${whoText(event.terminal.who)}${event.terminal.readOnly ? ', watching (read-only)' : ''}${event.terminal.tty ? ` on ${event.terminal.tty}` : ''}`;
    case 'terminal-detached':
      return `${head}DETACHED ${whoText(event.terminal.who)}${event.terminal.readOnly ? ' (a watcher)' : ''}: the session keeps running`;
    case 'lock-taken-over':
      return event.side === 'took'
        ? `${head}LOCK ${event.lock} TAKEN OVER by ${event.by.user} (pid ${event.by.pid})${event.from ? ` from ${partyText(event.from)}` : ''}: ${event.reason}`
        : `${head}LOCK ${event.lock} LOST to ${partyText(event.by)}: ${event.reason}; the running step was stopped`;
    case 'plan-replaced':
      return `${head}runbook changed since the session started: ${planChangeText(event.diff)}; now ${event.runbooks.map((r) => `${r.path} sha256 ${r.sha256.slice(0, 12)}`).join(', ')}`;
  }
}

/**
 * Every text of an event on one line: a reason, a server's body, a path or a name with a newline
 * in it started a line of the trail that read as stepgate's own (a review forged a `DECISION
 * override ... by bob` line with a skip reason). The trail's own continuation lines are
 * stepgate's, indented under the time.
 */
function oneLine<T>(value: T): T {
  if (typeof value === 'string') return value.replace(/\r?\n/g, ' ⏎ ') as T;
  if (Array.isArray(value)) return value.map(oneLine) as T;
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, oneLine(v)])) as T;
  return value;
}

/**
 * The audit trail of a session, one line (or a few) per event. `runningPid`: a live stepgate
 * holds the session (it runs on, detached or in another terminal), so the trail ends with
 * that rather than with the state the journal has reached so far ("interrupted" for a step that
 * is still running).
 */
export function auditTrail(events: SessionEvent[], runningPid?: number): string[] {
  const lines: string[] = [];
  let state = initialState();
  for (const event of events) {
    // Indices in an event refer to the frames as they were before it (a pop may follow).
    const before = event.type === 'session-started' ? reduce(state, event).state : state;
    // Journaled text comes from steps and servers (a cwd, a check's error and body): shown, never obeyed.
    lines.push(printable(describeEvent(oneLine(event), before)).replace(/\r/g, ''));
    state = reduce(state, event).state;
  }
  // How it ended is derived from the events, not an event itself: say it, so the trail ends
  // with the outcome an auditor is looking for.
  const outcome = describeState(state);
  if (events.length === 0) return lines;
  if (outcome.finished) lines.push(`session ended: ${outcome.state}`);
  else if (runningPid !== undefined) lines.push(`session running in process ${runningPid}${outcome.at ? ` at ${outcome.at}` : ''}: the trail so far (it goes on)`);
  // A TUI opened and quit before the first step leaves such a journal: "in progress at <the
  // first step>" read as if that step had run.
  else if (!somethingHappened(events)) lines.push('session closed before anything ran: nothing to resume (open the runbook again to start)');
  else lines.push(`session unfinished: ${outcome.state}${outcome.at ? ` at ${outcome.at}` : ''}`);
  return lines;
}
