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

/** What a second session is told while a first one (detached or in place) holds the runbook's lock. */
async function refusalWhileHeld(firstDetached: boolean, first: string, second: string): Promise<string> {
  const book = lockedBook();
  const held = await holdRunbookLock('/rb/deploy.md', book, options(first, firstDetached));
  if ('refused' in held) throw new Error(held.refused);
  try {
    const other = await holdRunbookLock('/rb/deploy.md', book, options(second, false));
    if (!('refused' in other)) throw new Error('the second session took a held lock');
    return other.refused;
  } finally {
    held.release();
  }
}

describe('the lock refusal', () => {
  it('names attach, attach --watch, --wait-lock and --steal-lock when the holder runs detached', async () => {
    const [line, advice] = (await refusalWhileHeld(true, '20261206-120000-aaaaaa', '20261206-120100-bbbbbb')).split('\n');
    expect(line).toContain('it runs detached: stepgate attach 20261206-120000-aaaaaa joins it, stepgate attach --watch 20261206-120000-aaaaaa only watches');
    expect(advice).toBe('  or wait for it with --wait-lock, or take it over with --steal-lock REASON (journaled in both sessions)');
  });

  it('offers no attach when the holder runs in place (nothing to attach to)', async () => {
    const refused = await refusalWhileHeld(false, '20261206-120000-cccccc', '20261206-120100-dddddd');
    expect(refused).not.toContain('attach');
    expect(refused.split('\n')[1]).toBe('  wait for it with --wait-lock, or take it over with --steal-lock REASON (journaled in both sessions)');
  });
});
