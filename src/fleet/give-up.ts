/**
 * What a watch would otherwise wait on forever, decided after a bounded wait: an instance SSM
 * gives no invocation for (NO_INVOCATION), one whose status stepgate does not know and that
 * has not changed (SSM adds StatusDetails over time; such a row was never final, so the watch
 * never ended), and a command SSM holds open without one invocation (it never started
 * anywhere). A watch again (`fleet status`) is given what the journal says, so what an earlier
 * watch decided stays decided. Pure: the watch gives each poll's reports and the time.
 */
import { durationLiteral } from '../runbooks/duration.js';
import { isFinal, isGoing, isKnownStatus, NO_INVOCATION, rowOf, type InstanceReport, type InstanceRow } from './rollout.js';

/**
 * Both this many polls in a row and this much time, so a fast --poll does not give up in
 * seconds. Run Command creates an instance's invocation when it sends the command (Pending
 * while it waits for rate control), so a minute without one is not a slow start; a status
 * unknown to stepgate under a Status SSM says moves on is waited for without bound (below).
 */
export const GIVE_UP_POLLS = 12;
export const GIVE_UP_MS = 60_000;

type Waiting = 'no-invocation' | 'unknown-status';

/**
 * Whether SSM gave an invocation for this report's instance: the SSM client says why not (and
 * the watch, for an instance SSM does not list) in `error`, with the status `Unknown`.
 */
export function hasInvocation(report: InstanceReport): boolean {
  return !(report.status === 'Unknown' && report.error !== undefined);
}

export class GiveUp {
  /** Per instance: what it is stuck on (and the row's words, for "unchanged"), since when, for how many polls. */
  private readonly stuck = new Map<string, { key: string; since: number; polls: number }>();

  /** Rows decided here earlier (by this watch or, from the journal, an earlier one), by instance. */
  private readonly decided = new Map<string, InstanceRow>();

  /** Since when, and for how many polls, the open command has listed no invocation at all. */
  private empty: { since: number; polls: number } | undefined;

  /** An earlier watch decided the command never started (journaled), so the next decides at once. */
  private neverStartedBefore = false;

  constructor(private readonly commandId: string) {}

  rememberNeverStarted(): void {
    this.neverStartedBefore = true;
  }

  /**
   * Whether to stop waiting on a command that is open (Pending) with no invocation listed: once
   * it has been so for the bound below, the words saying how long ("12 polls over 1m"); else
   * undefined. A tag's instances show up within seconds of SendCommand, so a minute of none
   * is SSM not starting the command, not a slow start; any invocation starts the wait again.
   */
  neverStarted(commandStatus: string, invocations: number, now: number): string | undefined {
    if (invocations > 0 || isFinal(commandStatus)) {
      this.empty = undefined;
      this.neverStartedBefore = false;
      return undefined;
    }
    this.empty ??= { since: now, polls: 0 };
    this.empty.polls += 1;
    const waited = `${this.empty.polls} poll${this.empty.polls === 1 ? '' : 's'} over ${durationLiteral(now - this.empty.since)}`;
    if (this.neverStartedBefore) return waited;
    return this.empty.polls < GIVE_UP_POLLS || now - this.empty.since < GIVE_UP_MS ? undefined : waited;
  }

  /**
   * A row an earlier watch journaled: if it was decided here and SSM still says the same, a
   * watch again (`fleet status`) keeps it decided rather than waiting all over again.
   */
  remember(row: InstanceRow): void {
    if (row.final === true || row.status === NO_INVOCATION) this.decided.set(row.instanceId, row);
    else this.decided.delete(row.instanceId);
  }

  /** The row for `report` at this poll: as SSM says, or decided once it has been stuck long enough. */
  row(report: InstanceReport, now: number, commandStatus: string): InstanceRow {
    const row = rowOf(report, now);
    const waiting = this.waiting(report, row, commandStatus);
    if (waiting === undefined) {
      this.stuck.delete(report.instanceId);
      this.decided.delete(report.instanceId);
      return row;
    }
    const before = this.decided.get(report.instanceId);
    if (before !== undefined && (waiting === 'no-invocation' ? before.status === NO_INVOCATION : before.status === row.status && before.step === row.step)) return before;
    // A changed unknown status (another step, other words) starts the wait again.
    const key = waiting === 'no-invocation' ? waiting : JSON.stringify([row.status, report.status, row.step ?? '']);
    let s = this.stuck.get(report.instanceId);
    if (s === undefined || s.key !== key) {
      s = { key, since: now, polls: 0 };
      this.stuck.set(report.instanceId, s);
    }
    s.polls += 1;
    if (s.polls < GIVE_UP_POLLS || now - s.since < GIVE_UP_MS) return row;
    const waited = `${s.polls} polls over ${durationLiteral(now - s.since)}`;
    const decided = waiting === 'no-invocation' ? this.noInvocation(row, report, waited) : this.unknownStatus(row, report, waited);
    this.decided.set(report.instanceId, decided);
    return decided;
  }

  private noInvocation(row: InstanceRow, report: InstanceReport, waited: string): InstanceRow {
    return {
      ...row,
      status: NO_INVOCATION,
      tail: `SSM gave no invocation for this instance in ${waited} (${report.error ?? 'no error given'}): the command never reached it. Check that it is managed by SSM in this region and its agent is online (aws ssm describe-instance-information), then roll out to it again`,
    };
  }

  private unknownStatus(row: InstanceRow, report: InstanceReport, waited: string): InstanceRow {
    const said = report.status === row.status ? `"${row.status}"` : `"${row.status}" (invocation status "${report.status}")`;
    const why = `SSM reports status ${said}, which stepgate does not know, unchanged in ${waited}: counted as failed, not as a success. See what SSM says with aws ssm get-command-invocation --command-id ${this.commandId} --instance-id ${report.instanceId}`;
    return { ...row, final: true, tail: row.tail ? `${why}\n${row.tail}` : why };
  }

  private waiting(report: InstanceReport, row: InstanceRow, commandStatus: string): Waiting | undefined {
    if (!hasInvocation(report)) return 'no-invocation';
    if (row.final === true || isKnownStatus(row.status)) return undefined;
    // SSM's Status says the invocation moves on (In Progress, Delayed...) while the command is
    // open: a long step under new detail words is not stuck. Once the command is final, it is.
    if (isGoing(report.status) && !isFinal(commandStatus)) return undefined;
    return 'unknown-status';
  }
}
