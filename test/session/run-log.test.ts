/**
 * Each step's latest run as the journal tells it (the gate's attempts after a resume), and
 * finding and reading transcripts on the real file system.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal } from '../../src/session/journal.js';
import { newSessionId } from '../../src/session/session-paths.js';
import { MAX_ATTEMPTS_KEPT, runLogOf } from '../../src/session/run-log.js';
import { findTranscript, readTranscript } from '../../src/session/transcripts.js';
import type { SessionEvent } from '../../src/session/types.js';

const key = '/rb/deploy.md#healthz';
const started = (attempt: number): SessionEvent => ({ type: 'step-started', at: attempt, depth: 0, index: 1, key, attempt });
const attempt = (n: number, of: number, error?: string): SessionEvent => ({
  type: 'check-attempt',
  at: n,
  depth: 0,
  index: 1,
  key,
  check: 0,
  target: 'http://127.0.0.1:1/healthz',
  attempt: n,
  of,
  ok: error === undefined,
  latencyMs: 3,
  ...(error !== undefined ? { status: 503, error } : {}),
});

describe('runLogOf', () => {
  it('keeps the attempts of the latest run of each step, and the transcript its end names', () => {
    const log = runLogOf([
      started(1),
      attempt(1, 2, 'bad status 503: first run'),
      attempt(2, 2, 'bad status 503: first run'),
      { type: 'step-finished', at: 9, depth: 0, index: 1, key, ok: false, exitCode: null, durationMs: 5, timedOut: false, interrupted: false, transcript: '/s/id/00003-healthz-1.log' },
      started(2),
      attempt(1, 2, 'bad status 503: second run'),
    ]);
    expect(log.attempts.get(key)?.map((a) => (a.type === 'check-attempt' ? `${a.attempt} ${a.error}` : ''))).toEqual(['1 bad status 503: second run']);
    expect(log.transcripts.get(key)).toBe('/s/id/00003-healthz-1.log');
  });

  it('is bounded: a check with more attempts than kept keeps the newest', () => {
    const events: SessionEvent[] = [started(1)];
    for (let n = 1; n <= MAX_ATTEMPTS_KEPT + 10; n += 1) events.push(attempt(n, MAX_ATTEMPTS_KEPT + 10, 'refused'));
    const kept = runLogOf(events).attempts.get(key) ?? [];
    expect(kept).toHaveLength(MAX_ATTEMPTS_KEPT);
    expect(kept[0]).toMatchObject({ attempt: 11 });
  });
});

describe('transcripts on disk', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepgate-transcripts-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the latest transcript of a step run that the file journal wrote, odd step ids included', async () => {
    const id = newSessionId(Date.UTC(2026, 0, 1));
    const journal = await FileJournal.open(dir, id);
    // Named as the store names them: `<seq>-<step id>-<attempt>`.
    for (const name of ['00003-db/migrate v2-1', '00009-db/migrate v2-1', '00012-db/migrate v2-2', '00004-other-1']) {
      const sink = await journal.openTranscript(name);
      sink.write(`${name}\n`);
      await sink.close();
    }
    await journal.close();
    const found = await findTranscript(join(dir, id), 'db/migrate v2', 1);
    expect(found).toBe(join(dir, id, '00009-db_migrate_v2-1.log'));
    expect(await readTranscript(found ?? '')).toBe('00009-db/migrate v2-1\n');
    expect(await findTranscript(join(dir, id), 'db/migrate v2', 3)).toBeUndefined();
    expect(await findTranscript(join(dir, 'no-such-session'), 'x', 1)).toBeUndefined();
  });

  it('reads the end of a long transcript from a whole line and says what it left out', async () => {
    const path = join(dir, 'long.log');
    writeFileSync(path, Array.from({ length: 1000 }, (_, i) => `line ${i}`).join('\n') + '\n');
    const text = await readTranscript(path, 100);
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^\[stepgate\] the first \d+ bytes are left out; the whole file: .*long\.log$/);
    expect(lines[1]).toMatch(/^line \d+$/);
    expect(lines.at(-2)).toBe('line 999');
  });
});
