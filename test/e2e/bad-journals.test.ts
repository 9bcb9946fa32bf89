/**
 * Bad journals never break the other sessions (issue 13, item 5): an unknown event type, a
 * malformed session-started, an event without a valid `at`, an empty journal (a session
 * killed while its journal was being created). `sessions`, a bare `resume` and `log` go on,
 * naming file:line of each bad line.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const RUNBOOK = `# Blocks

\`\`\`bash {name=gate}
echo gate-ran; exit 1
\`\`\`
`;

/** A journal's events without their chain macs. */
function plainEvents(id: string): Array<Record<string, unknown>> {
  return ws.events(id).map((e) => {
    const { mac: _mac, ...rest } = e as unknown as Record<string, unknown>;
    return rest;
  });
}

describe('bad journals', () => {
  it('sessions, a bare resume and log read past them and report file:line', { timeout: 120_000 }, async () => {
    ws.write('blocks.md', RUNBOOK);
    expect((await ws.run(['run', 'blocks.md', '--yes'])).code).toBe(1);
    const [good] = ws.sessionIds();
    if (!good) throw new Error('no session');
    const events = plainEvents(good);
    const started = events[0] as Record<string, unknown>;
    const dir = ws.sessionsDir();
    mkdirSync(dir, { recursive: true });
    const write = (id: string, lines: unknown[]): string => {
      const path = join(dir, `${id}.jsonl`);
      writeFileSync(path, lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).map((l) => `${l}\n`).join(''), { mode: 0o600 });
      return path;
    };
    // Ids newer than the good one, so a bare resume meets them first.
    const unknownType = write('29991231-000001-aaaaaa', [{ ...started, id: '29991231-000001-aaaaaa' }, { type: 'from-the-future', at: 1 }, ...events.slice(1)]);
    write('29991231-000002-bbbbbb', [{ ...started, frame: 'not a frame' }]);
    const noAt = write('29991231-000003-cccccc', [{ ...started, id: '29991231-000003-cccccc' }, { ...events[1], at: 'yesterday' }, ...events.slice(2)]);
    write('29991231-000004-dddddd', []);

    const list = await ws.run(['sessions', '--all']);
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    expect(list.stdout).toMatch(/29991231-000004-dddddd .*never started/);
    // Killed while its journal was being created: resume says nothing ran, not "cannot resume".
    const neverStarted = await ws.run(['resume', '29991231-000004-dddddd', '--yes']);
    expect(neverStarted.code).toBe(2);
    expect(neverStarted.stderr).toContain('nothing ran in session 29991231-000004-dddddd: it was stopped while its journal was being created');
    expect(list.stdout).toMatch(/29991231-000002-bbbbbb .*unreadable: line 1: session-started: frame must be an object/);
    // Two sessions of blocks.md followed it, so it also says resume passes over it.
    expect(list.stdout).toMatch(/29991231-000001-aaaaaa .*blocked at gate \(a later session of its runbook ran: resume passes over it\) \(1 bad line: stepgate log 29991231-000001-aaaaaa\)/);
    expect(list.stdout).toMatch(new RegExp(`${good} .*blocked at gate`));

    const log = await ws.run(['log', '29991231-000003-cccccc']);
    expect(log.code).toBe(0);
    expect(log.stderr).not.toMatch(/RangeError/);
    expect(log.stderr).toContain(`${noAt}:2: not an event (`);
    expect(log.stderr).toMatch(/at must be a time/);
    expect(log.stdout).toContain('gate');

    const logUnknown = await ws.run(['log', '29991231-000001-aaaaaa']);
    expect(logUnknown.stderr).toContain(`${unknownType}:2: not an event (unknown event type "from-the-future")`);

    // A bare resume picks an unfinished readable session (bad lines and all), never the empty
    // or the unreadable one, and says what it skipped. Written here without a chain, the
    // journals are edited ones to resume (review F3): the flag takes them.
    const resume = await ws.run(['resume', '--yes', '--accept-edited-journal']);
    const picked = /resuming session (29991231-00000[13]-[a-f]+)/.exec(resume.stderr)?.[1];
    expect(picked).toBeDefined();
    expect(resume.stderr).toContain(`${picked}.jsonl:2: not an event`);
    expect(resume.stdout).toMatch(/BLOCKED at (step )?gate/);
  });
});
