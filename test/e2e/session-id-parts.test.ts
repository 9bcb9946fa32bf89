/**
 * Sessions named by part of their id, as an operator types them from `stepgate sessions`:
 * the random end or the start. A part that names one session is taken by log, report,
 * discard and resume; a part that names several is refused with them listed.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;

const BLOCKS = `# Blocks

\`\`\`bash {name=announce}
echo announcing
\`\`\`

\`\`\`bash {name=flaky}
exit 3
\`\`\`
`;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

/** The shortest end of `id` that no other of `ids` ends with (at least 4 characters). */
function uniqueEnd(id: string, ids: readonly string[]): string {
  for (let n = 4; n <= id.length; n++) {
    const end = id.slice(-n);
    if (ids.filter((other) => other.endsWith(end)).length === 1) return end;
  }
  return id;
}

describe('a session named by part of its id', () => {
  it('is found by its end or start for log, report, discard and resume; several matches and bad parts are refused', async () => {
    ws.write('blocks.md', BLOCKS);
    for (let i = 0; i < 2; i++) expect((await ws.run(['run', 'blocks.md'])).code).toBe(1);
    const ids = ws.sessionIds();
    expect(ids).toHaveLength(2);
    const [first = '', second = ''] = ids;
    const end = uniqueEnd(first, ids);

    const log = await ws.run(['log', end]);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain(`session ${first} (`);
    expect(log.stdout).not.toContain(second);

    const report = await ws.run(['report', end]);
    expect(report.code).toBe(0);
    expect(report.stdout).toContain(first);

    // Both started on this day: the date names both, and neither is guessed.
    const day = first.slice(0, 8);
    const both = await ws.run(['log', day]);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain(`${day} names 2 sessions: ${second}, ${first}; give more of the id`);
    expect(both.stdout).toBe('');

    const none = await ws.run(['report', 'fffff']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('has an id starting or ending with fffff');
    const short = await ws.run(['log', 'a1b']);
    expect(short.code).toBe(2);
    expect(short.stderr).toContain('a1b is not a session id');
    const word = await ws.run(['discard', 'yesterday', 'why']);
    expect(word.code).toBe(2);
    expect(word.stderr).toContain('yesterday is not a session id');

    const discarded = await ws.run(['discard', end, 'superseded']);
    expect(discarded.code).toBe(0);
    expect(discarded.stdout).toContain(`session ${first} discarded`);
    expect(ws.events(first).some((e) => e.type === 'session-discarded')).toBe(true);
    expect(ws.events(second).some((e) => e.type === 'session-discarded')).toBe(false);

    // The other one, by its own end: resumed (and blocked at the same step again).
    const resumed = await ws.run(['resume', uniqueEnd(second, ids), '--yes']);
    expect(resumed.stdout + resumed.stderr).toContain(second);
    expect(ws.events(second).filter((e) => e.type === 'session-resumed')).toHaveLength(1);
  });
});
