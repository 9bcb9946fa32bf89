/**
 * Sessions an operator can manage, with the built CLI: a session in which nothing ran is not
 * listed by default, not picked by a bare resume and not resumable by id; `discard` ends a
 * session from any state with a journaled reason; `report` renders the journal as Markdown.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthServer, Workspace } from './plain-harness.js';
import type { SessionEvent } from '../../src/session/types.js';
import { join } from 'node:path';

let ws: Workspace;
let server: HealthServer;

const READ_ONLY = `# Read me

- [ ] The change ticket is approved.

\`\`\`bash {name=hello}
echo hello
\`\`\`
`;

function deploy(port: number): string {
  return `---
title: Deploy | the service
recovery: "#restart-the-service"
---
# Deploy

## Steps

\`\`\`bash {name=announce}
echo deploying
\`\`\`

\`\`\`bash {name=flaky}
exit 3
\`\`\`

\`\`\`check {name=health}
- name: healthz
  http: http://127.0.0.1:${port}/healthz
  retries: 7
  backoff: 10ms
  timeout: 2s
\`\`\`

## Restart the service

\`\`\`bash {name=restart}
echo restarting
\`\`\`
`;
}

beforeEach(async () => {
  ws = new Workspace();
  server = await new HealthServer(join(ws.dir, 'never-healthy')).start();
});

afterEach(async () => {
  await server.stop();
  ws.remove();
});

describe('sessions where nothing ran', () => {
  it('are hidden from sessions and resume, shown by sessions --all, and can be discarded', async () => {
    ws.write('read.md', READ_ONLY);
    const stopped = await ws.run(['run', 'read.md']);
    expect(stopped.code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    expect(ws.events(id).map((e) => e.type)).toEqual(['session-started', 'preflight']);

    const list = await ws.run(['sessions']);
    expect(list.stdout).not.toContain(id);
    expect(list.stdout).toContain('1 in which nothing ran: stepgate sessions --all');
    const all = await ws.run(['sessions', '--all']);
    expect(all.stdout).toMatch(new RegExp(`${id}.*nothing run.*read\\.md`));

    const bare = await ws.run(['resume']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('no unfinished session');
    const byId = await ws.run(['resume', id]);
    expect(byId.code).toBe(2);
    expect(byId.stderr).toContain(`nothing ran in session ${id}`);
    expect(byId.stderr).toContain(`stepgate discard ${id} REASON`);
    expect(ws.events(id)).toHaveLength(2);
    // log without an id reads the newest session in which something ran: there is none.
    const noLog = await ws.run(['log']);
    expect(noLog.code).toBe(2);
    expect(noLog.stderr).toContain('in which anything ran');

    const discarded = await ws.run(['discard', id, 'opened', 'to', 'read', 'it']);
    expect(discarded.code).toBe(0);
    const last = ws.events(id).pop();
    expect(last).toMatchObject({ type: 'session-discarded', reason: 'opened to read it', who: { user: expect.any(String) } });
    const after = await ws.run(['sessions', '--all', '--json']);
    expect(JSON.parse(after.stdout)).toMatchObject([{ id, state: 'discarded', finished: true }]);
  });
});

describe('an unfinished session a later one of its runbook followed', () => {
  it('is listed with why resume passes over it (a trial saw it interrupted and resume took another)', async () => {
    ws.write('twice.md', '# Twice\n\n```bash {name=fails}\nexit 3\n```\n');
    expect((await ws.run(['run', 'twice.md', '--yes'])).code).toBe(1);
    expect((await ws.run(['run', 'twice.md', '--yes'])).code).toBe(1);
    const [older, newer] = ws.sessionIds();
    const list = await ws.run(['sessions']);
    const line = (id: string | undefined): string => list.stdout.split('\n').find((l) => id !== undefined && l.startsWith(id)) ?? '';
    expect(line(older)).toContain('blocked at fails (a later session of its runbook ran: resume passes over it)');
    expect(line(newer)).toContain('blocked at fails');
    expect(line(newer)).not.toContain('passes over');
    const json = JSON.parse((await ws.run(['sessions', '--json'])).stdout) as Array<{ id: string; superseded?: boolean }>;
    expect(json.find((s) => s.id === older)?.superseded).toBe(true);
    expect(json.find((s) => s.id === newer)?.superseded).toBeUndefined();
  });
});

describe('stepgate discard', () => {
  it('ends a blocked session with its reason; it leaves resume; a second discard and a missing reason are refused', async () => {
    ws.write('deploy.md', deploy(server.port));
    const blocked = await ws.run(['run', 'deploy.md']);
    expect(blocked.code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    expect((await ws.run(['sessions'])).stdout).toMatch(new RegExp(`${id}.*blocked at flaky`));

    const noReason = await ws.run(['discard', id]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('say why');

    const done = await ws.run(['discard', id, '--reason', 'superseded by a fresh deploy (OPS-7)']);
    expect(done.code).toBe(0);
    expect(done.stdout).toContain(`session ${id} discarded (it was blocked at flaky): superseded by a fresh deploy (OPS-7)`);
    const log = await ws.run(['log', id]);
    expect(log.stdout).toMatch(/DISCARDED by \S+: superseded by a fresh deploy \(OPS-7\)/);
    expect(log.stdout).toContain('session ended: discarded');

    const bare = await ws.run(['resume']);
    expect(bare.stderr).toContain('no unfinished session');
    const again = await ws.run(['discard', id, 'twice']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('already ended (discarded)');
  });
});

describe('stepgate report', () => {
  it('is the journal as Markdown: header, every step with attempts and decisions, failed checks, transcripts', async () => {
    ws.write('deploy.md', deploy(server.port));
    // flaky skipped with a reason that holds a pipe; health fails all 7 attempts; --recover walks
    // the restart section once and the check fails again.
    const r = await ws.run(['run', 'deploy.md', '--recover', '--skip', 'flaky=known broken | OPS-12']);
    expect(r.code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    const events = ws.events(id);
    const out = await ws.run(['report', id]);
    expect(out.code).toBe(0);
    const md = out.stdout;
    const started = events[0] as Extract<SessionEvent, { type: 'session-started' }>;
    expect(md).toContain(`# stepgate session ${id}: Deploy \\| the service`);
    expect(md).toContain(started.runbooks[0]?.sha256 ?? 'no hash');
    expect(md).toContain(`| **Host** | ${started.host} |`);
    expect(md).toContain(`| **Login user** | ${started.who.user} |`);
    expect(md).toMatch(/\| \*\*Outcome\*\* \| \*\*unfinished: blocked at health\*\* \|/);
    // Each step's row: attempts as many as its step-started events.
    const starts = (key: string): number => events.filter((e) => e.type === 'step-started' && e.key.endsWith(`#${key}`)).length;
    expect(starts('health')).toBe(2);
    expect(md).toMatch(new RegExp(`\\| 1 \\| \`announce\` \\| Steps \\| passed \\| ${starts('announce')} \\|`));
    // --skip takes the step when it is reached: it never ran.
    expect(md).toContain(`| 2 | \`flaky\` | Steps | skipped | 0 |   | skipped by ${started.who.user}: known broken \\| OPS-12 |`);
    // Taken by --recover, not by someone at the gate: said as a tick by --yes is.
    expect(md).toMatch(/\| 3 \| `health` \| Steps \| failed \| 2 \| [\d.]+ m?s \| recovery deploy\.md#restart-the-service chosen by --recover, run by \S+ \|/);
    expect(events.find((e) => e.type === 'decision' && e.decision.kind === 'recover')).toMatchObject({ decision: { auto: true } });
    expect((await ws.run(['log', id])).stdout).toMatch(/DECISION recover health via .* by --recover, run by \S+/);
    expect(md).toContain('### recovery: Restart the service');
    expect(md).toMatch(/\| 1 \| `restart` \| Restart the service \| passed \| 1 \|/);
    // The failed check's last attempts: the last five of seven, in the journal's words.
    const attempts = events.filter((e): e is Extract<SessionEvent, { type: 'check-attempt' }> => e.type === 'check-attempt').slice(-7);
    expect(md).toContain('### `health`: `healthz` (run 2)');
    expect(md).not.toMatch(/^\| 2\/7 \|/m);
    for (const a of attempts.slice(-5)) expect(md).toMatch(new RegExp(`^\\| ${a.attempt}/7 \\| ${new Date(a.at).toISOString().slice(11, 19)}Z \\| bad status 503 .*not ready \\|`, 'm'));
    expect(md).toContain('(2 earlier attempts in the journal)');
    // Every transcript the journal names.
    for (const e of events) if (e.type === 'step-finished' && e.transcript) expect(md).toContain(`\`${e.transcript}\``);
    // Every table row has as many cells as its header: a pipe in journaled text cannot break it.
    const tables = md.split('\n\n').filter((block) => block.startsWith('| '));
    for (const block of tables) {
      const rows = block.split('\n');
      const cells = (row: string): number => row.replace(/\\\|/g, '').split('|').length;
      for (const row of rows) expect(cells(row), row).toBe(cells(rows[0] ?? ''));
    }
    // Without an id: the newest session in which something ran.
    expect((await ws.run(['report'])).stdout).toBe(md);
    const trail = (await ws.run(['log', id])).stdout;
    expect(trail).toContain(`session ${id} (`);
    expect((await ws.run(['log'])).stdout).toBe(trail);
  });
});
