/**
 * The latest run of each step as the journal tells it: every attempt of its checks and the
 * path of its transcript. The reducer keeps only the last attempt per check (enough for the
 * engine); a gate shows them all. Folded from the same events live and on resume, so a gate
 * rebuilt from a journal reads exactly like the gate the operator had before the crash.
 */
import type { SessionEvent } from './types.js';

export type CheckAttemptEvent = Extract<SessionEvent, { type: 'check-attempt' }>;

/** Attempts kept per step: one run's, at most this many (a check with 1000 retries stays bounded). */
export const MAX_ATTEMPTS_KEPT = 50;

export interface RunLog {
  /** Step key (`file#step-id`) to the check attempts of its latest run, oldest first. */
  attempts: ReadonlyMap<string, readonly CheckAttemptEvent[]>;
  /** Step key to the transcript of its latest finished (or, after a crash, interrupted) run. */
  transcripts: ReadonlyMap<string, string>;
  /** Step key to why the transcript of its latest run is not its whole output (`transcriptLost`). */
  lost?: ReadonlyMap<string, string>;
}

export const EMPTY_RUN_LOG: RunLog = { attempts: new Map(), transcripts: new Map() };

/** The log after one event; the same object when the event changes nothing in it. */
export function foldRunLog(log: RunLog, event: SessionEvent): RunLog {
  switch (event.type) {
    case 'step-started': {
      // A new run: the previous run's attempts no longer describe the step.
      if (!log.attempts.has(event.key)) return log;
      const attempts = new Map(log.attempts);
      attempts.delete(event.key);
      return { ...log, attempts };
    }
    case 'check-attempt': {
      const attempts = new Map(log.attempts);
      attempts.set(event.key, [...(log.attempts.get(event.key) ?? []), event].slice(-MAX_ATTEMPTS_KEPT));
      return { ...log, attempts };
    }
    case 'step-finished': {
      const lost = withLost(log.lost, event.key, event.transcriptLost);
      if (event.transcript === undefined) return lost === log.lost ? log : { ...log, lost };
      const transcripts = new Map(log.transcripts);
      transcripts.set(event.key, event.transcript);
      return { ...log, transcripts, ...(lost !== undefined ? { lost } : {}) };
    }
    default:
      return log;
  }
}

/** `lost` with step `key`'s latest run said (a copy only when that changes it). */
function withLost(lost: ReadonlyMap<string, string> | undefined, key: string, why: string | undefined): ReadonlyMap<string, string> | undefined {
  if (lost?.get(key) === why) return lost;
  const next = new Map(lost);
  if (why === undefined) next.delete(key);
  else next.set(key, why);
  return next;
}

/** The log a journal describes. */
export function runLogOf(events: readonly SessionEvent[]): RunLog {
  let log = EMPTY_RUN_LOG;
  for (const event of events) log = foldRunLog(log, event);
  return log;
}

/** The log with one more transcript (an interrupted run's, found on disk). */
export function withTranscript(log: RunLog, key: string, path: string): RunLog {
  const transcripts = new Map(log.transcripts);
  transcripts.set(key, path);
  return { ...log, transcripts };
}
