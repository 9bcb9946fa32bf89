/**
 * Plain mode could walk only a gate's first recovery path (`--recover`); a trial's roll back was
 * its second, reachable only in the TUI. `--recover-path N` walks the N-th, as the gate lists
 * them; a number the gate does not list runs nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const MAIN = '---\nrecovery: recovery.md#roll-back\n---\n# Main\n\n## Deploy\n\nDeploys.\n\n```bash {name=deploy recover=recovery.md#undo}\ntest -e fixed\n```\n';
const RECOVERY = '# Recovery\n\n## Undo\n\nUndoes.\n\n```bash {name=undo}\necho undo >> ran.txt\n```\n\n## Roll back\n\nRolls back.\n\n```bash {name=rb}\necho roll-back >> ran.txt\n```\n';

describe('--recover-path N', () => {
  it('walks the gate\'s N-th recovery path, on run and on resume; a number it does not list runs nothing', async () => {
    ws.write('main.md', MAIN);
    ws.write('recovery.md', RECOVERY);
    const blocked = await ws.run(['run', 'main.md', '--yes']);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/--recover-path N {2}\(path N of the 2\)/);
    const [id] = ws.sessionIds();

    // Said where the walk stops, the session still blocked at its gate.
    const none = await ws.run(['resume', id!, '--recover-path', '3']);
    expect(none.stdout).toContain('stepgate: --recover-path 3: the gate of deploy offers recovery paths 1 to 2');
    expect(none.code).toBe(1);
    const bad = await ws.run(['resume', id!, '--recover-path', 'two']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--recover-path wants the number of a recovery path');

    const second = await ws.run(['resume', id!, '--recover-path', '2']);
    expect(second.stdout).toContain('== recovery for deploy: recovery.md#roll-back');
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8')).toBe('roll-back\n');
    expect(ws.events(id!).filter((e) => e.type === 'decision').map((e) => e.type === 'decision' && e.decision.kind === 'recover' && e.decision.path.anchor)).toEqual(['roll-back']);

    const fresh = await ws.run(['run', 'main.md', '--yes', '--recover-path', '1']);
    expect(fresh.stdout).toContain('== recovery for deploy: recovery.md#undo');
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8')).toBe('roll-back\nundo\n');
  }, 60_000);
});
