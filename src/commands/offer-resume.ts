/**
 * `stepgate FILE` on a terminal when the newest session of that runbook is unfinished (blocked,
 * aborted, interrupted by a drop) and no process holds it: a new session would start the
 * runbook again from its first step, so the operator is asked whether to resume that one
 * instead. Plain mode (`run`) only notes it, as it must not wait for an answer.
 */
import { resolve } from 'node:path';
import { unfinishedSessionOf, type SessionSummary } from '../session/history.js';
import { sessionsDir } from '../session/session-paths.js';
import { varConflicts } from '../session/answer-vars.js';
import { askYesNo } from './ask.js';
import { RESUME } from './specs.js';

/** `3 hours`, `2 days`: how long ago, in the largest whole unit. */
function age(ms: number): string {
  const units: [string, number][] = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000]];
  for (const [unit, size] of units) {
    const n = Math.floor(ms / size);
    if (n >= 1) return `${n} ${unit}${n === 1 ? '' : 's'} ago`;
  }
  return 'just now';
}

/** `blocked at healthz; started 2026-12-04 02:10 UTC (2 days ago) by ubuntu, runs as deploy`. */
export function describeUnfinished(session: SessionSummary, now = Date.now()): string {
  const at = session.at !== undefined ? ` at ${session.at}` : '';
  const started =
    session.startedAt !== undefined ? `; started ${new Date(session.startedAt).toISOString().slice(0, 16).replace('T', ' ')} UTC (${age(now - session.startedAt)})` : '';
  return `${session.state}${at}${started} by ${session.who}${session.as !== undefined ? `, steps run as ${session.as}` : ''}`;
}

/**
 * The TUI's flags that `resume` takes too, as arguments again (`--as`, `--var`, the lock flags,
 * `--quiet`, ...); `--name=value`, so that a value starting with a dash stays a value.
 */
export function resumeFlags(values: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!(name in RESUME.options) || value === undefined || value === false) continue;
    if (value === true) args.push(`--${name}`);
    else for (const one of Array.isArray(value) ? value : [value]) args.push(`--${name}=${String(one)}`);
  }
  return args;
}

export type ResumeOffer = { resume: string[] } | { start: true } | { cancelled: true };

/**
 * Whether to resume the unfinished session of `file` (the arguments of `stepgate resume`),
 * start a new one, or neither (the operator cancelled). A session that answered a var
 * otherwise than a `--var` given now is not offered: resuming it would go on with its value.
 */
export async function offerResume(file: string, values: Record<string, unknown>, vars: Record<string, string>, candidates?: readonly string[]): Promise<ResumeOffer> {
  const earlier = await unfinishedSessionOf(sessionsDir(), resolve(file), candidates).catch(() => undefined);
  if (!earlier) return { start: true };
  const conflicts = varConflicts(earlier.answers ?? {}, vars);
  if (conflicts.length > 0) {
    // Asked, not only said: a note printed here would be gone under the TUI a moment later.
    const which = conflicts.map((c) => `${c.name}=${c.answered} (you gave ${c.given})`).join(', ');
    process.stderr.write(
      `stepgate: session ${earlier.id} of this runbook is unfinished (${describeUnfinished(earlier)}), but it answered ${which}: resuming it would go on with its values (stepgate resume ${earlier.id})\n`,
    );
    const fresh = await askYesNo('start a new session with your values instead?', 'yes');
    return fresh === 'yes' ? { start: true } : { cancelled: true };
  }
  process.stderr.write(`stepgate: session ${earlier.id} of this runbook is unfinished (${describeUnfinished(earlier)})\n`);
  const answer = await askYesNo('resume it instead of starting again from the first step?', 'yes');
  if (answer === 'cancelled') return { cancelled: true };
  return answer === 'no' ? { start: true } : { resume: [earlier.id, ...resumeFlags(values)] };
}
