/**
 * Which old step a re-planned step continues. A step deleted from a runbook with identical
 * twins (two `systemctl restart app` around a migration) gave the later twin the earlier one's
 * state; content matches now keep both plans' order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { matchPlans } from '../../src/session/match.js';
import type { FrameInit } from '../../src/session/types.js';

/** A plan of steps of these contents (a few letters, so that twins are common), keys positional. */
function plan(contents: readonly string[]): FrameInit {
  const items = contents.map((hash, i) => ({ file: '/rb/x.md', hash, key: `/rb/x.md#work-${i + 1}` }));
  return { items } as unknown as FrameInit;
}

describe('matchPlans', () => {
  it('a plan with steps deleted continues every kept step from an old step of its content, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('restart', 'migrate', 'pull', 'check'), { minLength: 1, maxLength: 12 }), fc.array(fc.boolean(), { minLength: 12, maxLength: 12 }), (old, keep) => {
        const kept = old.filter((_, i) => keep[i]);
        const match = matchPlans(plan(old), plan(kept));
        const from = match.from.map((i) => i ?? -1);
        kept.forEach((hash, j) => expect(old[from[j]!]).toBe(hash));
        for (let j = 1; j < from.length; j++) expect(from[j]!).toBeGreaterThan(from[j - 1]!);
        expect(match.edited.every((e) => !e)).toBe(true);
        expect(match.removed.length).toBe(old.length - kept.length);
      }),
    );
  });

  it('a step with no twin keeps its identity wherever it moved', () => {
    const match = matchPlans(plan(['pull', 'migrate', 'restart']), plan(['restart', 'pull', 'migrate']));
    expect(match.from).toEqual([2, 0, 1]);
    expect(match.removed).toEqual([]);
  });

  it('of identical old steps, the later one is continued (the one less likely to have run)', () => {
    expect(matchPlans(plan(['restart', 'restart']), plan(['restart'])).from).toEqual([1]);
    expect(matchPlans(plan(['restart', 'migrate', 'restart']), plan(['migrate', 'restart'])).from).toEqual([1, 2]);
  });
});
