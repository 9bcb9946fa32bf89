/**
 * `stepgate report`: a session as a Markdown record for the change ticket, built from the
 * journal alone (the runbook may have changed since). Every step of every frame walked (the
 * runbook, its checklists, each recovery path taken, in the order they were entered) with its
 * last status, attempts, time, and who decided what; each failed check's last attempts; where
 * the transcripts are. Pure: the command reads the journal and passes what it cannot know.
 */
import { dirname, relative } from 'node:path';
import { cell, code, table } from './markdown-text.js';
import { describeState, passedOver, planChangeText, whoText } from './history.js';
import { reduce, initialState } from './reducer.js';
import { journaledRunAs } from './resume.js';
import { matchPlans } from './match.js';
import type { FrameInit, SessionEvent, SessionState, Who } from './types.js';
import { formatDuration } from '../runbooks/duration.js';
import { isNamed } from '../runbooks/step-title.js';
import { stepName } from './step-name.js';

/** The report is prose: durations spelled with spaces (2.4 s). */
const SPACED = { spaced: true } as const;

/** Attempts shown per failed check: the end of its run, where the answer is. */
export const REPORT_ATTEMPTS = 5;

export interface ReportContext {
  /** The journal's path, for the reader who wants the raw events. */
  journal: string;
  /** Who the steps ran as for a journal that does not say (from stepgate before it was journaled): the runbook's `user:` now. */
  runAs?: string;
  /** A live stepgate holds the session: it runs on, and the journal so far is not its end. */
  runningPid?: number;
}

type CheckAttempt = Extract<SessionEvent, { type: 'check-attempt' }>;

interface Row {
  frame: number;
  /** The step's name (an author's, shown as code) or its own words (shown as text). */
  label: string;
  named: boolean;
  section: string;
  status: string;
  attempts: number;
  durationMs: number;
  decided: string[];
  transcripts: { attempt: number; path?: string; lost?: string }[];
  /** The attempts of the latest run, and of the latest run that failed. */
  run: CheckAttempt[];
  failedRun?: CheckAttempt[];
  failedAttempt?: number;
}

interface FrameRecord {
  title: string;
  kind: string;
  rows: Map<string, Row>;
}

const by: (who: Who) => string = whoText;

