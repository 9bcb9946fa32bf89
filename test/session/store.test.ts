/**
 * The live engine: the zustand store driving a scripted shell, probes and clock, journaling
 * to memory. Every event the store folds must be the one it journaled.
 */
import { describe, expect, it } from 'vitest';
import { currentItem, replay } from '../../src/session/reducer.js';
import { auditTrail } from '../../src/session/history.js';
import { sessionReport } from '../../src/session/report.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

const DEPLOY = `---
title: Deploy
recovery: "#restart-it"
vars:
  REGION: { prompt: Region, default: us-east-2 }
  DEPLOY_TOKEN: { prompt: Token, secret: true }
env:
  APP_DIR: /srv/app
---
# Deploy

## Pull

Pull the code.

\`\`\`bash {name=pull}
git pull
\`\`\`

## Health

\`\`\`check {name=health}
http: http://127.0.0.1:8092/healthz?region=\${REGION}
retries: 3
backoff: 1s
\`\`\`

## Restart it

\`\`\`bash {name=restart}
pm2 restart all
\`\`\`
`;

const FILE = '/rb/deploy.md';

/** Polls (one macrotask at a time) until `ready()` holds; fails after 2000 turns. */
async function until(ready: () => boolean): Promise<void> {
  for (let turn = 0; turn < 2000; turn += 1) {
    if (ready()) return;
    await new Promise((r) => setTimeout(r, 1));
  }
  throw new Error('condition not reached');
}

async function begin(files: Record<string, string> = { [FILE]: DEPLOY }) {
  const t = fakeSession(files, { env: { GITHUB_TOKEN: 'ghp_processsecret' } });
  await t.actions.start({ file: 'deploy.md' });
  return t;
}

