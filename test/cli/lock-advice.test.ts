/**
 * What the runbook lock's refusal tells a second operator to do: every real way on, through
 * the real host lock (a socket under /tmp) held by this process as a first session would.
 */
import { randomBytes } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { holdRunbookLock, type SessionLockOptions } from '../../src/commands/runbook-lock.js';
import type { Runbook } from '../../src/runbooks/model.js';

function options(session: string, detached: boolean): SessionLockOptions {
  return { wait: false, session, store: () => undefined, err: new PassThrough(), stop: () => undefined, ...(detached ? { detached: true } : {}) };
}

/** A runbook that names its lock, unique per test, so that no other test's lock is met. */
function lockedBook(): Runbook {
  return { frontMatter: { lock: `stepgate-test-advice-${randomBytes(6).toString('hex')}` } } as unknown as Runbook;
}

describe('the lock refusal', () => {
  it('names attach, attach --watch, --wait-lock and --steal-lock when the holder runs detached', async () => {
    const book = lockedBook();
    const first = await holdRunbookLock('/rb/deploy.md', book, options('20261206-120000-aaaaaa', true));
    if ('refused' in first) throw new Error(first.refused);
    try {
      const second = await holdRunbookLock('/rb/deploy.md', book, options('20261206-120100-bbbbbb', false));
      if (!('refused' in second)) throw new Error('the second session took a held lock');
      const [line, advice] = second.refused.split('\n');
      expect(line).toContain('it runs detached: stepgate attach 20261206-120000-aaaaaa joins it, stepgate attach --watch 20261206-120000-aaaaaa only watches');
      expect(advice).toBe('  or wait for it with --wait-lock, or take it over with --steal-lock REASON (journaled in both sessions)');
    } finally {
      first.release();
    }
  });

  it('offers no attach when the holder runs in place (nothing to attach to)', async () => {
    const book = lockedBook();
    const first = await holdRunbookLock('/rb/deploy.md', book, options('20261206-120000-cccccc', false));
    if ('refused' in first) throw new Error(first.refused);
    try {
      const second = await holdRunbookLock('/rb/deploy.md', book, options('20261206-120100-dddddd', false));
      if (!('refused' in second)) throw new Error('the second session took a held lock');
      expect(second.refused).not.toContain('attach');
      expect(second.refused.split('\n')[1]).toBe('  wait for it with --wait-lock, or take it over with --steal-lock REASON (journaled in both sessions)');
    } finally {
      first.release();
    }
  });
});
