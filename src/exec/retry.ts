/**
 * Health-check retries: a fixed number of attempts with exponential backoff and +-20% jitter
 * (the delay doubles from the policy's base, capped), each attempt reported as it
 * happens so the UI can count down and the journal can record it.
 */
import { systemClock } from './clock.js';
import { runProbe } from './probes.js';
import type { AttemptReport, Clock, ProbeResult, ProbeSpec, RetryPolicy } from './types.js';

/** The reference guide's policy: 5 attempts, backoff from 2 s, no single wait above 30 s. */
export const DEFAULT_RETRY_POLICY: Required<RetryPolicy> = { attempts: 5, baseMs: 2000, maxMs: 30_000 };

/** How far a wait may stray from its exponential value, either way (0.2 = +-20%). */
export const BACKOFF_JITTER = 0.2;

export function checkPolicy(policy: RetryPolicy): void {
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new RangeError(`retry policy: attempts must be a whole number >= 1, got ${policy.attempts}`);
  }
  if (!(policy.baseMs >= 0)) throw new RangeError(`retry policy: baseMs must be >= 0, got ${policy.baseMs}`);
  if (policy.maxMs !== undefined && !(policy.maxMs >= 0)) {
    throw new RangeError(`retry policy: maxMs must be >= 0, got ${policy.maxMs}`);
  }
}

/**
 * The wait after failed attempt number `attempt` (1-based): `baseMs * 2^(attempt-1)` times a
 * jitter factor uniform in [0.8, 1.2], never above `maxMs` (default 30 s), rounded to whole ms.
 * The jitter is bounded, not "full": a runbook's `backoff: 2s` promises that a slow service
 * gets about 2 + 4 + 8 + 16 s, not a random fraction of it. Pure given `random`.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoffDelay: attempt must be >= 1, got ${attempt}`);
  const cap = policy.maxMs ?? DEFAULT_RETRY_POLICY.maxMs;
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = policy.baseMs * 2 ** (attempt - 1) * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * r);
  return Math.round(Math.min(cap, jittered));
}

export interface RetryOptions {
  /** Default: systemClock. */
  clock?: Clock;
  /** Cancels the wait and the attempt in progress. */
  signal?: AbortSignal;
  /** Called after each attempt, before waiting for the next. */
  onAttempt?: (report: AttemptReport) => void;
  /** Source of jitter in [0, 1). Default Math.random. */
  random?: () => number;
  /** Runs one attempt. Default: runProbe (the real HTTP/TCP/run probes). */
  probe?: (spec: ProbeSpec, signal?: AbortSignal) => Promise<ProbeResult>;
}

export interface RetryOutcome {
  ok: boolean;
  /** Every attempt made, in order. */
  attempts: AttemptReport[];
  /** The last attempt's result (a synthetic failure when cancelled before the first). */
  last: ProbeResult;
  cancelled: boolean;
}

/** Run `spec` until it passes or `policy.attempts` are used up. */
export async function runWithRetry(spec: ProbeSpec, policy: RetryPolicy, opts: RetryOptions = {}): Promise<RetryOutcome> {
  checkPolicy(policy);
  const clock = opts.clock ?? systemClock;
  const random = opts.random ?? Math.random;
  const probe = opts.probe ?? ((s: ProbeSpec, signal?: AbortSignal) => runProbe(s, { signal }));
  const attempts: AttemptReport[] = [];
  let last: ProbeResult = { ok: false, latencyMs: 0, error: 'cancelled before the first attempt' };
  for (let attempt = 1; attempt <= policy.attempts; attempt++) {
    if (opts.signal?.aborted) return { ok: false, attempts, last, cancelled: true };
    last = await probe(spec, opts.signal);
    if (opts.signal?.aborted && !last.ok) {
      attempts.push({ attempt, of: policy.attempts, result: last });
      opts.onAttempt?.(attempts[attempts.length - 1] as AttemptReport);
      return { ok: false, attempts, last, cancelled: true };
    }
    const more = !last.ok && attempt < policy.attempts;
    const nextDelayMs = more ? backoffDelay(attempt, policy, random) : undefined;
    const report: AttemptReport = { attempt, of: policy.attempts, result: last, ...(nextDelayMs !== undefined ? { nextDelayMs } : {}) };
    attempts.push(report);
    opts.onAttempt?.(report);
    if (last.ok) return { ok: true, attempts, last, cancelled: false };
    if (nextDelayMs !== undefined) {
      try {
        await clock.sleep(nextDelayMs, opts.signal);
      } catch {
        return { ok: false, attempts, last, cancelled: true };
      }
    }
  }
  return { ok: false, attempts, last, cancelled: false };
}
