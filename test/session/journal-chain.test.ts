/**
 * The journal's hash chain (issue 13, item 6) on real files: an edited, reordered or
 * middle-truncated journal is detected and located; an old unchained one is told apart.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal } from '../../src/session/journal.js';
import { chainKeyPath, newSessionId } from '../../src/session/session-paths.js';
import { chainProblems, dropTornTail, readJournal } from '../../src/session/journal-read.js';
import type { SessionEvent } from '../../src/session/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-chain-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const finished = (n: number, ok: boolean): SessionEvent => ({
  type: 'step-finished', at: n, depth: 0, index: n, key: `k${n}`, ok, exitCode: ok ? 0 : 1, durationMs: 1, timedOut: false, interrupted: false,
});

async function journalOf(events: SessionEvent[]): Promise<{ path: string; id: string }> {
  const id = newSessionId(0);
  const j = await FileJournal.open(dir, id);
  for (const e of events) await j.append(e);
  await j.close();
  return { path: j.path, id };
}

function edit(path: string, change: (lines: string[]) => string[]): void {
  const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
  writeFileSync(path, `${change(lines).join('\n')}\n`);
}

/** The first line a session writes; only what the chain's checks read of it is real. */
const started = (): SessionEvent => ({
  type: 'session-started', at: 0, v: 1, id: 'x', version: '0.1.0', who: { user: 'u' }, host: 'h', pid: 1, cwd: '/',
  runbooks: [], frame: { source: { file: '/r.md' }, title: 'r', items: [], rollback: false }, vars: [], options: {},
});

const five = [1, 2, 3, 4, 5].map((n) => finished(n, n !== 3));

