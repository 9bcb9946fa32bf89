import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/exec/probes.js';
import { processesWith, uniqueSleepSeconds } from '../helpers/process-scan.js';
import { createUser, isRoot, processAlive, removeUser, waitFor } from './helpers.js';

const uniqueSleep = uniqueSleepSeconds;

const users: string[] = [];
afterAll(() => users.forEach((u) => removeUser(u)));

describe('run: checks in their own process group', () => {
  it('a compound command honours its timeout, and nothing it forked outlives it', async () => {
    const seconds = uniqueSleep();
    const pending = runProbe({ kind: 'run', command: `sleep ${seconds}; true`, timeoutMs: 1000 });
    const seen = await waitFor('the check\'s sleep to start', () => processesWith(`sleep ${seconds}`)[0]);
    // Its own group, not ours (so a signal to it cannot reach stepgate).
    expect(seen.pgid).not.toBe(process.pid);
    const res = await pending;
    expect(res.ok).toBe(false);
    expect(res.error).toBe(`timeout after 1000ms running \`sleep ${seconds}; true\``);
    expect(processAlive(seen.pid)).toBe(false);
    // SIGKILL is delivered at once but the process ends a moment later: wait for it, bounded.
    await waitFor('the group to be gone', () => processesWith(`sleep ${seconds}`).length === 0);
  }, 30_000);

  it('a cancel ends the whole group too', async () => {
    const seconds = uniqueSleep();
    const abort = new AbortController();
    const pending = runProbe({ kind: 'run', command: `sleep ${seconds} && echo never`, timeoutMs: 60_000 }, { signal: abort.signal });
    const seen = await waitFor('the check\'s sleep to start', () => processesWith(`sleep ${seconds}`)[0]);
    abort.abort();
    const res = await pending;
    expect(res.error).toBe('cancelled');
    expect(processAlive(seen.pid)).toBe(false);
  }, 30_000);

  it('a passing check leaves nothing running that it started in the background', async () => {
    const seconds = uniqueSleep();
    const res = await runProbe({ kind: 'run', command: `sleep ${seconds} >/dev/null 2>&1 & echo started`, timeoutMs: 10_000 });
    expect(res).toMatchObject({ ok: true, output: 'started' });
    // SIGKILL is delivered at once but the process ends a moment later: wait for it, bounded.
    await waitFor('the group to be gone', () => processesWith(`sleep ${seconds}`).length === 0);
  }, 30_000);

  it.skipIf(!isRoot())('as another user (runuser), the timeout ends the user\'s processes', async () => {
    const user = createUser('sgpgrp');
    users.push(user);
    const seconds = uniqueSleep();
    const pending = runProbe({ kind: 'run', command: `sleep ${seconds}; true`, timeoutMs: 1000, user });
    const seen = await waitFor('the check\'s sleep to start', () => processesWith(`sleep ${seconds}`).find((p) => !readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').startsWith('runuser')));
    const res = await pending;
    expect(res.error).toMatch(/^timeout after 1000ms/);
    expect(processAlive(seen.pid)).toBe(false);
    // SIGKILL is delivered at once but the process ends a moment later: wait for it, bounded.
    await waitFor('the group to be gone', () => processesWith(`sleep ${seconds}`).length === 0);
  }, 30_000);
});
