import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/session/backoff.js';

describe('backoff', () => {
  it('computes exponential backoff with +-20% jitter, capped', () => {
    const policy = { attempts: 8, baseMs: 2000, maxMs: 30_000 };
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, policy, () => 0.5))).toEqual([2000, 4000, 8000, 16000, 30000, 30000]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 0))).toEqual([1600, 3200, 6400, 12800, 25600]);
    expect([1, 2, 3, 4, 5].map((a) => backoffDelay(a, policy, () => 1))).toEqual([2400, 4800, 9600, 19200, 30000]);
    expect(backoffDelay(2, { attempts: 3, baseMs: 100 }, () => 0.75)).toBe(220);
    expect(backoffDelay(1, { attempts: 3, baseMs: 0 }, () => 1)).toBe(0);
    expect(() => backoffDelay(0, policy)).toThrow(/attempt must be >= 1/);
    expect(backoffDelay(9, { attempts: 9, baseMs: 2000 }, () => 0.5)).toBe(30_000);
  });

  it('"5 attempts, backoff from 2s" waits at least 0.8 x (2 + 4 + 8 + 16) s in all, whatever the jitter', () => {
    const policy = { attempts: 5, baseMs: 2000 };
    for (const r of [0, 0.001, 0.25, 0.5, 0.999, 1]) {
      const waits = [1, 2, 3, 4].map((a) => backoffDelay(a, policy, () => r));
      expect(waits.reduce((a, b) => a + b)).toBeGreaterThanOrEqual(24_000);
      waits.forEach((w, i) => expect(w).toBeGreaterThanOrEqual(0.8 * 2000 * 2 ** i));
    }
  });
});
