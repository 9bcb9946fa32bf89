/**
 * Health-check backoff: how long to wait after a failed attempt. Exponential from the
 * policy's base with +-20% jitter, capped. The session makes the attempts itself (each one is
 * journaled before the wait for the next), on its own clock, and asks this for the waits:
 * the one formula, in tests and in production alike.
 */
import type { RetryPolicy } from '../exec/types.js';

/** The longest single wait when the policy sets no `maxMs`: 30 s, as the reference guide says. */
export const DEFAULT_MAX_BACKOFF_MS = 30_000;

/** How far a wait may stray from its exponential value, either way (0.2 = +-20%). */
export const BACKOFF_JITTER = 0.2;

/**
 * The wait after failed attempt number `attempt` (1-based): `baseMs * 2^(attempt-1)` times a
 * jitter factor uniform in [0.8, 1.2], never above `maxMs` (default 30 s), rounded to whole ms.
 * The jitter is bounded, not "full": a runbook's `backoff: 2s` promises that a slow service
 * gets about 2 + 4 + 8 + 16 s, not a random fraction of it. Pure given `random`.
 */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`backoffDelay: attempt must be >= 1, got ${attempt}`);
  const cap = policy.maxMs ?? DEFAULT_MAX_BACKOFF_MS;
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = policy.baseMs * 2 ** (attempt - 1) * (1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * r);
  return Math.round(Math.min(cap, jittered));
}