describe('session store', () => {
  it('runs a runbook to the end: vars, command, check; the journal replays to the same state', async () => {
    const t = await begin();
    expect(t.state().status).toMatchObject({ kind: 'vars', spec: { name: 'REGION' } });
    await t.actions.answerVar('');
    await t.actions.answerVar('s3cr3t-token-value');
    t.shell.reply({ output: ['Already up to date.\n'], exitCode: 0 });
    await runToNextBlock(t.store);
    expect(t.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    expect(t.state().frames[0]?.steps.map((s) => s.status)).toEqual(['passed', 'passed']);
    // Vars reach the step as environment, never in the script text.
    expect(t.shell.requests[0]).toMatchObject({ script: 'git pull', env: { REGION: 'us-east-2', DEPLOY_TOKEN: 's3cr3t-token-value', APP_DIR: '/srv/app' } });
    // ${REGION} in a check is expanded by stepgate.
    expect(t.probes.calls[0]).toMatchObject({ kind: 'http', url: 'http://127.0.0.1:8092/healthz?region=us-east-2' });
    const types = t.journal.events.map((e) => e.type);
    expect(types).toEqual(['session-started', 'var-answered', 'var-answered', 'step-started', 'step-finished', 'step-started', 'check-attempt', 'step-finished']);
    expect(t.journal.events[0]).toMatchObject({ who: { user: 'alice', ssmSessionId: 'alice-0123456789abcdef0' }, version: '0.0.0-test', host: 'test-host' });
    expect(t.journal.events[1]).toMatchObject({ name: 'REGION', value: 'us-east-2', source: 'default' });
    expect(replay(t.journal.events)).toEqual(t.state());
    expect([...t.journal.transcripts.values()].join('')).toContain('Already up to date.');
  });

  it('blocks on a check whose attempts are exhausted, journaling each attempt and backing off', async () => {
    const t = await begin();
    await t.actions.answerVar('eu-west-1');
    await t.actions.answerVar('tok-tok-tok');
    t.probes.script('http://127.0.0.1:8092/healthz?region=eu-west-1', fail('connection refused'));
    await runToNextBlock(t.store);
    const s = t.state();
    expect(s.status.kind).toBe('blocked');
    const attempts = t.journal.events.filter((e) => e.type === 'check-attempt');
    expect(attempts.map((a) => (a.type === 'check-attempt' ? [a.attempt, a.of, a.ok, a.error, a.nextDelayMs] : []))).toEqual([
      [1, 3, false, 'connection refused', 1000],
      [2, 3, false, 'connection refused', 2000],
      [3, 3, false, 'connection refused', undefined],
    ]);
    expect(t.clock.sleeps).toEqual([1000, 2000]);
    expect(s.frames[0]?.steps[1]).toMatchObject({ status: 'failed', reason: 'http http://127.0.0.1:8092/healthz?region=eu-west-1 failed after 3 attempts: connection refused' });
    expect(s.frames[0]?.steps[1]?.checks?.[0]).toMatchObject({ attempt: 3, of: 3, ok: false });
    // Nothing past the gate runs.
    await runToNextBlock(t.store);
    expect(t.probes.calls).toHaveLength(3);
  });

  it('walks a recovery section, returns to the blocked step, which waits, then re-runs it, and it passes', async () => {
    const t = await begin();
    await t.actions.answerVar('');
    await t.actions.answerVar('tok-tok-tok');
    t.probes.script('http://127.0.0.1:8092/healthz?region=us-east-2', fail('503'), fail('503'), fail('503'), pass());
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    await t.actions.chooseRecovery(0);
    expect(t.state().frames).toHaveLength(2);
    expect(t.state().frames[1]?.init.title).toBe('Restart it');
    await runToNextBlock(t.store);
    expect(t.shell.requests.map((r) => r.script)).toEqual(['git pull', 'pm2 restart all']);
    // Back at the blocked check, which has not run again: the recovery's steps are kept.
    expect(t.state().frames).toHaveLength(1);
    expect(t.state().status).toEqual({ kind: 'ready' });
    expect(t.probes.calls).toHaveLength(3);
    expect(t.state().frames[0]?.returned?.frame.init.title).toBe('Restart it');
    await runToNextBlock(t.store);
    expect(t.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    const decision = t.journal.events.find((e) => e.type === 'decision');
    expect(decision).toMatchObject({ who: { user: 'alice' }, decision: { kind: 'recover', path: { label: '/rb/deploy.md#restart-it', origin: 'front-matter' } } });
    expect(t.state().frames[0]?.steps[1]).toMatchObject({ status: 'passed', attempts: 2 });
  });

  it('records skip with its reason and refuses a skip without one', async () => {
    const t = await begin();
    await t.actions.answerVar('');
    await t.actions.answerVar('tok-tok-tok');
    t.shell.reply({ exitCode: 1, output: 'fatal: not a git repository\n' });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    await t.actions.skip('');
    expect(t.store.getState().error).toBe('skipping a required step needs a reason');
    await t.actions.skip('pulled by hand');
    expect(t.journal.events.at(-1)).toMatchObject({ type: 'decision', key: '/rb/deploy.md#pull', decision: { kind: 'skip', reason: 'pulled by hand' }, who: { user: 'alice' } });
    expect(t.state().frames[0]?.steps[0]).toMatchObject({ status: 'skipped', reason: 'pulled by hand' });
  });

  it('never lets a secret reach the journal or a transcript', async () => {
    const t = await begin();
    await t.actions.answerVar('');
    await t.actions.answerVar('hunter2-very-secret');
    t.shell.reply({ output: ['token is hunter2-very-', 'secret and ghp_processsecret\n'] });
    t.probes.unknown = fail('401 for hunter2-very-secret');
    await runToNextBlock(t.store);
    const disk = t.journal.dump();
    expect(disk).not.toContain('hunter2-very-secret');
    expect(disk).not.toContain('ghp_processsecret');
    expect(disk).toContain('token is [REDACTED] and [REDACTED]');
    expect(t.journal.events[2]).toEqual(expect.not.objectContaining({ value: expect.anything() }));
  });

  it('keeps secret defaults and secret-looking vars out of the journal, before and after resume', async () => {
    const file = '/rb/defaults.md';
    const text = `---
title: Defaults
vars:
  API_KEY: { prompt: Key, secret: true, default: key-default-5678 }
  DB_PASSWORD: { prompt: Password, default: pw-default-1234 }
  REGION: { prompt: Region, default: us-east-2 }
---
# Defaults

\`\`\`bash {name=show}
echo "$API_KEY $DB_PASSWORD"
\`\`\`

\`\`\`bash {name=second}
true
\`\`\`
`;
    const t = fakeSession({ [file]: text });
    await t.actions.start({ file });
    // The name decides too, whatever the declaration (or the parser) says.
    expect(t.state().vars.map((v) => [v.name, v.secret])).toEqual([['API_KEY', true], ['DB_PASSWORD', true], ['REGION', false]]);
    for (let i = 0; i < 3; i += 1) await t.actions.answerVar('');
    t.shell.reply({ output: 'key-default-5678 pw-default-1234\n', hold: true });
    await t.actions.runStep();
    // The held step is running once its shell has the request.
    await until(() => t.shell.requests.length > 0);
    expect(t.shell.opened[0]?.env).toMatchObject({ API_KEY: 'key-default-5678', DB_PASSWORD: 'pw-default-1234', REGION: 'us-east-2' });
    expect(t.journal.events.filter((e) => e.type === 'var-answered').map((e) => e.type === 'var-answered' && [e.name, e.secret, e.value])).toEqual([
      ['API_KEY', true, undefined],
      ['DB_PASSWORD', true, undefined],
      ['REGION', false, 'us-east-2'],
    ]);
    const leaks = (dump: string, state: unknown): void => {
      for (const secret of ['key-default-5678', 'pw-default-1234']) {
        expect(dump).not.toContain(secret);
        expect(JSON.stringify(state)).not.toContain(secret);
      }
    };
    leaks(t.journal.dump(), t.state());
    expect(t.journal.dump()).toContain('[REDACTED] [REDACTED]');

    const u = fakeSession({ [file]: text });
    await u.actions.resume(t.journal.events);
    expect(u.state().status).toMatchObject({ kind: 'vars', spec: { name: 'API_KEY', secret: true } });
    await u.actions.answerVar('');
    await u.actions.answerVar('');
    await u.actions.retry();
    await runToNextBlock(u.store);
    expect(u.shell.requests[0]?.env).toMatchObject({ API_KEY: 'key-default-5678', DB_PASSWORD: 'pw-default-1234', REGION: 'us-east-2' });
    expect(u.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    leaks(u.journal.dump(), u.state());
  });

  it('interrupting a running step fails it as interrupted and blocks', async () => {
    const t = await begin();
    await t.actions.answerVar('');
    await t.actions.answerVar('tok-tok-tok');
    t.shell.reply({ hold: true, output: 'pulling...\n' });
    await t.actions.runStep();
    // The screen snapshot is taken on a timer: wait for it rather than for a fixed time.
    await until(() => t.store.getState().screen !== null);
    expect(t.state().status.kind).toBe('running');
    expect(t.store.getState().screen?.lines).toEqual(['pulling...']);
    t.actions.write('y\r');
    expect(t.shell.input).toEqual(['y\r']);
    t.actions.interrupt();
    await t.actions.idle();
    expect(t.state().status.kind).toBe('blocked');
    expect(t.state().frames[0]?.steps[0]).toMatchObject({ status: 'failed', interrupted: true, exitCode: 130 });
  });

  it('resumes after a crash mid-step: interrupted step, re-asked secret, runbook changes reported', async () => {
    const t = await begin();
    await t.actions.answerVar('');
    await t.actions.answerVar('tok-tok-tok');
    t.shell.reply({ hold: true });
    await t.actions.runStep();
    // The held step is running once its shell has the request.
    await until(() => t.shell.requests.length > 0);
    const journal = t.journal.events;
    expect(journal.at(-1)?.type).toBe('step-started');

    // The process dies here; a new one resumes from the journal, with the runbook edited.
    const edited = DEPLOY.replace('git pull', 'git pull --ff-only').replace('## Restart it', '## Notes\n\n- [ ] tell the channel\n\n## Restart it');
    const u = fakeSession({ [FILE]: edited });
    const report = await u.actions.resume(journal);
    expect(report.interrupted).toEqual({ key: '/rb/deploy.md#pull', title: 'pull' });
    expect(report.changed).toEqual([{ file: FILE, diff: { added: ['/rb/deploy.md#notes-1'], removed: [], edited: ['/rb/deploy.md#pull'] } }]);
    expect(u.state().status).toMatchObject({ kind: 'vars', spec: { name: 'DEPLOY_TOKEN' } });
    await u.actions.answerVar('tok-tok-tok');
    // Edited or not, a step that was interrupted stays interrupted: only a retry runs it again,
    // and then from the new text.
    expect(u.state().frames[0]?.steps[0]).toMatchObject({ status: 'failed', interrupted: true });
    expect(u.state().status.kind).toBe('blocked');
    await u.actions.retry();
    await runToNextBlock(u.store, { yes: true });
    expect(u.shell.requests.map((r) => r.script)).toEqual(['git pull --ff-only']);
    expect(u.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    expect(u.journal.events.map((e) => e.type).slice(0, 3)).toEqual(['session-resumed', 'plan-replaced', 'var-answered']);
    // Old journal + new journal replay to the live state.
    expect(replay([...journal, ...u.journal.events])).toEqual(u.state());
  });

  it('on resume, non-secret var values reach the shell and the steps again', async () => {
    const t = await begin();
    await t.actions.answerVar('eu-west-1');
    await t.actions.answerVar('tok-tok-tok');
    t.shell.reply({ hold: true });
    await t.actions.runStep();
    // The held step is running once its shell has the request.
    await until(() => t.shell.requests.length > 0);
    const u = fakeSession({ [FILE]: DEPLOY });
    await u.actions.resume(t.journal.events);
    await u.actions.answerVar('tok-tok-tok');
    await u.actions.retry();
    await runToNextBlock(u.store);
    expect(u.shell.opened[0]?.env).toMatchObject({ REGION: 'eu-west-1', DEPLOY_TOKEN: 'tok-tok-tok' });
    expect(u.shell.requests[0]?.env).toMatchObject({ REGION: 'eu-west-1', DEPLOY_TOKEN: 'tok-tok-tok' });
    // The check's \${REGION} is expanded from the answer given before the crash.
    expect(u.probes.calls[0]).toMatchObject({ url: 'http://127.0.0.1:8092/healthz?region=eu-west-1' });
  });

  it('on resume after a step was inserted above unnamed steps, steps that passed stay passed and a failed one stays failed', async () => {
    const file = '/rb/unnamed.md';
    const block = (script: string): string => `\`\`\`bash\n${script}\n\`\`\`\n\n`;
    const before = `# Unnamed\n\n## Work\n\n${block('echo one')}${block('echo two')}${block('echo three')}`;
    const t = fakeSession({ [file]: before });
    await t.actions.start({ file });
    t.shell.reply({ exitCode: 0 }, { exitCode: 0 }, { exitCode: 1 });
    await runToNextBlock(t.store);
    expect(t.state().frames[0]?.steps.map((x) => x.status)).toEqual(['passed', 'passed', 'failed']);
    const keys = t.state().frames[0]?.init.items.map((i) => i.key) ?? [];

    const after = before.replace('## Work\n\n', `## Work\n\n${block('echo zero')}`);
    const u = fakeSession({ [file]: after });
    const report = await u.actions.resume(t.journal.events);
    const fresh = u.state().frames[0]?.init.items ?? [];
    // The unnamed steps' positional ids moved; their content did not.
    expect(fresh.map((i) => i.key)).toEqual([...keys, `${file}#work-4`]);
    expect(report.changed).toEqual([{ file, diff: { added: [fresh[0]?.key], removed: [], edited: [] } }]);
    expect(u.state().frames[0]?.steps.map((x) => x.status)).toEqual(['pending', 'passed', 'passed', 'failed']);
    await runToNextBlock(u.store);
    // Only the new step ran; the failed one is still a gate, not run again by itself.
    expect(u.shell.requests.map((r) => r.script)).toEqual(['echo zero']);
    expect(u.state().status.kind).toBe('blocked');
    const blocked = currentItem(u.state())?.item.step;
    expect(blocked?.kind === 'command' ? blocked.script : blocked?.kind).toBe('echo three');
    expect(replay([...t.journal.events, ...u.journal.events])).toEqual(u.state());
  });

  it('on resume after two unnamed steps swapped places, each keeps its state and runs its own script', async () => {
    const file = '/rb/swap.md';
    const block = (script: string): string => `\`\`\`bash\n${script}\n\`\`\`\n\n`;
    const t = fakeSession({ [file]: `# Swap\n\n## Work\n\n${block('echo A')}${block('echo B')}` });
    await t.actions.start({ file });
    t.shell.reply({ exitCode: 0 }, { exitCode: 1 });
    await runToNextBlock(t.store);
    expect(t.state().frames[0]?.steps.map((x) => x.status)).toEqual(['passed', 'failed']);
    const u = fakeSession({ [file]: `# Swap\n\n## Work\n\n${block('echo B')}${block('echo A')}` });
    await u.actions.resume(t.journal.events);
    expect(u.journal.events.map((e) => e.type)).toEqual(['session-resumed', 'plan-replaced']);
    expect(u.state().frames[0]?.steps.map((x) => x.status)).toEqual(['failed', 'passed']);
    await u.actions.retry();
    await runToNextBlock(u.store);
    expect(u.shell.requests.map((r) => r.script)).toEqual(['echo B']);
    expect(u.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
  });

  it('on resume after the first of two identical steps was deleted, the one after the change still runs (a review)', async () => {
    const file = '/rb/twins.md';
    const block = (script: string): string => `\`\`\`bash\n${script}\n\`\`\`\n\n`;
    const t = fakeSession({ [file]: `# Twins\n\n## Work\n\n${block('systemctl restart app')}${block('./migrate')}${block('systemctl restart app')}` });
    await t.actions.start({ file });
    t.shell.reply({ exitCode: 0 }, { exitCode: 1 });
    await runToNextBlock(t.store);
    expect(t.state().frames[0]?.steps.map((x) => x.status)).toEqual(['passed', 'failed', 'pending']);
    const u = fakeSession({ [file]: `# Twins\n\n## Work\n\n${block('./migrate')}${block('systemctl restart app')}` });
    const report = await u.actions.resume(t.journal.events);
    // The restart before the migration is the one that went, and the one after it has not run.
    expect(u.state().frames[0]?.steps.map((x) => x.status)).toEqual(['failed', 'pending']);
    expect(report.changed[0]?.diff.removed).toEqual([`${file}#work-1`]);
    await u.actions.retry();
    await runToNextBlock(u.store);
    expect(u.shell.requests.map((r) => r.script)).toEqual(['./migrate', 'systemctl restart app']);
    expect(u.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
  });

  it('on resume without changes, an interrupted step blocks until retried or skipped', async () => {
    const t = await begin();
    await t.actions.answerVar('');
    await t.actions.answerVar('tok-tok-tok');
    t.shell.reply({ hold: true });
    await t.actions.runStep();
    // The held step is running once its shell has the request.
    await until(() => t.shell.requests.length > 0);
    const u = fakeSession({ [FILE]: DEPLOY });
    const report = await u.actions.resume(t.journal.events);
    expect(report.changed).toEqual([]);
    await u.actions.answerVar('tok-tok-tok');
    expect(u.state().status.kind).toBe('blocked');
    expect(u.state().frames[0]?.steps[0]).toMatchObject({ status: 'failed', interrupted: true });
    await u.actions.retry();
    await u.actions.idle();
    expect(u.shell.requests.map((r) => r.script)).toEqual(['git pull']);
  });

  it('asks before a confirm step and needs confirmation for manual items', async () => {
    const t = await begin({
      [FILE]: '# R\n\n```bash {name=drop confirm}\ndropdb x\n```\n\n- [ ] check the graphs\n',
    });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('confirm');
    expect(t.shell.requests).toHaveLength(0);
    await t.actions.decline();
    expect(t.state().status.kind).toBe('ready');
    await t.actions.runStep();
    await t.actions.confirm();
    await t.actions.idle();
    expect(t.shell.requests.map((r) => r.script)).toEqual(['dropdb x']);
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('ready');
    await runToNextBlock(t.store, { yes: true });
    expect(t.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
  });

  it('a second resume keeps the --as of the first resume', async () => {
    const rb = '---\nuser: ubuntu\n---\n# R\n\n```bash {name=a}\nid\n```\n';
    const t = fakeSession({ [FILE]: rb });
    await t.actions.start({ file: FILE, as: 'deploy' });
    t.shell.reply({ hold: true });
    await t.actions.runStep();
    // The held step is running once its shell has the request.
    await until(() => t.shell.requests.length > 0);
    // Crash; the first resume switches to ops and crashes again mid-step.
    const u = fakeSession({ [FILE]: rb });
    await u.actions.resume(t.journal.events, { as: 'ops' });
    u.shell.reply({ hold: true });
    await u.actions.retry();
    // The held step is running once its shell has the request.
    await until(() => u.shell.requests.length > 0);
    expect(u.shell.requests.map((r) => r.user)).toEqual(['ops']);
    const v = fakeSession({ [FILE]: rb });
    await v.actions.resume([...t.journal.events, ...u.journal.events]);
    await v.actions.retry();
    await v.actions.idle();
    expect(v.shell.requests.map((r) => r.user)).toEqual(['ops']);
    expect(v.state().as).toBe('ops');
    expect(v.journal.events[0]).toEqual(expect.not.objectContaining({ as: expect.anything() }));
  });

  it('runs steps as --as, except steps that name their own user', async () => {
    const t = fakeSession({ [FILE]: '---\nuser: ubuntu\n---\n# R\n\n```bash {name=a}\nid\n```\n\n```bash {name=b user=postgres}\nid\n```\n' });
    await t.actions.start({ file: FILE, as: 'deploy' });
    await runToNextBlock(t.store);
    expect(t.shell.opened[0]?.user).toBe('deploy');
    expect(t.shell.requests.map((r) => r.user)).toEqual(['deploy', 'postgres']);
  });

  it('a failing shell (sudo refused) fails the step with the reason instead of crashing', async () => {
    const t = await begin({ [FILE]: '# R\n\n```bash {name=a}\nid\n```\n' });
    t.shell.reply({ throws: 'sudo: a password is required' });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    expect(t.state().frames[0]?.steps[0]).toMatchObject({ status: 'failed', exitCode: null, reason: 'sudo: a password is required' });
  });
});

describe('failures around a step never leave it running', () => {
  const RB = '# R\n\n```bash {name=one}\necho one\n```\n\n```check {name=probe}\nhttp: http://127.0.0.1:1/\n```\n';

  it('a probe that throws fails the check step with the reason, and the gate holds', async () => {
    const t = fakeSession({ [FILE]: RB }, { probe: async () => Promise.reject(new Error('probe exploded')) });
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    expect(t.state().frames[0]?.steps[1]).toMatchObject({ status: 'failed', reason: 'stepgate could not run this step: probe exploded' });
    expect(t.journal.events.at(-1)).toMatchObject({ type: 'step-finished', ok: false, key: `${FILE}#probe` });
  });

  it('a transcript that cannot be written or opened is a warning, not a stuck step', async () => {
    const t = fakeSession({ [FILE]: RB });
    const original = t.journal.openTranscript.bind(t.journal);
    let opened = 0;
    t.journal.openTranscript = async (name) => {
      opened += 1;
      // First step: writing fails (ENOSPC inside the pty's data callback); second: opening fails.
      if (opened === 2) throw new Error('EMFILE: too many open files');
      const sink = await original(name);
      return { write: () => { throw new Error('ENOSPC: no space left on device'); }, close: sink.close };
    };
    const seen: string[] = [];
    t.actions.onOutput((text) => seen.push(text));
    t.shell.reply({ output: 'one\n' });
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    expect(t.state().frames[0]?.steps.map((x) => x.status)).toEqual(['passed', 'passed']);
    expect(t.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    expect(seen.join('')).toContain('one');
    // Warned once, though both steps had trouble.
    expect(seen.filter((x) => x.includes('cannot be written'))).toHaveLength(1);
    expect(seen.join('')).toContain('ENOSPC: no space left on device');
    // Each step's end says its transcript is not its whole output, for whoever audits it later.
    const finished = t.journal.events.filter((e) => e.type === 'step-finished');
    expect(finished.map((e) => e.transcriptLost)).toEqual(['cut short: ENOSPC: no space left on device', 'not written: EMFILE: too many open files']);
    const trail = auditTrail(t.journal.events).join('\n');
    expect(trail).toMatch(/\n +transcript cut short: ENOSPC: no space left on device\n/);
    expect(trail).toMatch(/\n +transcript not written: EMFILE: too many open files(\n|$)/);
    const report = sessionReport(t.journal.events, { journal: '/state/x.jsonl' }).split('\n');
    expect(report.filter((line) => / run 1: /.test(line))).toEqual([
      expect.stringMatching(/ run 1: .*\(cut short: ENOSPC: no space left on device\)$/),
      expect.stringMatching(/ run 1: none \(not written: EMFILE: too many open files\)$/),
    ]);
  });
});

describe('starts the reducer asks for', () => {
  it('a retry overtaken by a skip does not start the next step, nor skip its confirmation', async () => {
    const t = fakeSession({ [FILE]: '# R\n\n```bash {name=a}\nfalse\n```\n\n```bash {name=b confirm}\nrm -rf /srv/old\n```\n' });
    await t.actions.start({ file: FILE });
    t.shell.reply({ exitCode: 1 });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    // Both intents are taken before the retry's start runs: the skip moves the cursor to b.
    await Promise.all([t.actions.retry(), t.actions.skip('not needed')]);
    await t.actions.idle();
    expect(t.shell.requests.map((r) => r.script)).toEqual(['false']);
    expect(t.state().frames[0]?.steps.map((x) => x.status)).toEqual(['skipped', 'pending']);
    expect(t.state().status.kind).toBe('ready');
    await t.actions.runStep();
    expect(t.state().status.kind).toBe('confirm');
  });
});

describe('check specs handed to the probes', () => {
  it('builds tcp and run probes with expansion, user, cwd and env; a check step left without checks fails', async () => {
    const t = fakeSession({
      [FILE]: `---
user: ubuntu
cwd: /srv
env:
  HOST: db.internal
---
# C

\`\`\`check {name=db}
- tcp: \${HOST}:5432
- tcp: "[::1]:6379"
- run: pg_isready -h \${HOST}
  contains: accepting
\`\`\`

\`\`\`check {name=bad}
tcp: no-port-here
\`\`\`
`,
    });
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    expect(t.probes.calls).toEqual([
      { kind: 'tcp', host: 'db.internal', port: 5432, timeoutMs: 5000 },
      { kind: 'tcp', host: '::1', port: 6379, timeoutMs: 5000 },
      // A run: command is left for bash to expand from its environment.
      expect.objectContaining({ kind: 'run', command: 'pg_isready -h ${HOST}', user: 'ubuntu', cwd: '/srv', contains: 'accepting', env: { HOST: 'db.internal' } }),
    ]);
    expect(t.state().status.kind).toBe('blocked');
    // The parser drops the invalid check (a lint error); the empty step must not pass.
    expect(t.state().frames[0]?.steps[1]?.reason).toBe('this check step has no valid check to run (see stepgate lint)');
  });
});

describe('closing', () => {
  it('close() waits for the shell that the end of the session began to close', async () => {
    const t = fakeSession({ '/rb/one.md': '# One\n\n```bash\ntrue\n```\n' });
    let letGo = (): void => undefined;
    t.shell.closing = new Promise((resolve) => (letGo = resolve));
    await t.actions.start({ file: 'one.md' });
    await runToNextBlock(t.store);
    expect(t.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    // The end began closing the shell without waiting (its summary comes first).
    expect(t.shell.closed).toBe(1);
    let closed = false;
    const closing = t.actions.close().then(() => (closed = true));
    for (let turn = 0; turn < 20; turn += 1) await new Promise((r) => setTimeout(r, 1));
    expect(closed).toBe(false);
    letGo();
    await closing;
    expect(t.shell.closesDone).toBe(1);
  });
});

describe('terminal size', () => {
  it('opens the shell at the size asked for before it existed, and resizes it after', async () => {
    const t = fakeSession({ [FILE]: '# R\n\n```bash {name=a}\ntrue\n```\n\n```bash {name=b}\ntrue\n```\n' });
    t.actions.resize(60, 10);
    await t.actions.start({ file: FILE });
    await t.actions.runStep();
    await t.actions.idle();
    expect(t.shell.opened[0]).toMatchObject({ cols: 60, rows: 10 });
    t.actions.resize(100, 30);
    expect(t.shell.size).toEqual({ cols: 100, rows: 30 });
  });
});

describe('working directory', () => {
  it('starts the shell in the front-matter cwd and lets a cd hold; linked checklists and cwd= steps get their own', async () => {
    const t = fakeSession({
      [FILE]: '---\ncwd: /srv/app\nbefore: checks.md#pre\n---\n# R\n\n```bash {name=a}\ncd /tmp\n```\n\n```bash {name=b cwd=/var/log}\nls\n```\n',
      '/rb/checks.md': '---\ncwd: /opt\n---\n# C\n\n## Pre\n\n```bash {name=pre}\ndf -h\n```\n',
    });
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    expect(t.shell.opened[0]?.cwd).toBe('/srv/app');
    expect(t.shell.requests.map((r) => [r.script, r.cwd])).toEqual([
      ['df -h', '/opt'],
      ['cd /tmp', undefined],
      ['ls', '/var/log'],
    ]);
  });
});

describe('the gate holds', () => {
  it('a blocked step cannot be started again without a journaled decision', async () => {
    const t = fakeSession({ [FILE]: '# R\n\n```bash {name=a}\nfalse\n```\n' });
    t.shell.fallback = () => ({ exitCode: 1 });
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    await t.actions.runStep();
    expect(t.store.getState().error).toBe('a is blocked: retry, recover, skip, override or abort');
    expect(t.shell.requests).toHaveLength(1);
    await t.actions.retry();
    await t.actions.idle();
    expect(t.shell.requests).toHaveLength(2);
    expect(t.journal.events.filter((e) => e.type === 'decision')).toHaveLength(1);
  });
});