describe('journal hash chain', () => {
  it('keeps a random 0600 key and verifies an untouched journal, also after a reopen', async () => {
    const { path, id } = await journalOf(five.slice(0, 3));
    expect(statSync(chainKeyPath(dir, id)).mode & 0o777).toBe(0o600);
    expect(readFileSync(chainKeyPath(dir, id), 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const again = await FileJournal.open(dir, id);
    await again.append(finished(4, true));
    await again.close();
    const read = await readJournal(path);
    expect(read.chain).toEqual({ kind: 'intact' });
    expect(read.events.map((e) => e.at)).toEqual([1, 2, 3, 4]);
    expect(read.events[0]).not.toHaveProperty('mac');
  });

  it('keeps the key of a session that crashed before its first event', async () => {
    const id = newSessionId(0);
    const first = await FileJournal.open(dir, id);
    await first.close();
    const key = readFileSync(chainKeyPath(dir, id), 'utf8');
    // Reopened with the journal still empty: the key on disk is the one the chain uses.
    const again = await FileJournal.open(dir, id);
    await again.append(finished(1, true));
    await again.close();
    expect(readFileSync(chainKeyPath(dir, id), 'utf8')).toBe(key);
    expect((await readJournal(again.path)).chain).toEqual({ kind: 'intact' });
  });

  it('finds a flipped "ok":false and says which line', async () => {
    const { path } = await journalOf(five);
    edit(path, (lines) => lines.map((l) => l.replace('"ok":false', '"ok":true')));
    const read = await readJournal(path);
    expect(chainProblems(read, path)).toEqual([{ line: 3, what: expect.stringMatching(/edited/), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
  });

  it('finds the last line edited', async () => {
    const { path } = await journalOf(five);
    edit(path, (lines) => lines.map((l, i) => (i === 4 ? l.replace('"exitCode":0', '"exitCode":7') : l)));
    expect(chainProblems(await readJournal(path), path).map((b) => b.line)).toEqual([5]);
  });

  it('finds two lines swapped', async () => {
    const { path } = await journalOf(five);
    edit(path, (lines) => [lines[0], lines[2], lines[1], lines[3], lines[4]] as string[]);
    expect(chainProblems(await readJournal(path), path).map((b) => b.line)).toEqual([2, 3, 4]);
  });

  it('finds a line removed from the middle', async () => {
    const { path } = await journalOf(five);
    edit(path, (lines) => lines.filter((_, i) => i !== 2));
    expect(chainProblems(await readJournal(path), path).map((b) => b.line)).toEqual([3]);
  });

  it('finds a line added by hand without a mac', async () => {
    const { path } = await journalOf(five);
    edit(path, (lines) => [...lines.slice(0, 2), JSON.stringify(finished(9, true)), ...lines.slice(2)]);
    const breaks = chainProblems(await readJournal(path), path);
    expect(breaks.map((b) => b.line)).toEqual([3, 4]);
    expect(breaks[0]?.what).toMatch(/no chain mac/);
  });

  it('reports a journal whose key is gone', async () => {
    const { path, id } = await journalOf(five);
    unlinkSync(chainKeyPath(dir, id));
    expect(chainProblems(await readJournal(path), path)).toEqual([{ line: 1, what: expect.stringMatching(/key .* is missing/) }]);
  });

  it('refuses a journal with neither key nor macs (review F3: the chain switched off by removing both), and keeps refusing it once continued', async () => {
    const { path, id } = await journalOf([started(), ...five]);
    edit(path, (lines) => lines.map((l) => l.replace(/^\{"mac":"[0-9a-f]*",/, '{').replace('"ok":false', '"ok":true')));
    unlinkSync(chainKeyPath(dir, id));
    const read = await readJournal(path);
    expect(read.chain).toEqual({ kind: 'unchained' });
    expect(chainProblems(read, path)).toEqual([{ line: 1, what: expect.stringMatching(/^has no hash chain: .*stepgate 0\.1\.0 chains/) }]);
    // A resume that accepted it goes on without a key: nothing it appends makes the journal verify.
    const j = await FileJournal.open(dir, id);
    await j.append(finished(6, true));
    await j.close();
    const again = await readJournal(path);
    expect(again.events).toHaveLength(7);
    expect(chainProblems(again, path).map((b) => b.line)).toEqual([1]);
  });

  it('refuses a journal whose macs were removed but whose key is there, line by line', async () => {
    const { path } = await journalOf(five);
    edit(path, (lines) => lines.map((l) => l.replace(/^\{"mac":"[0-9a-f]*",/, '{')));
    expect(chainProblems(await readJournal(path), path).map((b) => b.line)).toEqual([1, 2, 3, 4, 5]);
  });

  it('leaves an empty journal (killed while it was created) alone', async () => {
    const id = newSessionId(0);
    const path = join(dir, `${id}.jsonl`);
    writeFileSync(path, '', { mode: 0o600 });
    expect(chainProblems(await readJournal(path), path)).toEqual([]);
  });

  it('an acceptance journaled by a later resume settles the lines it names, and only those', async () => {
    const { path, id } = await journalOf(five);
    edit(path, (lines) => lines.map((l) => l.replace('"ok":false', '"ok":true')));
    const j = await FileJournal.open(dir, id);
    // As resume records them: the breaks as read, each with the digest of its line.
    await j.append({ type: 'session-resumed', at: 6, who: { user: 'u' }, pid: 1, host: 'h', acceptedEdits: chainProblems(await readJournal(path), path) });
    await j.append(finished(7, true));
    await j.close();
    expect((await readJournal(path)).chain).toEqual({ kind: 'intact' });
    edit(path, (lines) => lines.map((l, i) => (i === 0 ? l.replace('"exitCode":0', '"exitCode":5') : l)));
    expect(chainProblems(await readJournal(path), path).map((b) => b.line)).toEqual([1]);
  });

  it('an accepted line rewritten again, its mac kept, is a new break (review F5)', async () => {
    const { path, id } = await journalOf(five);
    edit(path, (lines) => lines.map((l) => l.replace('"ok":false', '"ok":true')));
    const j = await FileJournal.open(dir, id);
    await j.append({ type: 'session-resumed', at: 6, who: { user: 'u' }, pid: 1, host: 'h', acceptedEdits: chainProblems(await readJournal(path), path) });
    await j.close();
    expect((await readJournal(path)).chain).toEqual({ kind: 'intact' });
    // Line 4 chains from line 3's stored mac, so only the acceptance can notice.
    edit(path, (lines) => lines.map((l, i) => (i === 2 ? l.replace('"exitCode":1', '"exitCode":0') : l)));
    expect(chainProblems(await readJournal(path), path)).toEqual([{ line: 3, what: expect.stringMatching(/does not verify/), sha256: expect.any(String) }]);
  });

  it('an acceptance without the line\'s digest (written before F5) settles nothing', async () => {
    const { path, id } = await journalOf(five);
    edit(path, (lines) => lines.map((l) => l.replace('"ok":false', '"ok":true')));
    const j = await FileJournal.open(dir, id);
    await j.append({ type: 'session-resumed', at: 6, who: { user: 'u' }, pid: 1, host: 'h', acceptedEdits: [{ line: 3, what: 'x' }] });
    await j.close();
    expect(chainProblems(await readJournal(path), path).map((b) => b.line)).toEqual([3]);
  });
  describe('a last line without its newline', () => {
    const override: SessionEvent = { type: 'decision', at: 9, depth: 0, index: 3, key: 'k3', who: { user: 'root' }, decision: { kind: 'override', reason: 'approved by change board' } };

    it('is verified by the chain when it parses: an override appended by hand (no newline, no mac) is a break', async () => {
      const { path } = await journalOf(five);
      appendFileSync(path, JSON.stringify(override));
      const read = await readJournal(path);
      expect(read.torn).toBeUndefined();
      expect(chainProblems(read, path)).toEqual([{ line: 6, what: expect.stringMatching(/no chain mac/), sha256: expect.any(String) }]);
    });

    it('is a break with a mac copied from another line too', async () => {
      const { path } = await journalOf(five);
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      const mac = /^\{"mac":"([0-9a-f]{64})"/.exec(lines[4] ?? '')?.[1] ?? '';
      appendFileSync(path, `{"mac":"${mac}",${JSON.stringify(override).slice(1)}`);
      expect(chainProblems(await readJournal(path), path).map((b) => b.line)).toEqual([6]);
    });

    it('verifies when stepgate wrote it and only the newline was lost, and resume keeps it', async () => {
      const { path } = await journalOf(five);
      writeFileSync(path, readFileSync(path, 'utf8').slice(0, -1));
      const read = await readJournal(path);
      expect(read.torn).toBeUndefined();
      expect(read.events).toHaveLength(5);
      expect(read.chain).toEqual({ kind: 'intact' });
      expect(await dropTornTail(path)).toBeUndefined();
      expect((await readJournal(path)).chain).toEqual({ kind: 'intact' });
    });

    it('is torn when it does not parse (a crash mid-write): left out of events and chain, as before', async () => {
      const { path } = await journalOf(five);
      const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
      // A prefix of a valid line, as a crash mid-write leaves it.
      const fragment = (lines[4] ?? '').slice(0, 90);
      writeFileSync(path, `${lines.slice(0, 4).join('\n')}\n${fragment}`);
      const read = await readJournal(path);
      expect(read.torn).toEqual({ line: 5, bytes: Buffer.byteLength(fragment) });
      expect(read.events).toHaveLength(4);
      expect(read.chain).toEqual({ kind: 'intact' });
      expect(chainProblems(read, path)).toEqual([]);
    });
  });
});