function utc(at: number | undefined): string {
  if (at === undefined) return '';
  return new Date(at).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

/** Titles in the report are cut here: a cell is one line of a table read in a ticket. */
const REPORT_TITLE = 80;

/** A step as the report names it: its author's name, else its own words (never a made-up id). */
function stepLabel(init: FrameInit, index: number): { label: string; named: boolean } {
  const item = init.items[index];
  if (!item) return { label: `#${index + 1}`, named: false };
  return isNamed(item.step) ? { label: item.step.id, named: true } : { label: stepName(item, REPORT_TITLE, false), named: false };
}

/** A row's step in running text (a heading, a list item) or in a table cell. */
function labelText(row: Row, inTable: boolean): string {
  return row.named ? code(row.label, inTable) : inTable ? cell(row.label) : `"${cell(row.label)}"`;
}

/** The Markdown record of the session the events describe. */
export function sessionReport(events: readonly SessionEvent[], context: ReportContext): string {
  const started = events[0];
  if (!started || started.type !== 'session-started') throw new Error('the journal does not start with session-started');
  let state: SessionState = initialState(started.id);
  const frames: FrameRecord[] = [];
  /** frames[] index of each frame on the session's stack. */
  const stack: number[] = [];
  const resumes: string[] = [];
  const changes: string[][] = [];
  /** The operator's terminal: dropped, attached, detached (issue 12). */
  const terminals: string[] = [];
  const locks: string[] = [];
  let discarded: string | undefined;
  let preflight: string | undefined;

  // Recovery paths as the runbook links them: relative to the runbook's directory.
  const where = (path: { file: string; anchor?: string }): string => `${relative(dirname(started.frame.source.file), path.file) || path.file}${path.anchor ? `#${path.anchor}` : ''}`;
  const place = (init: FrameInit, i: number): Pick<Row, 'label' | 'named' | 'section'> => {
    const item = init.items[i];
    const section = item === undefined ? '' : item.phase === 'main' || item.phase === 'recovery' ? (item.sectionTitle ?? '') : `${item.phase}: ${item.sectionTitle ?? ''}`;
    return { ...stepLabel(init, i), section };
  };
  const fresh = (init: FrameInit, i: number, frame: number): Row => {
    const item = init.items[i];
    const ticked = item?.step.kind === 'manual' && item.step.done;
    return { frame, ...place(init, i), status: ticked ? 'passed (ticked in the runbook)' : 'not run', attempts: 0, durationMs: 0, decided: [], transcripts: [], run: [] };
  };
  const open = (init: FrameInit, kind: string): void => {
    const rows = new Map<string, Row>();
    init.items.forEach((item, i) => rows.set(item.key, fresh(init, i, frames.length)));
    stack.push(frames.length);
    frames.push({ title: init.title, kind, rows });
  };
  /**
   * A frame re-planned on resume (its runbook edited): each row follows its step into the new
   * plan as the session does (`matchPlans`), so what ran stays with the step that ran it; an
   * unnamed step's key is its place, and read by key the new plan's steps took the old rows.
   * Rows of removed steps stay, said removed: the ticket shows what ran.
   */
  const replan = (depth: number, old: FrameInit, init: FrameInit): void => {
    const index = stack[depth];
    const record = index === undefined ? undefined : frames[index];
    if (!record || index === undefined) return;
    const match = matchPlans(old, init);
    const rows = new Map<string, Row>();
    init.items.forEach((item, i) => {
      const from = match.from[i];
      const prior = from === undefined ? undefined : record.rows.get(old.items[from]?.key ?? '');
      if (prior && match.edited[i]) prior.decided.push('edited in the runbook before a resume');
      rows.set(item.key, prior ? { ...prior, ...place(init, i) } : fresh(init, i, index));
    });
    for (const j of match.removed) {
      const prior = record.rows.get(old.items[j]?.key ?? '');
      if (prior) rows.set(`${old.items[j]?.key ?? ''}\u0000removed`, { ...prior, status: `${prior.status}, then removed from the runbook` });
    }
    // Steps removed at an earlier re-plan are in no plan any more: their rows stay as they were.
    for (const [key, row] of record.rows) if (key.endsWith('\u0000removed') && !rows.has(key)) rows.set(key, row);
    record.rows = rows;
  };
  const rowOf = (before: SessionState, event: { depth: number; index: number; key: string }): Row | undefined => {
    const record = frames[stack[event.depth] ?? -1];
    if (!record) return undefined;
    const known = record.rows.get(event.key);
    if (known) return known;
    // A step added by an edit seen on resume: it joins its frame's table where it first acts.
    const init = before.frames[event.depth]?.init;
    const row: Row = { frame: stack[event.depth] ?? 0, ...(init ? stepLabel(init, event.index) : { label: event.key, named: true }), section: '', status: 'not run', attempts: 0, durationMs: 0, decided: [], transcripts: [], run: [] };
    record.rows.set(event.key, row);
    return row;
  };

  for (const event of events) {
    const before = state;
    state = reduce(state, event).state;
    switch (event.type) {
      case 'session-started':
        open(event.frame, 'runbook');
        break;
      case 'step-started': {
        const row = rowOf(before, event);
        if (!row) break;
        row.status = 'running';
        row.attempts += 1;
        row.run = [];
        break;
      }
      case 'check-attempt':
        rowOf(before, event)?.run.push(event);
        break;
      case 'var-captured':
        rowOf(before, event)?.decided.push(`captured ${event.name} = ${event.value}`);
        break;
      case 'step-finished': {
        const row = rowOf(before, event);
        if (!row) break;
        row.durationMs += event.durationMs;
        // A check step's exit status is stepgate's own (1 when a check failed): not worth saying.
        const command = before.frames[event.depth]?.init.items[event.index]?.step.kind === 'command';
        row.status = event.ok ? 'passed' : event.interrupted ? 'interrupted' : event.timedOut ? 'timed out' : `failed${command && event.exitCode !== null ? ` (exit ${event.exitCode})` : ''}`;
        if (event.transcript !== undefined || event.transcriptLost !== undefined) {
          row.transcripts.push({ attempt: row.attempts, ...(event.transcript !== undefined ? { path: event.transcript } : {}), ...(event.transcriptLost !== undefined ? { lost: event.transcriptLost } : {}) });
        }
        // A run cut short may have done part of its work (a migration): the ticket must show
        // each such run and why, even when a later run passed.
        if (event.interrupted) row.decided.push(`run ${row.attempts} cut short${event.reason ? `: ${event.reason}` : ''}`);
        if (!event.ok && row.run.length > 0) {
          row.failedRun = row.run;
          row.failedAttempt = row.attempts;
        }
        break;
      }
      case 'decision': {
        const row = rowOf(before, event);
        const d = event.decision;
        const who = by(event.who);
        switch (d.kind) {
          case 'confirm':
            if (row) {
              const manual = before.frames[event.depth]?.init.items[event.index]?.step.kind === 'manual';
              if (manual) row.status = d.auto ? 'ticked by --yes' : 'ticked';
              row.decided.push(d.auto ? `confirmed by --yes, run by ${who}` : `confirmed by ${who}`);
            }
            break;
          case 'skip':
            if (row) {
              row.status = 'skipped';
              row.decided.push(`skipped by ${who}: ${d.reason || '(optional step)'}`);
            }
            break;
          case 'override':
            if (row) {
              row.status = 'overridden';
              row.decided.push(`overridden by ${who}: ${d.reason}`);
            }
            break;
          case 'retry':
            row?.decided.push(`retried by ${who}`);
            break;
          case 'decline':
            row?.decided.push(`declined by ${who}`);
            break;
          case 'abort':
            row?.decided.push(`session aborted by ${who}${d.reason ? `: ${d.reason}` : ''}`);
            break;
          case 'recover':
            row?.decided.push(d.auto ? `recovery ${where(d.path)} chosen by --recover, run by ${who}` : `recovery ${where(d.path)} chosen by ${who}`);
            break;
          case 'jump': {
            const target = before.frames[event.depth]?.init.items[d.index]?.key;
            const jumped = target === undefined ? undefined : frames[stack[event.depth] ?? -1]?.rows.get(target);
            (jumped ?? row)?.decided.push(`run out of order by ${who}: ${d.reason}`);
            break;
          }
          default: {
            const never: never = d;
            throw new Error(`unknown decision ${JSON.stringify(never)}`);
          }
        }
        break;
      }
      case 'session-resumed':
        resumes.push(`${utc(event.at)} by ${by(event.who)} on ${event.host}${event.as !== undefined ? `, steps as ${event.as}` : ''}`);
        break;
      case 'session-discarded':
        discarded = `${by(event.who)}: ${event.reason}`;
        break;
      case 'terminal-closed':
        terminals.push(
          `${utc(event.at)} terminal closed (${event.signal})${event.terminal ? `, ${by(event.terminal.who)}` : ''}: ${event.kept ? 'stepgate kept running detached' : 'the running step was stopped'}`,
        );
        break;
      case 'terminal-attached':
        terminals.push(`${utc(event.at)} attached${event.terminal.readOnly ? ' to watch' : ''}: ${by(event.terminal.who)}`);
        break;
      case 'terminal-detached':
        terminals.push(`${utc(event.at)} detached: ${by(event.terminal.who)}`);
        break;
      case 'lock-taken-over': {
        const rest =
          event.side === 'took'
            ? `taken over by ${event.by.user}${event.from ? ` from ${event.from.user}${event.from.session !== undefined ? ` (session ${event.from.session})` : ''}` : ''}: ${event.reason}`
            : `lost to ${event.by.user}${event.by.session !== undefined ? ` (session ${event.by.session})` : ''}: ${event.reason}`;
        locks.push(`${utc(event.at)} ${code(event.lock)} ${cell(rest)}`);
        break;
      }
      case 'preflight': {
        const count = (severity: string): number => event.findings.filter((f) => f.severity === severity).length;
        preflight = `${count('error')} errors, ${count('warning')} warnings (${event.ms} ms)${event.skipped ? `; errors passed by ${by(event.skipped.who)} with --skip-preflight: ${event.skipped.reason}` : ''}`;
        break;
      }
      case 'plan-replaced': {
        const old = before.frames[event.depth]?.init;
        if (old) replan(event.depth, old, event.frame);
        // What ran after a resume was the edited runbook: its hash is not the one above.
        changes.push([`Changed at ${utc(event.at)}`, `${cell(planChangeText(event.diff))}${event.runbooks.map((r) => `<br>${code(r.path)} now sha256 ${code(r.sha256)}`).join('')}`]);
        break;
      }
      case 'var-answered':
      case 'confirm-requested':
      case 'shell-reset':
        break;
      default: {
        const never: never = event;
        throw new Error(`unknown event ${JSON.stringify(never)}`);
      }
    }
    // Frames pushed (a recovery path entered) or popped (it finished) by this event.
    while (stack.length > state.frames.length) stack.pop();
    while (stack.length < state.frames.length) {
      const init = state.frames[stack.length]?.init;
      if (!init) break;
      open(init, init.rollback ? 'roll back' : 'recovery');
    }
  }

  const outcome = describeState(state);
  // As journaled when the journal says it; a journal from before that, by the runbook as it is now.
  const journaled = journaledRunAs(events);
  const runAs = journaled.length > 0 ? journaled.join(', then (after a resume) ') : (state.as ?? context.runAs ?? started.who.user);
  const lines: string[] = [];
  lines.push(`# stepgate session ${started.id}: ${cell(started.frame.title)}`, '');
  const summary: string[][] = [
    ['Outcome', `**${outcome.finished ? `${outcome.state}${state.status.kind === 'ended' && state.status.outcome === 'completed' && passedOver(state) ? ` (${passedOver(state)})` : ''}` : context.runningPid !== undefined ? `running in process ${context.runningPid}${outcome.at ? ` at ${outcome.at}` : ''} (this report is the journal so far)` : `unfinished: ${outcome.state}${outcome.at ? ` at ${outcome.at}` : ''}`}**${state.status.kind === 'ended' && state.status.reason ? ` (${cell(state.status.reason)})` : ''}`],
    ...started.runbooks.map((r, i) => [i === 0 ? 'Runbook' : 'Also read', `${code(r.path)}<br>sha256 ${code(r.sha256)}`]),
    ...changes,
    ['Host', cell(started.host)],
    ['Login user', cell(by(started.who))],
    ['Steps ran as', cell(runAs)],
    ['Started', `${utc(started.at)}`],
    ['Ended', state.endedAt !== undefined ? utc(state.endedAt) : 'not yet'],
    ['stepgate', cell(started.version)],
  ];
  if (state.startedAt !== undefined && state.endedAt !== undefined) summary.push(['Took', formatDuration(state.endedAt - state.startedAt, SPACED)]);
  if (resumes.length > 0) summary.push(['Resumed', resumes.map(cell).join('<br>')]);
  if (terminals.length > 0) summary.push(['Terminal', terminals.map(cell).join('<br>')]);
  if (locks.length > 0) summary.push(['Deploy lock', locks.join('<br>')]);
  if (discarded !== undefined) summary.push(['Discarded by', cell(discarded)]);
  if (preflight !== undefined) summary.push(['Preflight', cell(preflight)]);
  const answered = Object.entries(state.answers);
  if (answered.length > 0) summary.push(['Vars', answered.map(([name, a]) => `${code(name)} = ${a.secret ? '(secret)' : code(a.value ?? '')}`).join('<br>')]);
  lines.push(...table(['', ''], summary.map(([k, v]) => [`**${k}**`, v ?? ''])), '');

  lines.push('## Steps', '');
  frames.forEach((record, n) => {
    if (n > 0) lines.push(`### ${record.kind === 'runbook' ? '' : `${record.kind}: `}${cell(record.title)}`, '');
    const rows = [...record.rows.values()].map((row, i) => [
      String(i + 1),
      labelText(row, true),
      cell(row.section),
      row.status === 'running' ? (state.status.kind === 'ended' ? 'interrupted' : context.runningPid !== undefined ? 'running' : 'running (journal ends here)') : row.status,
      String(row.attempts),
      row.durationMs > 0 ? formatDuration(row.durationMs, SPACED) : '',
      cell(row.decided.join('; ')),
    ]);
    lines.push(...table(['#', 'Step', 'Section', 'Status', 'Runs', 'Time', 'Decided'], rows, ['r', 'l', 'l', 'l', 'r', 'r', 'l']), '');
  });

  const failed = frames.flatMap((record) => [...record.rows.values()].filter((row) => row.failedRun !== undefined));
  if (failed.length > 0) {
    lines.push('## Failed checks', '');
    for (const row of failed) {
      const run = row.failedRun ?? [];
      const checks = [...new Set(run.map((a) => a.check))];
      for (const check of checks) {
        const attempts = run.filter((a) => a.check === check);
        const last = attempts[attempts.length - 1];
        if (!last || last.ok) continue;
        lines.push(`### ${labelText(row, false)}: ${code(last.name ?? last.target, false)} (run ${row.failedAttempt ?? 1})`, '');
        const shown = attempts.slice(-REPORT_ATTEMPTS);
        lines.push(
          ...table(
            ['Attempt', 'At (UTC)', 'Result', 'Latency'],
            shown.map((a) => [
              `${a.attempt}/${a.of}`,
              utc(a.at).slice(11),
              a.ok ? `ok${a.status !== undefined ? ` ${a.status}` : ''}` : cell(`${a.status !== undefined && !(a.error ?? '').includes(String(a.status)) ? `status ${a.status}: ` : ''}${a.error ?? 'failed'}${a.output !== undefined ? `: ${a.output}` : ''}`),
              formatDuration(a.latencyMs, SPACED),
            ]),
            ['r', 'l', 'l', 'r'],
          ),
          '',
        );
        if (attempts.length > shown.length) lines.push(`(${attempts.length - shown.length} earlier attempts in the journal)`, '');
      }
    }
  }

  const transcripts = frames.flatMap((record) => [...record.rows.values()].flatMap((row) => row.transcripts.map((t) => ({ row, ...t }))));
  lines.push('## Transcripts', '');
  if (transcripts.length === 0) lines.push('No step wrote a transcript.');
  for (const t of transcripts) {
    const where = t.path !== undefined ? code(t.path, false) : 'none';
    lines.push(`- ${labelText(t.row, false)} run ${t.attempt}: ${where}${t.lost !== undefined ? ` (${t.lost})` : ''}`);
  }
  lines.push('', `Journal: ${code(context.journal, false)} (\`stepgate log ${started.id}\` reads it).`, '');
  return lines.join('\n');
}
