/**
 * A runbook with nothing to run is not a completed deploy: `stepgate run deploy.md --yes &&
 * announce` of an empty or truncated file said `== completed ==` and exited 0 (a trial).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

describe('a runbook with no steps', () => {
  it('is refused before a session starts, empty or prose only; a checklist alone is something to run', async () => {
    ws.write('empty.md', '');
    ws.write('prose.md', '# Notes\n\nWhat we did last time, in words.\n');
    ws.write('list.md', '# List\n\n- [x] The change ticket is approved.\n');
    const empty = await ws.run(['run', 'empty.md', '--yes']);
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('empty.md has no steps to run (the file is empty): nothing was started');
    const prose = await ws.run(['run', 'prose.md', '--yes']);
    expect(prose.code).toBe(2);
    expect(prose.stderr).toContain('prose.md has no steps to run (no bash or check block, no - [ ] item)');
    expect(prose.stdout).not.toContain('completed');
    expect(ws.sessionIds()).toEqual([]);
    expect((await ws.run(['run', 'list.md', '--yes'])).code).toBe(0);
  });
});
