/**
 * Crash and resume end to end: SIGKILL of the CLI mid-step, a torn last journal line, a
 * runbook edited between crash and resume, and `sessions`/`log` on the result.
 */
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HealthServer, Workspace, collect, waitForOutput } from './plain-harness.js';
import { lockSession } from '../../src/session/session-lock.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

/** A step that hangs the first time (until killed) and passes once its flag file exists. */
function crashy(flag: string): string {
  return `---
title: Crashy
---
# Crashy

## Prepare

Say we are starting.

\`\`\`bash {name=prepare}
echo preparing
\`\`\`

## Migrate

Runs long the first time; stepgate is killed while it runs.

\`\`\`bash {name=migrate}
if [ -f "${flag}" ]; then echo "migrated"; else touch "${flag}"; echo "migration started"; sleep 15; fi
\`\`\`

## Finish

\`\`\`bash {name=finish}
echo finished
\`\`\`
`;
}

async function crashMidStep(): Promise<string> {
  ws.write('crashy.md', crashy(join(ws.dir, 'flag')));
  const child = ws.spawn(['run', 'crashy.md']);
  const done = collect(child);
  await waitForOutput(child, 'migration started');
  child.kill('SIGKILL');
  const r = await done;
  expect(r.signal).toBe('SIGKILL');
  const [id] = ws.sessionIds();
  if (!id) throw new Error('no session');
  expect(ws.events(id).at(-1)).toMatchObject({ type: 'step-started', key: expect.stringMatching(/#migrate$/) });
  return id;
}

describe('stepgate resume', () => {
  it('after SIGKILL mid-step shows the step as interrupted, stops, then re-runs it and finishes', async () => {
    const id = await crashMidStep();
    const list = await ws.run(['sessions']);
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+.*interrupted at migrate\\s+crashy.md`));

    const stop = await ws.run(['resume', '--yes']);
    expect(stop.code).toBe(1);
    expect(stop.stdout).toContain('interrupted: step migrate was running when stepgate stopped');
    expect(stop.stdout).toMatch(/what it printed until then: \S+\n {2}\| migration started\n/);
    expect(stop.stdout).toContain('BLOCKED at step migrate');
    expect(stop.stdout).toContain(`stepgate resume ${id} --yes --rerun-interrupted`);
    expect(stop.stdout).toMatch(/2\s+migrate\s+main\s+interrupted\s+1/);

    const go = await ws.run(['resume', id, '--yes', '--rerun-interrupted']);
    expect(go.code).toBe(0);
    expect(go.stdout).toContain('migrated');
    expect(go.stdout).toContain('finished');
    expect(go.stdout).toContain('== completed ==');
    expect(go.stdout).toMatch(/1\s+prepare\s+main\s+passed\s+1/);
    expect(go.stdout).toMatch(/2\s+migrate\s+main\s+passed\s+2/);
    const types = ws.events(id).map((e) => e.type);
    expect(types.filter((t) => t === 'session-resumed')).toHaveLength(2);
    const log = await ws.run(['log', id]);
    expect(log.stdout).toMatch(/resumed by \S+ .* pid \d+/);
    expect(log.stdout).toMatch(/DECISION retry migrate by/);
    const done = await ws.run(['sessions']);
    expect(done.stdout).toMatch(new RegExp(`${id}\\s+.*completed\\s+crashy.md`));
  });

  it('after ctrl-c mid-step, a plain resume names the cut-short run\'s transcript and shows how far it got (trial)', async () => {
    ws.write('crashy.md', crashy(join(ws.dir, 'flag')));
    const child = ws.spawn(['run', 'crashy.md']);
    const done = collect(child);
    await waitForOutput(child, 'migration started');
    child.kill('SIGINT');
    expect((await done).code).toBe(130);
    const [id] = ws.sessionIds();
    expect(ws.events(id ?? '').find((e) => e.type === 'step-finished' && e['interrupted'] === true)).toBeDefined();
    const stop = await ws.run(['resume', '--yes']);
    expect(stop.code).toBe(1);
    expect(stop.stdout).toMatch(/interrupted: step migrate was cut short; what it printed: \S+migrate\S*\n {2}\| migration started\n/);
    expect(stop.stdout).toContain('BLOCKED at step migrate');
    expect(stop.stdout).not.toContain('--recover takes');
    // --recover acts at a failed gate; an interrupted step has not failed: said, not ignored.
    const recover = await ws.run(['resume', id ?? '', '--yes', '--recover']);
    expect(recover.code).toBe(1);
    expect(`${recover.stdout}${recover.stderr}`).toContain('(--recover takes a recovery path at a failed gate; this step has not failed: add --rerun-interrupted');
    const path = await ws.run(['resume', id ?? '', '--yes', '--recover-path', '1']);
    expect(path.code).toBe(1);
    expect(`${path.stdout}${path.stderr}`).toContain('(--recover-path takes a recovery path at a failed gate; this step has not failed: add --rerun-interrupted');
    // Who cut it short, and how, is journaled: the log and the ticket's report say it (trial).
    const go = await ws.run(['resume', id ?? '', '--yes', '--rerun-interrupted']);
    expect(go.code).toBe(0);
    const log = await ws.run(['log', id ?? '']);
    expect(log.stdout).toMatch(/step migrate interrupted exit \S+ in \d+ms: ctrl-c by \S+/);
    const report = await ws.run(['report', id ?? '']);
    expect(report.stdout).toMatch(/\| `migrate` \|.*\| passed \| 2 \|.*run 1 cut short: ctrl-c by \S+; retried by/);
  });

  it('resume without an id names the session it would pick, passes over one a live stepgate holds, and with nobody to ask takes it only by its id', async () => {
    ws.write('gate.md', '# Gate\n\n## Fail\n\nThis fails.\n\n```bash {name=fails}\nfalse\n```\n');
    ws.write('gate2.md', '# Gate 2\n\n## Fail\n\nThis fails.\n\n```bash {name=fails}\nfalse\n```\n');
    expect((await ws.run(['run', 'gate.md'])).code).toBe(1);
    // No pause: two sessions in one second still sort in the order they started. (Another
    // runbook: a later session of the same one would make the first history.)
    expect((await ws.run(['run', 'gate2.md'])).code).toBe(1);
    const [older, newer] = ws.sessionIds();
    // This test process holds the newer one, as a live stepgate elsewhere would.
    const release = await lockSession(ws.sessionsDir(), newer ?? '');
    try {
      const r = await ws.run(['resume', '--yes']);
      expect(r.stderr).toContain(`the newest unfinished session not running is ${older} (`);
      expect(r.stderr).toContain(`note: session ${newer} (${join(ws.dir, 'gate2.md')}) is running in process ${process.pid}: not this one`);
      // No terminal to ask whether the older one is meant (a trial's script resumed last week's): refused.
      expect(r.stderr).toContain(`nothing resumed: a newer session is running, and there is no terminal to ask whether ${older} is the one meant; name it: stepgate resume ${older}`);
      expect(r.code).toBe(2);
      expect(ws.events(older ?? '').map((e) => e.type)).not.toContain('session-resumed');
      const named = await ws.run(['resume', older ?? '', '--yes']);
      expect(named.code).toBe(1);
      expect(ws.events(older ?? '').map((e) => e.type)).toContain('session-resumed');
    } finally {
      await release();
    }
  });

  it('resume without an id, when the only unfinished session is still held, names the holder instead of "no session"', async () => {
    ws.write('gate.md', '# Gate\n\n## Fail\n\nThis fails.\n\n```bash {name=fails}\nfalse\n```\n');
    expect((await ws.run(['run', 'gate.md'])).code).toBe(1);
    const [id] = ws.sessionIds();
    const release = await lockSession(ws.sessionsDir(), id ?? ''); // a stepgate still exiting
    try {
      const r = await ws.run(['resume', '--yes']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`session ${id} \\(\\S*gate\\.md, blocked\\) is still held by process ${process.pid} `));
      expect(r.stderr).not.toContain('no unfinished session');
    } finally {
      await release();
    }
  });

  it('run and resume refuse a --var no runbook of the session declares before anything runs (a trial ran every step with a warning)', async () => {
    ws.write('v.md', '---\ntitle: V\nvars:\n  RELEASE: { prompt: Release }\n---\n# V\n\n```bash {name=fails}\nfalse\n```\n');
    const refused = await ws.run(['run', 'v.md', '--var', 'RELEASE=1.2', '--var', 'RELESE=1.2']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('v.md: error: --var RELESE is not a var of this runbook or of the runbooks it links to (declared: RELEASE): did you mean --var RELEASE=...?');
    expect(refused.stderr).toContain('nothing has run');
    expect(refused.stderr).not.toContain('--var RELEASE is not');
    expect(ws.sessionIds()).toEqual([]);
    const run = await ws.run(['run', 'v.md', '--var', 'RELEASE=1.2']);
    expect(run.code).toBe(1);
    const [id] = ws.sessionIds();
    const before = ws.events(id ?? '').length;
    const resumed = await ws.run(['resume', '--yes', '--var', 'RELAESE=1.3']);
    expect(resumed.code).toBe(2);
    expect(resumed.stderr).toContain('v.md: error: --var RELAESE is not a var of this runbook or of the runbooks it links to (declared: RELEASE): did you mean --var RELEASE=...?');
    expect(resumed.stderr).toContain(`session ${id} was not resumed and nothing has run`);
    expect(ws.events(id ?? '')).toHaveLength(before);
    // A secret var is asked again on resume: its value is checked against its pattern, as run checks it.
    ws.write('p.md', '---\ntitle: P\nvars:\n  TOKEN: { prompt: Token, secret: true, pattern: "[a-z]+" }\n---\n# P\n\n```bash {name=fails}\nfalse\n```\n');
    expect((await ws.run(['run', 'p.md', '--var', 'TOKEN=abc'])).code).toBe(1);
    const secretSession = ws.sessionIds().find((s) => s !== id) ?? '';
    const bad = await ws.run(['resume', secretSession, '--yes', '--var', 'TOKEN=ABC1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/p\.md:4: error: --var TOKEN/);
    expect(bad.stderr).not.toContain('ABC1');
  });

  it('after a crash, the var values given to run reach the steps of resume', async () => {
    const flag = join(ws.dir, 'flag');
    ws.write(
      'vars.md',
      `---
title: Vars
vars:
  TARGET: { prompt: Target host }
---
# Vars

\`\`\`bash {name=wait}
if [ -f "${flag}" ]; then echo "second run"; else touch "${flag}"; echo "waiting"; sleep 15; fi
\`\`\`

\`\`\`bash {name=use}
printf 'target=<%s>\\n' "$TARGET"
\`\`\`
`,
    );
    const child = ws.spawn(['run', 'vars.md', '--var', 'TARGET=db-7.internal']);
    const done = collect(child);
    await waitForOutput(child, 'waiting');
    child.kill('SIGKILL');
    await done;
    const r = await ws.run(['resume', '--yes', '--rerun-interrupted']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('second run');
    expect(r.stdout).toContain('target=<db-7.internal>');
  });

  it('tolerates and reports a torn last journal line, then continues', async () => {
    const id = await crashMidStep();
    // A crash mid-write: half an event, no newline.
    const fragment = '{"type":"check-attempt","torn":tru';
    appendFileSync(ws.journalPath(id), fragment);
    const logged = await ws.run(['log', id]);
    expect(logged.code).toBe(0);
    expect(logged.stderr).toMatch(/torn last line/);
    const r = await ws.run(['resume', id, '--yes', '--skip', 'migrate=ran it by hand']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/note: .*jsonl:\d+ was a torn last line \(\d+ bytes/);
    expect(r.stdout).toContain('migrate skipped by');
    // The torn fragment is gone and every line parses.
    const text = readFileSync(ws.journalPath(id), 'utf8');
    expect(text).not.toContain('"torn"');
    for (const line of text.trim().split('\n')) expect(() => JSON.parse(line)).not.toThrow();
    expect(ws.events(id).find((e) => e.type === 'session-resumed')).toMatchObject({ tornLine: { bytes: Buffer.byteLength(fragment) } });
  });

  it('refuses a --skip that names no step, running nothing, and resumes once it names the step', async () => {
    const id = await crashMidStep();
    const ran = (): number => ws.events(id).filter((e) => e.type === 'step-started' || e.type === 'decision').length;
    const before = ran();
    const typo = await ws.run(['resume', id, '--yes', '--rerun-interrupted', '--skip', 'migrat=ran it by hand']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/stepgate: --skip migrat names no step of this runbook or its recovery paths, so\n {2}nothing was run\. Did you mean:\n {4}migrate/);
    expect(typo.stdout).not.toContain('second run');
    expect(ran()).toBe(before);
    const r = await ws.run(['resume', id, '--yes', '--skip', 'migrate=ran it by hand']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('migrate skipped by');
  });

  it('says what changed when the runbook was edited between crash and resume', async () => {
    const id = await crashMidStep();
    const path = join(ws.dir, 'crashy.md');
    const edited = readFileSync(path, 'utf8')
      .replace('echo finished', 'echo finished again')
      .replace('## Finish', '## Notify\n\nTell them.\n\n```bash {name=notify}\necho notified\n```\n\n## Finish');
    ws.write('crashy.md', edited);
    const r = await ws.run(['resume', '--yes', '--rerun-interrupted']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('warning: crashy.md changed since the session started');
    expect(r.stdout).toMatch(/\+ added\s+\S+#notify/);
    expect(r.stdout).toMatch(/~ edited\s+\S+#finish \(will run again\)/);
    expect(r.stdout).toContain('notified');
    expect(r.stdout).toContain('finished again');
    expect(ws.events(id).find((e) => e.type === 'plan-replaced')).toMatchObject({ diff: { added: [expect.stringMatching(/#notify$/)], edited: [expect.stringMatching(/#finish$/)], removed: [] } });
    // log and report say it too, with the hash of what ran after (a trial: report named only the first).
    const now = createHash('sha256').update(edited).digest('hex');
    const log = await ws.run(['log', id]);
    expect(log.stdout).toContain('runbook changed since the session started: 1 edited (crashy.md#finish), 1 added (crashy.md#notify);');
    expect(log.stdout).toContain(`sha256 ${now.slice(0, 12)}`);
    const report = await ws.run(['report', id]);
    expect(report.stdout).toMatch(/\| \*\*Changed at [^|]+\*\* \| 1 edited \(crashy\.md#finish\), 1 added \(crashy\.md#notify\)<br>`[^`]*crashy\.md` now sha256 `([0-9a-f]{64})` \|/);
    expect(report.stdout).toContain(now);
  });

  it('refuses to resume a session another live process holds', async () => {
    ws.write('slow.md', '# S\n\n```bash {name=wait}\necho waiting; sleep 15\n```\n');
    const child = ws.spawn(['run', 'slow.md']);
    const done = collect(child);
    await waitForOutput(child, 'waiting');
    const [id] = ws.sessionIds();
    const r = await ws.run(['resume', id ?? '', '--yes']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is in use by process \d+/);
    child.kill('SIGINT');
    const end = await done;
    expect(end.code).toBe(130);
    expect(ws.events(id ?? '').at(-1)).toMatchObject({ type: 'step-finished', interrupted: true });
  });

  it('resume --retry re-runs a blocked health check against the real server once it is healthy', async () => {
    const healthy = join(ws.dir, 'healthy');
    const server = await new HealthServer(healthy).start();
    try {
      ws.write('h.md', `# H\n\n## Check\n\n\`\`\`check {name=up}\nhttp: http://127.0.0.1:${server.port}/healthz\nretries: 1\n\`\`\`\n`);
      const blocked = await ws.run(['run', 'h.md']);
      expect(blocked.code).toBe(1);
      ws.write('healthy', '');
      const [id] = ws.sessionIds();
      const still = await ws.run(['resume', id ?? '', '--yes']);
      // Blocked, not interrupted: without a decision it stays blocked.
      expect(still.code).toBe(1);
      expect(still.stdout).toContain('BLOCKED at step up');
      const r = await ws.run(['resume', id ?? '', '--yes', '--retry']);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('retrying blocked step up');
      expect(r.stdout).toMatch(/check \S+ attempt 1\/1: ok \(200\)/);
      expect(existsSync(healthy)).toBe(true);
    } finally {
      await server.stop();
    }
  });

  it('a hang-up (dropped SSM session) interrupts the step, journals it, exits 130; resume re-runs it', async () => {
    ws.write('hup.md', crashy(join(ws.dir, 'flag')));
    const child = ws.spawn(['run', 'hup.md']);
    const done = collect(child);
    await waitForOutput(child, 'migration started');
    child.kill('SIGHUP');
    const r = await done;
    expect(r.code).toBe(130);
    const [id] = ws.sessionIds();
    expect(ws.events(id ?? '').at(-1)).toMatchObject({ type: 'step-finished', key: expect.stringMatching(/#migrate$/), interrupted: true, ok: false });
    const go = await ws.run(['resume', '--yes', '--rerun-interrupted']);
    expect(go.code).toBe(0);
    expect(go.stdout).toContain('migrated');
  });

  it('says plainly when the runbook of a session is gone', async () => {
    const id = await crashMidStep();
    const { rmSync } = await import('node:fs');
    rmSync(join(ws.dir, 'crashy.md'));
    const r = await ws.run(['resume', id, '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`cannot resume ${id}: .*crashy\\.md`));
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
