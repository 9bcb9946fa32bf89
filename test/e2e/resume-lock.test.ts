/**
 * Issue 13 item 3: two resumes of one session must never both run. The session lock is a host
 * lock the kernel releases with its process (src/exec/lock.ts), so there is no stale-lock
 * window to race through: 50 resumes started at once, exactly one runs the step.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace, collect } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

describe('the session lock', () => {
  it('50 simultaneous resumes of one blocked session: exactly one runs it', async () => {
    const runs = join(ws.dir, 'runs.txt');
    ws.write(
      'once.md',
      // Fails until `go` exists; each run leaves one line, and the passing run stays a moment so
      // the resumes overlap it.
      '# Once\n\n## Record\n\nRecord this run.\n\n```bash {name=record}\necho "run by $$" >> runs.txt\ntest -f go && sleep 2\n```\n',
    );
    const first = await ws.run(['run', 'once.md']);
    expect(first.code, first.stdout + first.stderr).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    writeFileSync(join(ws.dir, 'go'), '');

    const results = await Promise.all(Array.from({ length: 50 }, () => collect(ws.spawn(['resume', id, '--yes', '--retry']))));
    const lines = readFileSync(runs, 'utf8').trim().split('\n');
    // One line from the blocked run, exactly one from the resumes.
    expect(lines, results.map((r) => r.stderr).join('')).toHaveLength(2);
    const winners = results.filter((r) => r.code === 0 && r.stdout.includes('== completed =='));
    expect(winners).toHaveLength(1);
    for (const r of results) {
      if (r === winners[0]) continue;
      // Either it found the lock held (the holder names itself, unless too busy to answer in
      // time), or it came after the winner had finished.
      expect(`${r.stdout}${r.stderr}`).toMatch(/is in use by (process \d+|another process)|already completed; nothing to resume/);
    }
    const resumed = ws.events(id).filter((e) => e.type === 'session-resumed');
    expect(resumed.length).toBeGreaterThanOrEqual(1);
    expect(ws.events(id).filter((e) => e.type === 'step-started')).toHaveLength(2);
  }, 900_000);
});
