/**
 * A rollout as data: what SSM says about each instance, folded into one row per instance
 * (step reached, status, duration, the failing step's output tail), the journal's events,
 * and the words and exit code at the end. Pure: the command polls and writes.
 */
import { formatDuration } from '../runbooks/duration.js';
import { compareText } from '../runbooks/text-order.js';

/** What the SSM client reports for one instance (the shape of exec/ssm-client's InvocationState). */
export interface InstanceReport {
  instanceId: string;
  status: string;
  statusDetails?: string;
  plugins: Array<{ name: string; status: string; responseCode?: number; output?: string; startMs?: number; endMs?: number }>;
  responseCode?: number;
  output?: string;
  error?: string;
  startMs?: number;
  endMs?: number;
}

export interface InstanceRow {
  instanceId: string;
  /** The last step that started (the failing one, on failure). */
  step?: string;
  /** As SSM said it (its StatusDetails when they say more), or NO_INVOCATION. */
  status: string;
  durationMs?: number;
  /** The last lines of the failing step's output. */
  tail?: string;
  /**
   * Decided by stepgate though `status` is not one it knows as final: SSM's own invocation
   * status was final, or the unknown status stayed unchanged for a bounded wait. Never a
   * success. Absent for a status known either way.
   */
  final?: boolean;
}

/**
 * Our own status for an instance SSM gave no invocation for within a bounded wait (the watch
 * decides when): final, and a failure, so the rollout ends and says so rather than polling
 * an `Unknown` forever.
 */
export const NO_INVOCATION = 'No Invocation';

/**
 * SSM writes a status two ways (`Status` is `DeliveryTimedOut` where `StatusDetails` is
 * `Delivery Timed Out`; older documents spell `Canceled`): compared without spaces or case.
 */
function statusKey(status: string): string {
  const key = status.replace(/[\s_-]+/g, '').toLowerCase();
  return key === 'canceled' ? 'cancelled' : key;
}

/**
 * Final statuses: SSM's, from "Understanding command statuses" in the Systems Manager user
 * guide (invocations and plugins: Success, Delivery Timed Out, Execution Timed Out, Failed,
 * Cancelled, Undeliverable, Terminated, Invalid Platform, Access Denied; commands add
 * Incomplete, Rate Exceeded, No Instances In Tag; the Status enum adds TimedOut), and ours.
 */
const FINAL = new Set(
  [NO_INVOCATION, 'Success', 'Failed', 'Cancelled', 'TimedOut', 'Delivery Timed Out', 'Execution Timed Out', 'Undeliverable', 'Terminated', 'Invalid Platform', 'Access Denied', 'Incomplete', 'Rate Exceeded', 'No Instances In Tag'].map(statusKey),
);
/** Statuses SSM moves on from by itself: Pending, In Progress, Delayed (it retries), Cancelling. */
const GOING = new Set(['Pending', 'In Progress', 'Delayed', 'Cancelling'].map(statusKey));

export function isFinal(status: string): boolean {
  return FINAL.has(statusKey(status));
}

/** A status stepgate knows, final or not; any other is decided by the watch after a bounded wait. */
export function isKnownStatus(status: string): boolean {
  return FINAL.has(statusKey(status)) || GOING.has(statusKey(status));
}

/** Whether SSM says this status moves on by itself (so an unknown detail under it is waited for). */
export function isGoing(status: string): boolean {
  return GOING.has(statusKey(status));
}

export function rowIsFinal(row: InstanceRow): boolean {
  return row.final === true || isFinal(row.status);
}

export function rowSucceeded(row: InstanceRow): boolean {
  return row.final !== true && statusKey(row.status) === 'success';
}

/** Decided, and not a success: what the rollout reports as failed. */
export function rowFailed(row: InstanceRow): boolean {
  return rowIsFinal(row) && !rowSucceeded(row);
}

export function tailLines(text: string, lines = 5): string {
  return text.replace(/\s+$/, '').split('\n').slice(-lines).join('\n');
}

export function rowOf(report: InstanceReport, now: number): InstanceRow {
  const row: InstanceRow = { instanceId: report.instanceId, status: report.statusDetails && report.statusDetails !== report.status ? report.statusDetails : report.status };
  const started = report.plugins.filter((p) => p.status !== 'Pending' && p.status !== 'NotStarted');
  const failed = report.plugins.find((p) => p.status === 'Failed' || p.status === 'TimedOut');
  const reached = failed ?? started.at(-1);
  if (reached) row.step = reached.name;
  const output = failed?.output ?? (report.status === 'Success' ? undefined : report.output);
  if (output && report.status !== 'Success') row.tail = tailLines(output);
  if (report.error) row.tail = report.error;
  const start = report.startMs ?? report.plugins.find((p) => p.startMs !== undefined)?.startMs;
  const end = report.endMs ?? [...report.plugins].reverse().find((p) => p.endMs !== undefined)?.endMs;
  if (start !== undefined) row.durationMs = Math.max(0, (end ?? (isFinal(report.status) ? start : now)) - start);
  // SSM's Status is one of a few words; its StatusDetails grow. A final Status decides the row
  // whatever words the details use.
  if (!isKnownStatus(row.status) && isFinal(report.status)) row.final = true;
  return row;
}

/** A row's time in the table: whole seconds, '-' before it started. */
export function rowDuration(ms: number | undefined): string {
  return ms === undefined ? '-' : formatDuration(ms, { precision: 's' });
}

