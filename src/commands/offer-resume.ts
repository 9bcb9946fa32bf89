/**
 * `stepgate FILE` on a terminal when a session of that runbook is unfinished (blocked, aborted,
 * interrupted by a drop) and no process holds it: a new session would start the runbook again
 * from its first step, so the operator is asked whether to resume that one instead. Plain mode
 * (`run`) only notes it, as it must not wait for an answer.
 */
import { resolve } from 'node:path';
import { unfinishedSessionOf, type SessionSummary } from '../session/history.js';
import { sessionsDir } from '../session/session-paths.js';
import { ask } from './ask.js';
import { RESUME } from './specs.js';

/** `blocked at healthz, started 02:10 UTC by ubuntu`. */
function describe(session: SessionSummary): string {
  const at = session.at !== undefined ? ` at ${session.at}` : '';
  const since = session.startedAt !== undefined ? `, started ${new Date(session.startedAt).toISOString().slice(11, 16)} UTC` : '';
  return `${session.state}${at}${since} by ${session.who}`;
}

/** The TUI's flags that `resume` takes too, as arguments again (`--as`, `--var`, the lock flags, `--quiet`, ...). */
export function resumeFlags(values: Record<string, unknown>): string[] {
  const args: string[] = [];
  for (const [name, value] of Object.entries(values)) {
    if (!(name in RESUME.options) || value === undefined || value === false) continue;
    if (value === true) args.push(`--${name}`);
    else for (const one of Array.isArray(value) ? value : [value]) args.push(`--${name}`, String(one));
  }
  return args;
}

/**
 * The arguments of `stepgate resume` for the unfinished session of `file` the operator chose
 * to resume, or undefined to start a new session as asked.
 */
export async function offerResume(file: string, values: Record<string, unknown>): Promise<string[] | undefined> {
  const earlier = await unfinishedSessionOf(sessionsDir(), resolve(file)).catch(() => undefined);
  if (!earlier) return undefined;
  process.stderr.write(`stepgate: session ${earlier.id} of this runbook is unfinished (${describe(earlier)})\n`);
  const answer = await ask('resume it instead of starting again from the first step? [Y/n] ');
  if (/^n/i.test(answer)) return undefined;
  return [earlier.id, ...resumeFlags(values)];
}
