import { describe, expect, it } from 'vitest';
import { isSessionId, newSessionId } from '../../src/session/session-paths.js';

describe('session ids', () => {
  it('sort in the order sessions started, within one second too', () => {
    const second = Date.UTC(2026, 11, 5, 18, 52, 31);
    // Many draws, so a tail that were random only would put some pair out of order.
    for (let round = 0; round < 50; round++) {
      const times = [0, 1, 15, 16, 255, 256, 500, 999].map((ms) => second + ms).concat(second + 1000);
      const ids = times.map((t) => newSessionId(t));
      expect([...ids].sort()).toEqual(ids);
      for (const id of ids) expect(isSessionId(id)).toBe(true);
    }
  });

  it('keep the second readable and differ within one millisecond', () => {
    const now = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    expect(newSessionId(now)).toMatch(/^20260102-030405-2a6[0-9a-f]{3}$/);
    const many = new Set(Array.from({ length: 200 }, () => newSessionId(now)));
    expect(many.size).toBeGreaterThan(150);
  });
});
