/**
 * `stepgate run` end to end: the built CLI, the real shell in a pty, a real HTTP server on
 * 127.0.0.1, journals in a temp state dir.
 */
import { existsSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { createUser, hasCommand, isRoot, removeUser } from '../exec/helpers.js';
import { HealthServer, Workspace } from './plain-harness.js';

let ws: Workspace;
let server: HealthServer;
let healthy: string;

function runbook(extraSteps = ''): string {
  return `---
title: Deploy test service
recovery: "#restart-the-service"
vars:
  PORT: { prompt: Port of the service }
  GREETING: { prompt: Greeting, default: hello }
env:
  HEALTH_FILE: ${healthy}
---
# Deploy test service

## Deploy

Announce the deploy with the greeting var.

\`\`\`bash {name=announce}
printf 'greeting=%s\\n' "$GREETING"
\`\`\`
${extraSteps}
## Health

The service must answer on /healthz.

\`\`\`check {name=health}
http: http://127.0.0.1:\${PORT}/healthz
retries: 2
backoff: 50ms
timeout: 2s
\`\`\`

## Restart the service

Bring the service back.

\`\`\`bash {name=restart}
touch "$HEALTH_FILE"
\`\`\`
`;
}

beforeEach(async () => {
  ws = new Workspace();
  healthy = join(ws.dir, 'healthy');
  server = await new HealthServer(healthy).start();
});

afterEach(async () => {
  await server.stop();
  ws.remove();
});

describe('stepgate run (plain mode)', () => {
  it('runs a runbook to the end: exit 0, output, summary table, journal with 0600/0700 modes', async () => {
    ws.write('healthy', '');
    ws.write('deploy.md', runbook());
    const r = await ws.run(['run', 'deploy.md', '--var', `PORT=${server.port}`]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('-- [1/2] main · announce (bash) --');
    expect(r.stdout).toContain('greeting=hello');
    expect(r.stdout).toMatch(/check http:\/\/127\.0\.0\.1:\d+\/healthz attempt 1\/2: ok \(200\) in \d+ms/);
    expect(r.stdout).toContain('== completed ==');
    expect(r.stdout).toMatch(/1\s+announce\s+main\s+passed\s+1/);
    expect(r.stdout).not.toContain('restart');
    expect(server.requests).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session journaled');
    const types = ws.events(id).map((e) => e.type);
    expect(types).toEqual(['session-started', 'preflight', 'var-answered', 'var-answered', 'step-started', 'step-finished', 'step-started', 'check-attempt', 'step-finished']);
    const started = ws.events(id)[0];
    expect(started).toMatchObject({ type: 'session-started', version: expect.any(String), runbooks: [{ path: join(ws.dir, 'deploy.md'), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }] });
    for (const f of ws.stateFiles()) expect([f.path, f.mode]).toEqual([f.path, f.dir ? 0o700 : 0o600]);
    const sessions = await ws.run(['sessions']);
    expect(sessions.stdout).toMatch(new RegExp(`${id}\\s+\\S+ \\S+\\s+\\S+\\s+completed\\s+deploy.md`));
  });

  it('blocks at a failing check: exit 1, names the step and the recovery paths, journals each attempt', async () => {
    ws.write('deploy.md', runbook());
    const r = await ws.run(['run', 'deploy.md', '--var', `PORT=${server.port}`]);
    expect(r.code).toBe(1);
    // Check lines wrap within 80 columns, continuation rows indented by 6.
    expect(r.stdout.replace(/\n {6}/g, ' ')).toMatch(/check http:\/\/127\.0\.0\.1:\d+\/healthz attempt 1\/2: failed: not ready · .*503.*; next attempt in \d+ms/);
    expect(r.stdout).toContain('BLOCKED at step health (deploy.md:');
    expect(r.stdout).toContain('1. deploy.md#restart-the-service (front-matter)');
    expect(r.stdout).toMatch(/2\s+health\s+main\s+failed\s+1/);
    expect(server.requests).toBe(2);
    const [id] = ws.sessionIds();
    const attempts = ws.events(id ?? '').filter((e) => e.type === 'check-attempt');
    expect(attempts).toHaveLength(2);
    expect(attempts[0]).toMatchObject({ ok: false, status: 503, target: `http://127.0.0.1:${server.port}/healthz`, attempt: 1, of: 2 });
  });

  it('--recover walks the recovery section, returns, and the re-run check passes', async () => {
    ws.write('deploy.md', runbook());
    const r = await ws.run(['run', 'deploy.md', '--recover', '--var', `PORT=${server.port}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/== recovery for health: \S+#restart-the-service \(1 step\) ==/);
    expect(r.stdout).toContain('restart (bash)');
    expect(r.stdout).toMatch(/-- \[2\/2\] main · health \(check\) \(attempt 2\) --/);
    expect(r.stdout).toContain('== completed ==');
    expect(existsSync(healthy)).toBe(true);
    const [id] = ws.sessionIds();
    expect(ws.events(id ?? '').find((e) => e.type === 'decision')).toMatchObject({ decision: { kind: 'recover', path: { anchor: 'restart-the-service' } } });
  });

  it('names an unfinished session of the same runbook before a new run starts it again', async () => {
    ws.write('stuck.md', '# Stuck\n\nFails.\n\n```bash {name=boom}\nexit 3\n```\n');
    ws.write('other.md', '# Other\n\nFine.\n\n```bash {name=fine}\ntrue\n```\n');
    const first = await ws.run(['run', 'stuck.md', '--yes']);
    expect(first.code).toBe(1);
    expect(first.stderr).not.toContain('note: session');
    const [stuckId] = ws.sessionIds();
    const other = await ws.run(['run', 'other.md', '--yes']);
    expect(other.stderr).not.toContain('note: session');
    const again = await ws.run(['run', 'stuck.md', '--yes']);
    expect(again.stderr).toContain(`note: session ${stuckId} of this runbook is unfinished (blocked at boom; started `);
    expect(again.stderr).toContain(`stepgate resume ${stuckId}`);
    // Reached through a symlinked directory, it is the same runbook.
    symlinkSync(ws.dir, `${ws.dir}-link`);
    onTestFinished(() => rmSync(`${ws.dir}-link`, { force: true }));
    const linked = await ws.run(['run', `${ws.dir}-link/stuck.md`, '--yes']);
    expect(linked.stderr).toMatch(/note: session \S+ of this runbook is unfinished \(blocked at boom; started /);
    // Once a newer session of it completes, the older unfinished ones are history: no note.
    ws.write('stuck.md', '# Stuck\n\nFails.\n\n```bash {name=boom}\ntrue\n```\n');
    expect((await ws.run(['run', 'stuck.md', '--yes'])).code).toBe(0);
    const after = await ws.run(['run', 'stuck.md', '--yes']);
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('note: session');
    // Nor does a bare resume pick them up: every unfinished one was followed by a completed run.
    const bare = await ws.run(['resume', '--plain']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('no unfinished session');
  });

  it('refuses to start when a runbook it can reach (a recovery path) has lint errors: found before the deploy, not when the path is needed', async () => {
    ws.write('main.md', '# Main\n\nDeploys.\n\n```bash {name=deploy recover=rec.md#undo}\ntrue\n```\n');
    ws.write('rec.md', '# Rec\n\n## Undo\n\nUndoes.\n\n```bash {name=undo timeout=2x}\ntrue\n```\n');
    const r = await ws.run(['run', 'main.md', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rec\.md:7:\d+: error bad-duration/);
    expect(r.stderr).toContain('main.md has 1 lint error (in the runbooks it links to: rec.md); fix them');
    expect(ws.sessionIds()).toHaveLength(0);
    ws.write('rec.md', '# Rec\n\n## Undo\n\nUndoes.\n\n```bash {name=undo timeout=2m}\ntrue\n```\n');
    expect((await ws.run(['run', 'main.md', '--yes'])).code).toBe(0);
  });

  it('records a skip with its reason (journal and log)', async () => {
    ws.write('healthy', '');
    ws.write('deploy.md', runbook('\nThis one fails.\n\n```bash {name=flaky}\n(exit 3)\n```\n'));
    const blocked = await ws.run(['run', 'deploy.md', '--var', `PORT=${server.port}`]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toContain('failed (exit 3)');
    const noReason = await ws.run(['run', 'deploy.md', '--skip', 'flaky=', '--var', `PORT=${server.port}`]);
    expect(noReason.code).toBe(2);
    expect(noReason.stderr).toContain('--skip wants STEP=REASON');
    // A mistyped step name runs nothing (ignored, it would run the step meant to be skipped),
    // and starts no session: there is nothing to resume or list.
    const sessionsBefore = ws.sessionIds();
    const typo = await ws.run(['run', 'deploy.md', '--skip', 'flakey=known broken', '--var', `PORT=${server.port}`]);
    expect(typo.code).toBe(2);
    expect(ws.sessionIds()).toEqual(sessionsBefore);
    expect(typo.stderr).not.toContain('journal');
    expect(typo.stderr).toMatch(/stepgate: --skip flakey names no step of this runbook or its recovery paths, so\n {2}nothing was run\. Did you mean:\n {4}flaky  This one fails\.\n/);
    expect(typo.stdout).not.toMatch(/flaky|\[1\//);
    const before = ws.sessionIds();
    const r = await ws.run(['run', 'deploy.md', '--skip', 'flaky=known broken, ticket OPS-12', '--var', `PORT=${server.port}`]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('names no step');
    expect(r.stdout).toContain('flaky skipped by');
    expect(r.stdout).toMatch(/flaky\s+main\s+skipped\s+0\s+known broken, ticket OPS-12/);
    // Completed, and not every step ran: said where the outcome is (the ticket's report too).
    expect(r.stdout).toContain('== completed (1 step skipped) ==');
    const id = ws.newSessionId(before);
    expect((await ws.run(['report', id])).stdout).toContain('| **Outcome** | **completed (1 step skipped)** |');
    const skip = ws.events(id).find((e) => e.type === 'decision');
    expect(skip).toMatchObject({ decision: { kind: 'skip', reason: 'known broken, ticket OPS-12' }, who: { user: expect.any(String) } });
    const log = await ws.run(['log', id]);
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/DECISION skip flaky by \S+.*: known broken, ticket OPS-12/);
    const json = await ws.run(['log', id, '--json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l).type)).toContain('decision');
  });

  it('gives vars to steps as environment, never as shell text', async () => {
    ws.write('healthy', '');
    const evil = `$(touch ${join(ws.dir, 'pwned')}); echo injected`;
    ws.write('deploy.md', runbook());
    const r = await ws.run(['run', 'deploy.md', '--var', `PORT=${server.port}`, '--var', `GREETING=${evil}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`greeting=${evil}`);
    expect(existsSync(join(ws.dir, 'pwned'))).toBe(false);
    // STEPGATE_VAR_NAME is the non-argv way to pass a var.
    const r2 = await ws.run(['run', 'deploy.md', '--var', `PORT=${server.port}`], { STEPGATE_VAR_GREETING: 'from-env' });
    expect(r2.stdout).toContain('greeting=from-env');
  });

  it('a run: check gets vars from its environment, never spliced into its shell text', async () => {
    const pwned = join(ws.dir, `pwned-${process.pid}`);
    const evil = `x$(touch ${pwned})";touch ${pwned};"`;
    ws.write(
      'run-check.md',
      `---
title: Run check
vars:
  LABEL: { prompt: Label }
---
# Run check

\`\`\`check {name=label-set}
run: test -n "\${LABEL}" && printf 'label<%s>\\n' "\${LABEL}"
contains: label<x$(touch
\`\`\`
`,
    );
    const r = await ws.run(['run', 'run-check.md', '--var', `LABEL=${evil}`]);
    expect(r.stdout + r.stderr, r.stdout).toContain('== completed ==');
    expect(r.code).toBe(0);
    expect(existsSync(pwned)).toBe(false);
  });

  it('never writes a secret to the state dir (secret var, secret-looking env, in output and errors)', async () => {
    ws.write('healthy', '');
    ws.write(
      'secret.md',
      `---
title: Secrets
vars:
  API_TOKEN: { prompt: Token, secret: true }
---
# Secrets

Print them, as a careless step would.

\`\`\`bash {name=leak}
echo "var=$API_TOKEN env=$DEPLOY_PASSWORD"; echo "$API_TOKEN" >&2
\`\`\`

\`\`\`bash {name=fail}
echo "still $API_TOKEN"; exit 1
\`\`\`
`,
    );
    const r = await ws.run(['run', 'secret.md', '--var', 'API_TOKEN=tok-4f9a1c77-secret'], { DEPLOY_PASSWORD: 'pw-93jd0-hunter2' });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('var=[REDACTED] env=[REDACTED]');
    const files = ws.stateFiles().filter((f) => !f.dir);
    expect(files.length).toBeGreaterThanOrEqual(3);
    for (const f of files) {
      expect(f.text, f.path).not.toContain('tok-4f9a1c77-secret');
      expect(f.text, f.path).not.toContain('pw-93jd0-hunter2');
    }
    expect(files.some((f) => f.text.includes('var=[REDACTED] env=[REDACTED]'))).toBe(true);
  });

  it('never prints a secret used in a failing check target (stdout, stderr, state dir)', async () => {
    // No healthy file: the endpoint answers 503, so the check fails with its target in every message.
    const secret = 'tok-77b1e0-check-secret';
    ws.write(
      'check-secret.md',
      `---
title: Check with a token
vars:
  API_TOKEN: { prompt: Token, secret: true }
---
# Check with a token

## Probe

\`\`\`check {name=probe}
http: http://127.0.0.1:${server.port}/healthz?token=\${API_TOKEN}
retries: 2
backoff: 10ms
timeout: 2s
\`\`\`
`,
    );
    const r = await ws.run(['run', 'check-secret.md'], { STEPGATE_VAR_API_TOKEN: secret });
    expect(r.code).toBe(1);
    expect(server.requests).toBe(2);
    expect(r.stdout).toContain('BLOCKED at step probe');
    expect(r.stdout).toContain('token=[REDACTED]');
    expect(r.stdout).not.toContain(secret);
    expect(r.stderr).not.toContain(secret);
    const files = ws.stateFiles().filter((f) => !f.dir);
    expect(files.length).toBeGreaterThanOrEqual(2);
    for (const f of files) expect(f.text, f.path).not.toContain(secret);
  });

  it('exits 2 on usage errors and invalid runbooks, before any session starts', async () => {
    const none = await ws.run(['run']);
    expect(none.code).toBe(2);
    ws.write('bad.md', '# Bad\n\n```bash {name=a timeout=soon}\ntrue\n```\n');
    const bad = await ws.run(['run', 'bad.md']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/bad\.md:3:\d+/);
    expect(ws.sessionIds()).toEqual([]);
    ws.write('vars.md', '---\nvars:\n  REGION: { prompt: Region }\n---\n# V\n\n```bash\necho "$REGION"\n```\n');
    const missing = await ws.run(['run', 'vars.md']);
    expect(missing.code).toBe(2);
    // No terminal to ask on: refused at the var's declaration before a session (and its
    // journal) exists, not left as an unfinished session to explain at the next run.
    expect(missing.stderr).toContain('vars.md:3: error: var REGION (Region) needs a value: pass --var REGION=VALUE');
    expect(missing.stderr).toContain('no session was started');
    expect(ws.sessionIds()).toEqual([]);
    const nobody = await ws.run(['run', 'vars.md', '--var', 'REGION=x', '--as', 'no-such-user-sg']);
    expect(nobody.code).toBe(2);
    expect(nobody.stderr).toContain('cannot run as "no-such-user-sg": no such user on this host');
  });

  it('tells the operator when a step ended the shell and a fresh one took over', async () => {
    ws.write('reset.md', '# R\n\nSet state.\n\n```bash\nexport KEPT=yes; f() { :; }\n```\n\nLeave.\n\n```bash\nexit 0\n```\n\nLook.\n\n```bash\necho "kept=$KEPT"\n```\n');
    const r = await ws.run(['run', 'reset.md']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[stepgate\] .*started a fresh shell .*functions, aliases and unexported variables are gone/);
    expect(r.stdout).toContain('kept=yes');
  });

  it('stops at a manual item without --yes and confirms it with --yes', async () => {
    ws.write('manual.md', '# M\n\n- [ ] tell the channel\n');
    const stop = await ws.run(['run', 'manual.md']);
    expect(stop.code).toBe(1);
    // No terminal at all (the harness's children have none): --yes is the way to tick it.
    expect(stop.stdout).toContain('STOPPED: manual item "tell the channel", and there is no terminal to ask on; --yes ticks manual items');
    const [stopped] = ws.sessionIds();
    const yes = await ws.run(['run', 'manual.md', '--yes']);
    expect(yes.code).toBe(0);
    // --yes is not a person: the output and the audit trail say which it was.
    expect(yes.stdout).toMatch(/\[x\] tell the channel \(confirmed by --yes, run by \S+\)/);
    // Ids carry the second they started in: two runs in one second sort by their random part.
    const second = ws.sessionIds().find((id) => id !== stopped) ?? '';
    const log = await ws.run(['log', second]);
    expect(log.stdout).toMatch(/DECISION confirm \[x\] tell the channel by --yes, run by \S+/);
    expect(log.stdout.trim().split('\n').at(-1)).toBe('session ended: completed');
  });

  const canSwitchUser = isRoot() && hasCommand('useradd') && hasCommand('runuser');
  if (!canSwitchUser) console.log('skipping the --as test: needs root, useradd and runuser');
  it.runIf(canSwitchUser)('--as USER runs steps and run: checks as that user, overriding the front matter', async () => {
    const user = createUser('sgas');
    try {
      ws.write('as.md', `---\nuser: nobody\n---\n# As\n\nWho runs this?\n\n\`\`\`bash {name=who}\necho "I am $(id -un) home=$HOME"\n\`\`\`\n\n\`\`\`check {name=who-check}\nrun: id -un\ncontains: ${user}\nretries: 1\n\`\`\`\n`);
      const r = await ws.run(['run', 'as.md', '--as', user]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(`I am ${user} home=/home/${user}`);
      expect(r.stdout).toContain(`(as.md) · steps as ${user} · session `);
      const [id] = ws.sessionIds();
      expect(ws.events(id ?? '')[0]).toMatchObject({ type: 'session-started', options: { as: user } });
    } finally {
      removeUser(user);
    }
  });

  it.runIf(canSwitchUser)('the report says who the steps ran as from the journal, not from the runbook as it is later (a review)', async () => {
    const user = createUser('sgra');
    try {
      ws.write('ra.md', `---\nuser: ${user}\n---\n# Ran as\n\nSays who.\n\n\`\`\`bash {name=who}\nid -un\ntest -e go\n\`\`\`\n`);
      expect((await ws.run(['run', 'ra.md'])).code).toBe(1);
      const [id] = ws.sessionIds();
      expect(ws.events(id!)[0]).toMatchObject({ type: 'session-started', runAs: user });
      // The runbook is edited after the session: the report still says who the steps ran as.
      ws.write('ra.md', `---\nuser: root\n---\n# Ran as\n\nSays who.\n\n\`\`\`bash {name=who}\nid -un\ntest -e go\n\`\`\`\n`);
      expect((await ws.run(['report', id!])).stdout).toContain(`| **Steps ran as** | ${user} |`);
      // A resume under the edited runbook runs as root from then on: journaled and said.
      ws.write('go', '');
      expect((await ws.run(['resume', id!, '--retry'])).code).toBe(0);
      expect(ws.events(id!).find((e) => e.type === 'session-resumed')).toMatchObject({ runAs: 'root' });
      expect((await ws.run(['report', id!])).stdout).toContain(`| **Steps ran as** | ${user}, then (after a resume) root |`);
      expect((await ws.run(['log', id!])).stdout).toMatch(/resumed by \S+ on \S+ pid \d+, steps now as root/);
    } finally {
      removeUser(user);
    }
  });
});