/** The table, 80 columns: instance, step reached, status, duration. */
export function renderTable(rows: InstanceRow[]): string[] {
  const lines = [`${'INSTANCE'.padEnd(21)} ${'STEP'.padEnd(28)} ${'STATUS'.padEnd(20)} TIME`];
  for (const r of [...rows].sort((a, b) => compareText(a.instanceId, b.instanceId)))
    lines.push(`${r.instanceId.padEnd(21).slice(0, 21)} ${(r.step ?? '-').padEnd(28).slice(0, 28)} ${r.status.padEnd(20).slice(0, 20)} ${rowDuration(r.durationMs)}`);
  return lines;
}

/** One line for a changed row, for logs and pipes. */
export function rowLine(r: InstanceRow): string {
  return `${r.instanceId}  ${r.status}${r.step ? ` at ${r.step}` : ''}  ${rowDuration(r.durationMs)}`;
}

export interface RolloutOutcome {
  done: boolean;
  ok: boolean;
  failed: InstanceRow[];
}

export function outcome(commandStatus: string, rows: InstanceRow[]): RolloutOutcome {
  // SSM keeps a command open while an instance it never reports on is pending; once every
  // instance is decided, one given up on (NO_INVOCATION, or an unknown status) ends the watch too.
  const decided = rows.every(rowIsFinal);
  const done = decided && (isFinal(commandStatus) || rows.some((r) => r.status === NO_INVOCATION || r.final === true));
  const failed = rows.filter(rowFailed);
  return { done, ok: done && statusKey(commandStatus) === 'success' && failed.length === 0 && rows.length > 0, failed };
}

/** The rollout journal, one JSON object a line, appended and fsync'd like a session's. */
export type RolloutEvent =
  | {
      type: 'rollout-started';
      at: number;
      id: string;
      who: { user: string; ssmSessionId?: string };
      host: string;
      runbook: { file: string; sha256: string };
      document: { name: string; version: string; created: boolean; unchanged: boolean };
      targets: { instanceIds?: string[]; tag?: { key: string; value: string } };
      maxConcurrency: string;
      maxErrors: string;
      region?: string;
    }
  | { type: 'command-sent'; at: number; commandId: string; status: string }
  | { type: 'instance-changed'; at: number; row: InstanceRow }
  | { type: 'cancel-requested'; at: number; who: { user: string } }
  /**
   * `noInstance`: SSM ended the command without one invocation (the target matched no
   * instance). `neverStarted`: SSM held it open without one invocation past the watch's bound.
   */
  | { type: 'rollout-finished'; at: number; status: string; ok: boolean; failed: InstanceRow[]; noInstance?: boolean; neverStarted?: boolean }
  | { type: 'rollout-error'; at: number; message: string }
  /**
   * `fleet status` or `fleet cancel` went on from a journal whose chain did not hold
   * (--accept-edited-journal): the lines that did not verify, each with the sha256 of its text
   * as accepted (a session's `acceptedEdits`), so a later read settles those lines only while
   * they keep that text.
   */
  | { type: 'edits-accepted'; at: number; who: { user: string }; command: 'status' | 'cancel'; edits: Array<{ line: number; what: string; sha256?: string }> };

/** An `edits-accepted` in words, for the trail and the report. */
export function acceptedText(e: Extract<RolloutEvent, { type: 'edits-accepted' }>): string {
  const lines = e.edits.map((edit) => edit.line);
  return `fleet ${e.command} by ${e.who.user} went on from an edited journal (--accept-edited-journal): line${lines.length === 1 ? '' : 's'} ${lines.join(', ')} did not verify`;
}

/** The audit trail of a rollout, for `stepgate log`. */
export function rolloutTrail(events: RolloutEvent[]): string[] {
  const when = (at: number): string => new Date(at).toISOString().replace('T', ' ').slice(0, 19);
  return events.map((e) => {
    switch (e.type) {
      case 'rollout-started': {
        const t = e.targets.instanceIds ? `instances ${e.targets.instanceIds.join(',')}` : `tag ${e.targets.tag?.key}=${e.targets.tag?.value}`;
        return `${when(e.at)}  rollout ${e.id} by ${e.who.user} on ${e.host}: ${e.runbook.file} (sha256 ${e.runbook.sha256.slice(0, 12)}) as ${e.document.name} v${e.document.version} to ${t}, max concurrency ${e.maxConcurrency}, max errors ${e.maxErrors}`;
      }
      case 'command-sent':
        return `${when(e.at)}  command ${e.commandId} sent (${e.status})`;
      case 'instance-changed':
        return `${when(e.at)}  ${rowLine(e.row)}${e.row.tail ? `\n${e.row.tail.replace(/^/gm, '      | ')}` : ''}`;
      case 'cancel-requested':
        return `${when(e.at)}  cancel requested by ${e.who.user}`;
      case 'rollout-finished':
        if (e.noInstance) return `${when(e.at)}  finished: ${e.status}, no instance matched the target`;
        if (e.neverStarted) return `${when(e.at)}  finished: given up while ${e.status}, SSM never started the command on any instance`;
        return `${when(e.at)}  finished: ${e.status}, ${e.ok ? 'every instance succeeded' : `${e.failed.length} instance${e.failed.length === 1 ? '' : 's'} failed: ${e.failed.map((f) => `${f.instanceId} at ${f.step ?? '?'}`).join(', ')}`}`;
      case 'rollout-error':
        return `${when(e.at)}  error: ${e.message}`;
      case 'edits-accepted':
        return `${when(e.at)}  ${acceptedText(e)}`;
    }
  });
}
