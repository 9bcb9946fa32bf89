/**
 * GiveUp alone (pure): when the watch stops waiting on an instance whose status it does not
 * know, and when it must not.
 */
import { describe, expect, it } from 'vitest';
import { GIVE_UP_MS, GIVE_UP_POLLS, GiveUp } from '../../src/fleet/give-up.js';
import { rowIsFinal, type InstanceReport } from '../../src/fleet/rollout.js';

const report = (status: string, statusDetails?: string): InstanceReport => ({
  instanceId: 'i-0aaaaaaaaaaaaaaa1',
  status,
  ...(statusDetails !== undefined ? { statusDetails } : {}),
  plugins: [{ name: 'build', status: 'InProgress' }],
});

/** Polls `n` times `every` ms apart from t; the first poll at which the row is final, or undefined. */
function firstFinal(g: GiveUp, r: () => InstanceReport, n: number, every: number, command = 'InProgress', t0 = 0): number | undefined {
  for (let i = 1; i <= n; i++) if (rowIsFinal(g.row(r(), t0 + i * every, command))) return i;
  return undefined;
}

describe('GiveUp', () => {
  it('decides an unknown status after both 12 polls and a minute, not sooner', () => {
    // Every 10 s: the 12th poll is 110 s after the first, so the poll count is what holds it.
    expect(firstFinal(new GiveUp('c'), () => report('Hibernating'), 100, 10_000)).toBe(GIVE_UP_POLLS);
    // Every second: the 61st poll is the first a minute after the first, so the minute holds it.
    expect(firstFinal(new GiveUp('c'), () => report('Hibernating'), 100, 1_000)).toBe(GIVE_UP_MS / 1_000 + 1);
  });

  it('starts the wait again when the unknown status changes', () => {
    const g = new GiveUp('c');
    let n = 0;
    // A new word every 10 polls: never 12 of the same in a row.
    expect(firstFinal(g, () => report(`Phase${Math.floor(n++ / 10)}`), 60, 10_000)).toBeUndefined();
  });

  it('waits without bound while SSM says the invocation moves on and the command is open, and decides once the command is final', () => {
    const g = new GiveUp('c');
    expect(firstFinal(g, () => report('InProgress', 'Warming Up'), 500, 10_000)).toBeUndefined();
    expect(firstFinal(g, () => report('InProgress', 'Warming Up'), 12, 10_000, 'Success', 5_000_000)).toBe(12);
  });

  it('shows the raw status and never turns it into a success', () => {
    const g = new GiveUp('c0ffee');
    let row = g.row(report('Hibernating'), 0, 'InProgress');
    for (let t = 10_000; !rowIsFinal(row); t += 10_000) row = g.row(report('Hibernating'), t, 'InProgress');
    expect(row).toMatchObject({ status: 'Hibernating', final: true, tail: expect.stringContaining('aws ssm get-command-invocation --command-id c0ffee --instance-id i-0aaaaaaaaaaaaaaa1') });
  });

  it('gives up on an open command with no invocation after 12 polls and a minute, and starts over when one shows up', () => {
    const g = new GiveUp('c');
    const firstGivenUp = (n: number, every: number, invocations: (i: number) => number, status = 'Pending'): number | undefined => {
      for (let i = 1; i <= n; i++) if (g.neverStarted(status, invocations(i), i * every) !== undefined) return i;
      return undefined;
    };
    expect(firstGivenUp(100, 1_000, () => 0)).toBe(GIVE_UP_MS / 1_000 + 1);
    const h = new GiveUp('c');
    // One invocation on the 10th poll: the count starts again from the next empty one.
    let decidedAt: number | undefined;
    for (let i = 1; i <= 40 && decidedAt === undefined; i++) if (h.neverStarted('Pending', i === 10 ? 1 : 0, i * 10_000) !== undefined) decidedAt = i;
    expect(decidedAt).toBe(10 + GIVE_UP_POLLS);
    // A final command is never "not started": it ended, and the watch says how.
    const f = new GiveUp('c');
    for (let i = 1; i <= 40; i++) expect(f.neverStarted('Success', 0, i * 10_000)).toBeUndefined();
  });
});
