/**
 * The key bar a watcher (`stepgate attach --watch`) reads, in stepgate's own tmux: the built
 * CLI in real ptys, the owner's TUI blocked at a gate (`r retry · s skip`). A trial's watcher
 * read those keys and pressed r; tmux drops every key of a read-only client but the detach
 * key. While only watchers are attached, the key bar lists that key alone; the owner back, it
 * lists the gate's keys again.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, TMUX, endDetached, journalEvents, startTui, type Tui, until } from './tui-harness.js';

if (TMUX === undefined) process.stderr.write(`${import.meta.filename}: tmux is not on PATH; the real-tmux test is skipped\n`);

const dirs: string[] = [];
const tuis: Tui[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`build first (npm run build): ${CLI} is missing`);
});

afterEach(() => endDetached(tuis, dirs));

/** The TUI's key bar: the last row of its frame, which ends one row above the terminal's. */
const keyBar = (screen: string): string => (screen.split('\n')[22] ?? '').trimEnd();

describe.skipIf(TMUX === undefined)('a watcher in stepgate\'s own tmux', () => {
  it('lists only ctrl-\\ while watchers alone are attached, and the gate keys again once the owner is back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-watch-keys-'));
    dirs.push(dir);
    const file = join(dir, 'gate.md');
    writeFileSync(file, '# Gate\n\n## Steps\n\nFails.\n\n```bash {name=breaks}\nfalse\n```\n');
    const state = join(dir, 'state');

    const owner = startTui([file], dir, state, { detach: true });
    tuis.push(owner);
    await owner.waitFor('enter run', 60_000);
    owner.press('\r');
    await owner.waitFor(/BLOCKED at breaks .*r retry/);
    const id = String(journalEvents(state)[0]?.['id']);

    const watcher = startTui(['attach', '--watch', id], dir, state, { detach: true });
    tuis.push(watcher);
    await watcher.waitFor('BLOCKED at breaks', 30_000);
    await until('the watcher journaled as attached', () => journalEvents(state).some((e) => e.type === 'terminal-attached' && (e['terminal'] as { readOnly?: boolean }).readOnly === true));

    // The owner detaches: only the watcher is there, and the key bar is the watcher's.
    owner.press('\u001C');
    await owner.exited;
    const alone = await watcher.waitFor((s) => /^BLOCKED at breaks +ctrl-\\ leaves \(read-only\)$/.test(keyBar(s)), 30_000);
    expect(keyBar(alone)).not.toMatch(/retry|skip/);

    // The owner comes back and needs the gate's keys again.
    const back = startTui(['attach', id], dir, state, { detach: true });
    tuis.push(back);
    await back.waitFor((s) => /BLOCKED at breaks .*r retry/.test(keyBar(s)), 30_000);
    await watcher.waitFor((s) => /BLOCKED at breaks .*r retry/.test(keyBar(s)), 30_000);
  }, 150_000);
});
