/**
 * A resume runs the runbook as it is now, so it is linted as a new session's would be: a
 * runbook edited into lint errors since the session blocked is refused (each error at its
 * file:line, what to do, exit 2) before anything is journaled or run, in plain mode and in
 * the TUI. Lint warnings do not refuse. (Before: `timeout=2x` ran with no timeout at all.)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';
import { startTui, type Tui } from './tui-harness.js';

let ws: Workspace;
const tuis: Tui[] = [];

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  for (const tui of tuis.splice(0)) {
    try {
      tui.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  ws.remove();
});

function tuiIn(args: string[]): Tui {
  const tui = startTui(args, ws.dir, ws.state);
  tuis.push(tui);
  return tui;
}

const RUNBOOK = `---
title: Try
---
# Try

## Try it

Tries something that fails the first time.

\`\`\`bash {name=try}
false
\`\`\`

## After

Says it is done.

\`\`\`bash {name=done}
echo all done
\`\`\`
`;

/** A session blocked at the failing step `try` of rb.md. */
async function blockedSession(): Promise<string> {
  ws.write('rb.md', RUNBOOK);
  const r = await ws.run(['run', 'rb.md']);
  expect(r.code).toBe(1);
  const [id] = ws.sessionIds();
  if (id === undefined) throw new Error('no session');
  return id;
}

function edit(from: string, to: string): void {
  const file = join(ws.dir, 'rb.md');
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

describe('resume lints the runbook as it is now', () => {
  it('plain resume refuses lint errors with file:line and exit 2, journals nothing, and goes on once they are fixed', async () => {
    const id = await blockedSession();
    const lines = readFileSync(ws.journalPath(id), 'utf8');

    // The reviewer's case: an invalid timeout on the edited step ran with no timeout at all.
    edit('{name=try}\nfalse', '{name=try timeout=2x}\nsleep 4');
    let r = await ws.run(['resume', id, '--retry']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('rb.md:10:19: error bad-duration: timeout=2x is not a duration');
    expect(r.stderr).toContain(`stepgate: rb.md has 1 lint error; fix it (stepgate lint rb.md), then resume again (stepgate resume ${id}); nothing was resumed`);
    expect(r.stdout).not.toContain('passed');
    expect(readFileSync(ws.journalPath(id), 'utf8')).toBe(lines);

    // A duplicate step name and a recovery path that is no link: every error, each at its line.
    edit('{name=try timeout=2x}', '{name=try timeout=2s recover=nowhere}');
    edit('{name=done}', '{name=try}');
    r = await ws.run(['resume', id, '--retry']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^rb\.md:10:\d+: error bad-attribute: recover=nowhere/m);
    expect(r.stderr).toMatch(/^rb\.md:18:\d+: error duplicate-step-name: step name "try"/m);
    expect(r.stderr).toContain('stepgate: rb.md has 2 lint errors; fix them (stepgate lint rb.md)');
    expect(readFileSync(ws.journalPath(id), 'utf8')).toBe(lines);
    // A new session of it is refused for the same errors, with the same exit code.
    const fresh = await ws.run(['run', 'rb.md']);
    expect(fresh.code).toBe(2);
    expect(fresh.stderr).toMatch(/^rb\.md:18:\d+: error duplicate-step-name/m);

    // Fixed, with a lint warning left (a step without a description): the resume runs, and the
    // step's valid timeout is applied.
    edit(' recover=nowhere}', '}');
    edit('Says it is done.\n\n```bash {name=try}', '```bash {name=done}');
    const lint = await ws.run(['lint', 'rb.md']);
    expect(lint.stdout).toContain('warning no-description');
    expect(lint.code).toBe(0);
    r = await ws.run(['resume', id, '--retry']);
    expect(r.stdout).toContain('timed out after 2s');
    expect(r.code).toBe(1);
  });

  it('the TUI resume refuses them too, before the screen is taken', async () => {
    const id = await blockedSession();
    const lines = readFileSync(ws.journalPath(id), 'utf8');
    edit('{name=try}\nfalse', '{name=try timeout=2x}\nsleep 4');
    const tui = tuiIn(['resume', id]);
    expect(await tui.exited).toBe(2);
    const out = tui.output().replace(/\r/g, '');
    expect(out).toContain('rb.md:10:19: error bad-duration: timeout=2x is not a duration');
    expect(out).toContain(`stepgate: rb.md has 1 lint error; fix it (stepgate lint rb.md), then resume again (stepgate resume ${id}); nothing was resumed`);
    expect(readFileSync(ws.journalPath(id), 'utf8')).toBe(lines);
    // Picked in the picker (stepgate DIR): refused there too, on its status line.
    const picker = tuiIn([ws.dir]);
    await picker.waitFor('> resume Try · blocked at try');
    picker.press('\r');
    await picker.waitFor('cannot open Try: rb.md has 1 lint error (stepgate lint rb.md)');
    picker.press('q');
    await picker.exited;
    expect(readFileSync(ws.journalPath(id), 'utf8')).toBe(lines);

    // Fixed: the same resume opens the TUI at the gate.
    edit('timeout=2x', 'timeout=2s');
    const again = tuiIn(['resume', id]);
    await again.waitFor('BLOCKED at try (attempt 1)');
    // The first q closes the page listing what changed in the runbook (as in a pager).
    await again.waitFor('resumed: read this first');
    again.press('q');
    await again.waitFor((s) => !s.includes('resumed: read this first'));
    again.press('q');
    await again.exited;
  });
});
