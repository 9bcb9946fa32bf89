/**
 * `fleet run`, `fleet status` and `fleet cancel` in separate processes append to one rollout
 * journal. Each append chains from the file's last line, so two processes that read the same
 * last line would both chain from it and break the chain. Here real processes append at once
 * (released together) and the journal must hold every event, one per line, with its chain
 * intact.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendRolloutEvent, newRolloutId, readRolloutJournal } from '../../src/session/rollout-journal.js';
import { ROOT } from '../helpers/paths.js';

const WRITERS = 4;
const EACH = 40;
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-rollout-race-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A process that appends EACH cancel-requested events as `user` once it reads a line. */
function writer(id: string, user: string): ChildProcess {
  const module = JSON.stringify(join(ROOT, 'src', 'session', 'rollout-journal.ts'));
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
    const { appendRolloutEvent } = await import(${module});
    process.stdout.write('ready\\n');
    process.stdin.once('data', async () => {
      for (let i = 0; i < ${EACH}; i++) await appendRolloutEvent(${JSON.stringify(id)}, { type: 'cancel-requested', at: i, who: { user: ${JSON.stringify(user)} } }, { STEPGATE_STATE_DIR: ${JSON.stringify(dir)} });
      process.exit(0);
    });
  `], { stdio: ['pipe', 'pipe', 'inherit'] });
}

describe('rollout journal appends from several processes at once', () => {
  it(`${WRITERS} processes x ${EACH} events: every event kept, one per line, chain intact`, { timeout: 180_000 }, async () => {
    const id = newRolloutId(Date.UTC(2026, 0, 2, 3, 4, 5));
    const env = { STEPGATE_STATE_DIR: dir };
    // The first event creates the rollout's key, as `fleet run` does.
    await appendRolloutEvent(id, { type: 'rollout-error', at: 0, message: 'first line' }, env);
    const children = Array.from({ length: WRITERS }, (_, w) => writer(id, `writer${w}`));
    try {
      await Promise.all(children.map(async (c) => {
        const [chunk] = (await once(c.stdout as NodeJS.ReadableStream, 'data')) as [Buffer];
        expect(chunk.toString()).toBe('ready\n');
      }));
      for (const c of children) c.stdin?.write('go\n');
      const codes = await Promise.all(children.map(async (c) => (c.exitCode ?? ((await once(c, 'exit')) as [number | null])[0])));
      expect(codes).toEqual(children.map(() => 0));
    } finally {
      for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    }
    const read = readRolloutJournal(id, env);
    expect(read?.bad).toEqual([]);
    expect(read?.torn).toBeUndefined();
    expect(read?.chain).toEqual({ kind: 'intact' });
    expect(read?.events).toHaveLength(1 + WRITERS * EACH);
    // Each writer's events in its own order.
    for (let w = 0; w < WRITERS; w++) {
      const mine = (read?.events ?? []).flatMap((e) => (e.type === 'cancel-requested' && e.who.user === `writer${w}` ? [e.at] : []));
      expect(mine).toEqual(Array.from({ length: EACH }, (_, i) => i));
    }
  });
});
