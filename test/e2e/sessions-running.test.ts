/**
 * A session a live stepgate is running right now is `running (pid N)`, not the state its
 * journal stops at: a plain run mid-step read as "interrupted at STEP", a TUI in place at a gate
 * as "blocked". `sessions` (text within 80 columns on a terminal, `runningPid` in --json) and
 * the TUI's picker say so; once that process is gone, the journal's state is shown again.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace, collect, waitForOutput } from './plain-harness.js';
import { startTui, type Tui } from './tui-harness.js';

let ws: Workspace;
const tuis: Tui[] = [];
const children: ChildProcess[] = [];

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  // The step's sleep outlives the killed run (its shell is left behind too): ended by the pid it wrote.
  const stray = join(ws.dir, 'wait.pid');
  if (existsSync(stray)) {
    try {
      process.kill(Number(readFileSync(stray, 'utf8').trim()), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  for (const tui of tuis.splice(0)) {
    try {
      tui.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  ws.remove();
});

const SLOW = `---
title: Slow
---
# Slow

## Wait

Waits long enough to be looked at: the test runs eight stepgate commands meanwhile, each a
new node process (seconds each on a loaded machine), and kills the run itself.

\`\`\`bash {name=wait}
echo waiting; sleep 150 & echo $! > wait.pid; wait
\`\`\`
`;

const FAILS = `---
title: Fails
---
# Fails

## Try

Fails, so the session stops at its gate.

\`\`\`bash {name=try}
false
\`\`\`
`;

interface Listed {
  id: string;
  state: string;
  at?: string;
  runningPid?: number;
}

async function listed(): Promise<Listed[]> {
  const r = await ws.run(['sessions', '--json']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout) as Listed[];
}

/** `stepgate sessions` on an 80-column terminal: the lines it wrote (not wrapped by the terminal). */
async function sessionsOnTerminal(): Promise<string[]> {
  const tui = startTui(['sessions'], ws.dir, ws.state);
  tuis.push(tui);
  expect(await tui.exited).toBe(0);
  return tui.output().split(/\r?\n/);
}

describe('a session a live stepgate holds', () => {
  it('a plain run mid-step is running (pid N) in sessions and --json, within 80 columns; interrupted once it is killed', async () => {
    ws.write('slow.md', SLOW);
    const child = ws.spawn(['run', 'slow.md']);
    children.push(child);
    const done = collect(child);
    await waitForOutput(child, 'waiting');
    const [id] = ws.sessionIds();
    if (id === undefined || child.pid === undefined) throw new Error('no session');

    expect(await listed()).toEqual([expect.objectContaining({ id, state: `running (pid ${child.pid})`, at: 'wait', runningPid: child.pid })]);
    const text = await ws.run(['sessions']);
    expect(text.stdout).toMatch(new RegExp(`${id}\\s+.*running at wait \\(pid ${child.pid}\\)\\s+slow\\.md`));
    expect(text.stdout).not.toContain('interrupted');
    const lines = await sessionsOnTerminal();
    expect(lines.join('\n')).toContain(`running at wait (pid ${child.pid})`);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    // log and report say it runs on, not that it was interrupted.
    const log = await ws.run(['log', id]);
    expect(log.stdout).toContain(`session running in process ${child.pid} at wait: the trail so far (it goes on)`);
    expect(log.stdout).not.toContain('session unfinished');
    const report = await ws.run(['report', id]);
    expect(report.stdout).toContain(`running in process ${child.pid} at wait (this report is the journal so far)`);
    expect(report.stdout).not.toContain('journal ends here');

    child.kill('SIGKILL');
    await done;
    expect((await ws.run(['log', id])).stdout).toContain('session unfinished: interrupted at wait');
    const after = await listed();
    expect(after).toEqual([expect.objectContaining({ id, state: 'interrupted', at: 'wait' })]);
    expect(after[0]).not.toHaveProperty('runningPid');
    // Nine node processes one after the other (the run and eight commands): 5 s alone, past 30 s under load.
  }, 120_000);

  it('a TUI in place at a gate is running (pid N), in sessions and in the picker; blocked once it quits', async () => {
    const books = join(ws.dir, 'books');
    mkdirSync(books);
    const file = ws.write('books/fails.md', FAILS);
    const tui = startTui([file], ws.dir, ws.state);
    tuis.push(tui);
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('BLOCKED at try (attempt 1)');
    const [id] = ws.sessionIds();
    if (id === undefined) throw new Error('no session');

    expect(await listed()).toEqual([expect.objectContaining({ id, state: `running (pid ${tui.pid})`, runningPid: tui.pid })]);
    expect((await ws.run(['sessions'])).stdout).toMatch(new RegExp(`${id}\\s+.*running at try \\(pid ${tui.pid}\\)`));

    // The picker says it runs, and enter does not resume it: the process that has it is named.
    const picker = startTui([books], ws.dir, ws.state);
    tuis.push(picker);
    let s = await picker.waitFor('enter open');
    expect(s).toContain(`> resume Fails · running at try (pid ${tui.pid})`);
    picker.press('\r');
    s = await picker.waitFor(`cannot open Fails: it is running in process ${tui.pid}`);
    picker.press('q');
    await picker.exited;

    tui.press('q');
    await tui.exited;
    expect(await listed()).toEqual([expect.objectContaining({ id, state: 'blocked', at: 'try' })]);
    const again = startTui([books], ws.dir, ws.state);
    tuis.push(again);
    s = await again.waitFor('enter open');
    expect(s).toContain('> resume Fails · blocked at try');
    again.press('q');
    await again.exited;
    // Three TUIs and two commands one after the other: 6 s alone, 34 s under load.
  }, 120_000);
});
