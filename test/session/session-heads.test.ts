/**
 * The resume offer's first pass (session-heads.ts) over real journals written by FileJournal:
 * a TUI opened and quit before anything ran leaves a small journal that is no candidate, while
 * every session in which a step ran, a decision was made or that was discarded still is, and
 * the whole offer (unfinishedSessionOf) decides as it did when it read every journal whole.
 */
import * as fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { unfinishedSessionOf, somethingHappened } from '../../src/session/history.js';
import { FileJournal } from '../../src/session/journal.js';
import { planMain } from '../../src/session/plan.js';
import { currentItem, replay } from '../../src/session/reducer.js';
import { HAPPENED_TYPES, recentSessionsNaming } from '../../src/session/session-heads.js';
import { newSessionId } from '../../src/session/session-paths.js';
import type { SessionEvent } from '../../src/session/types.js';

// readSync counted: the first pass reads each journal once.
vi.mock('node:fs', async (original) => {
  const real = await original<typeof import('node:fs')>();
  return { ...real, readSync: vi.fn(real.readSync) };
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-heads-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const FILE = '/rb/deploy.md';
const book = parseRunbook('# Deploy\n\nPull.\n\n```bash {name=pull}\ngit pull\n```\n\nMigrate.\n\n```bash {name=migrate}\n./migrate\n```\n', FILE);
const main = planMain(book, new Map([[book.file, book]]));
let clock = Date.UTC(2026, 11, 6, 12);
const at = (): number => (clock += 1000);

function started(id: string): SessionEvent {
  return { type: 'session-started', at: at(), v: 1, id, version: 't', who: { user: 'ops' }, host: 'h', pid: 1, cwd: '/rb', runbooks: [{ path: FILE, sha256: 'x' }], frame: main, vars: [], options: {} };
}

/** A session of deploy.md: started, then what `then` adds given the events so far. */
async function write(then: (events: SessionEvent[]) => SessionEvent[] = () => []): Promise<string> {
  const id = newSessionId(at());
  const events = [started(id), { type: 'preflight', at: at(), findings: [], ms: 12 } as SessionEvent];
  events.push(...then(events));
  const journal = await FileJournal.open(dir, id);
  for (const event of events) await journal.append(event);
  await journal.close();
  return id;
}

function stepStarted(events: SessionEvent[], id: string): SessionEvent {
  const cur = currentItem(replay(events, id));
  if (!cur) throw new Error('no cursor');
  return { type: 'step-started', at: at(), depth: cur.depth, index: cur.index, key: cur.item.key, attempt: 1 };
}

/** A session whose first step failed: blocked, worth resuming. */
const blocked = (events: SessionEvent[]): SessionEvent[] => {
  const id = (events[0] as { id: string }).id;
  const step = stepStarted(events, id) as Extract<SessionEvent, { type: 'step-started' }>;
  return [step, { type: 'step-finished', at: at(), depth: step.depth, index: step.index, key: step.key, ok: false, exitCode: 1, durationMs: 5, timedOut: false, interrupted: false }];
};

describe('recentSessionsNaming', () => {
  it('leaves out the small journals in which nothing ran, keeps the others, newest first', async () => {
    const ran = await write(blocked);
    const quit1 = await write();
    const quit2 = await write();
    expect(await recentSessionsNaming(dir, FILE)).toEqual([ran]);
    const ranAgain = await write(blocked);
    expect(await recentSessionsNaming(dir, FILE)).toEqual([ranAgain, ran]);
    // Each quit journal names the runbook: only the rule about what happened leaves them out.
    expect([quit1, quit2]).toHaveLength(2);
    expect(await recentSessionsNaming(dir, '/elsewhere/other.md')).toEqual([]);
  });

  it('searches past the head: a plan larger than 16 KB still leaves a quit session out', async () => {
    const big = await write(() => [{ type: 'var-answered', at: at(), name: 'NOTE', value: 'x'.repeat(40 * 1024), secret: false, source: 'prompt' }]);
    expect(await recentSessionsNaming(dir, FILE)).toEqual([]);
    const ran = await write((events) => [{ type: 'var-answered', at: at(), name: 'NOTE', value: 'x'.repeat(40 * 1024), secret: false, source: 'prompt' }, ...blocked(events)]);
    expect(await recentSessionsNaming(dir, FILE)).toEqual([ran]);
    expect(big).not.toBe(ran);
  });

  it('keeps a journal too long to search, whatever it holds', async () => {
    const long = await write(() => [{ type: 'var-answered', at: at(), name: 'NOTE', value: 'x'.repeat(1100 * 1024), secret: false, source: 'prompt' }]);
    expect(await recentSessionsNaming(dir, FILE)).toEqual([long]);
  });

  it('reads each journal once, a short one whole and a long one only its head', async () => {
    const ran = await write(blocked);
    await write();
    const long = await write(() => [{ type: 'var-answered', at: at(), name: 'NOTE', value: 'x'.repeat(1100 * 1024), secret: false, source: 'prompt' }]);
    const reads = vi.mocked(fs.readSync);
    reads.mockClear();
    expect(await recentSessionsNaming(dir, FILE)).toEqual([long, ran]);
    expect(reads).toHaveBeenCalledTimes(3);
    const sizes = reads.mock.calls.map((call) => (call[1] as Buffer).length).sort((a, b) => a - b);
    expect(sizes.at(-1)).toBe(16 * 1024);
  });

  it('uses the very event types that make a session worth keeping in view', () => {
    const id = 's';
    const base = [started(id)];
    for (const type of HAPPENED_TYPES) expect(somethingHappened([...base, { type } as SessionEvent])).toBe(true);
    expect(somethingHappened([...base, { type: 'preflight', at: 1, findings: [], ms: 1 } as SessionEvent])).toBe(false);
  });
});

describe('unfinishedSessionOf after the first pass', () => {
  it('still offers the blocked session behind newer sessions in which nothing ran', async () => {
    const stuck = await write(blocked);
    await write();
    await write();
    expect((await unfinishedSessionOf(dir, FILE))?.id).toBe(stuck);
  });
});
