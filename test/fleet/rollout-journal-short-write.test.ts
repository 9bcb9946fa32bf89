/**
 * A rollout journal's append that the disk cuts short: write(2) takes part of the line and says
 * so only in its count. The append must finish the line or fail, not fsync half a line and let
 * `fleet cancel` or `fleet run` go on as though the event were on disk (test/helpers/file-size-limit.ts
 * makes the kernel cut the write for real).
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { appendRolloutEvent, newRolloutId, readRolloutJournal, rolloutPath } from '../../src/session/rollout-journal.js';
import { underFileSizeLimit } from '../helpers/file-size-limit.js';
import { ROOT } from '../helpers/paths.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-rollout-short-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('rollout journal: a write cut short', () => {
  it('the append fails loudly instead of leaving half its line on disk as done', { timeout: 60_000 }, async () => {
    const id = newRolloutId(Date.UTC(2026, 0, 2, 3, 4, 5));
    const env = { STEPGATE_STATE_DIR: dir };
    await appendRolloutEvent(id, { type: 'rollout-error', at: 0, message: 'first line' }, env);
    const path = rolloutPath(id, env);
    const before = statSync(path).size;
    const module = JSON.stringify(join(ROOT, 'src', 'session', 'rollout-journal.ts'));
    const result = await underFileSizeLimit(
      before + 40,
      `const { appendRolloutEvent } = await import(${module});`,
      `appendRolloutEvent(${JSON.stringify(id)}, { type: 'rollout-error', at: 1, message: 'x'.repeat(300) }, ${JSON.stringify(env)})`,
    );
    expect(result).toEqual({ code: 3, stderr: expect.stringMatching(/EFBIG|file too large/) });
    // The kernel did cut the write: 40 bytes of the line are there, without its end.
    expect(statSync(path).size).toBe(before + 40);
    expect(readRolloutJournal(id, env)?.torn).toEqual({ line: 2, bytes: 40 });
  });
});
