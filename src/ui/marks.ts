/**
 * Step states as text that does not depend on colour: an 80x24 SSM terminal without colour
 * must still tell running from failed at a glance.
 */
import { formatDuration } from '../runbooks/duration.js';
import { TICKED_IN_RUNBOOK } from '../session/reducer.js';
import type { StepState, StepStatus } from '../session/types.js';

const MARKS: Record<StepStatus, string> = {
  pending: '[ ]',
  running: '[>]',
  passed: '[x]',
  failed: '[!]',
  skipped: '[-]',
  overridden: '[~]',
};

export function statusMark(status: StepStatus): string {
  return MARKS[status];
}

/** Colour used on top of the mark when colour is on; never the only signal. */
export function statusColor(status: StepStatus): string | undefined {
  switch (status) {
    case 'running':
      return 'cyan';
    case 'passed':
      return 'green';
    case 'failed':
      return 'red';
    case 'skipped':
    case 'overridden':
      return 'yellow';
    case 'pending':
      return undefined;
  }
}

/** Short words for the right side of a checklist row. */
export function statusNote(step: StepState): string {
  switch (step.status) {
    case 'pending':
      return '';
    case 'running':
      return step.attempts > 1 ? `running, try ${step.attempts}` : 'running';
    case 'passed':
      // Not "ok": nobody confirmed it in this session.
      if (step.reason === TICKED_IN_RUNBOOK) return 'ticked in runbook';
      return step.durationMs !== undefined ? `ok ${formatDuration(step.durationMs)}` : 'ok';
    case 'failed':
      if (step.interrupted) return 'interrupted';
      if (step.timedOut) return 'timed out';
      return step.exitCode !== undefined && step.exitCode !== null ? `exit ${step.exitCode}` : 'failed';
    case 'skipped':
      return 'skipped';
    case 'overridden':
      return 'overridden';
  }
}

/** Elapsed time for the header: 00:42, 12:05, 1:02:09. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const hh = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return hh > 0 ? `${hh}:${mm}:${ss}` : `${mm}:${ss}`;
}

/** Elapsed time to the minute, for a header that is not redrawn every second: <1 min, 12 min, 1 h 02 min. */
export function formatElapsedMinutes(ms: number): string {
  const m = Math.max(0, Math.floor(ms / 60_000));
  if (m === 0) return '<1 min';
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
