/**
 * `capture=NAME`: a step's output kept as a session variable, journaled, written once, passed
 * to later steps, checks and recovery sections, and restored on resume.
 */
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/session/reducer.js';
import { capturedValue } from '../../src/session/step-runner.js';
import { fail } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

const FILE = '/rb/deploy.md';
const DEPLOY = `---
title: Deploy
---
# Deploy

## Record

Record what runs now.

\`\`\`bash {name=record capture=PREVIOUS}
git rev-parse HEAD
\`\`\`

## Pull

Pull.

\`\`\`bash {name=pull recover=#roll-back}
git pull
\`\`\`

## Health

Healthy?

\`\`\`check {name=health recover=#roll-back}
http: http://127.0.0.1:1/healthz?was=\${PREVIOUS}
retries: 1
\`\`\`

## Roll back

Back to what ran before.

\`\`\`bash {name=back}
git reset --hard "$PREVIOUS"
\`\`\`
`;

describe('capture=', () => {
  it('keeps the output as a variable for later steps, checks and recovery; a re-run cannot replace it', async () => {
    const t = fakeSession({ [FILE]: DEPLOY });
    await t.actions.start({ file: 'deploy.md' });
    t.shell.reply({ output: ['\u001b[32mv1-commit\u001b[0m\r\n'], exitCode: 0 });
    t.shell.reply({ output: ['pulled\r\n'], exitCode: 0 });
    t.probes.script('http://127.0.0.1:1/healthz?was=v1-commit', fail('503'));
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    expect(t.state().captured).toEqual({ PREVIOUS: { value: 'v1-commit', key: `${FILE}#record`, at: expect.any(Number) } });
    expect(t.shell.requests[1]?.env).toMatchObject({ PREVIOUS: 'v1-commit' });
    expect(t.journal.events.find((e) => e.type === 'var-captured')).toMatchObject({ name: 'PREVIOUS', value: 'v1-commit', key: `${FILE}#record` });

    // stepgate dies at the gate; a resume restores the value for the roll back.
    const u = fakeSession({ [FILE]: DEPLOY });
    await u.actions.resume(t.journal.events);
    await u.actions.chooseRecovery(0);
    u.shell.reply({ output: ['HEAD is now at v1\r\n'], exitCode: 0 });
    await runToNextBlock(u.store);
    expect(u.shell.requests[0]).toMatchObject({ script: 'git reset --hard "$PREVIOUS"', env: { PREVIOUS: 'v1-commit' } });
    expect(u.state().captured.PREVIOUS?.value).toBe('v1-commit');
    expect(replay(t.journal.events).captured).toEqual(t.state().captured);
  });

  it('a retried capture step keeps its first value and says so', async () => {
    const t = fakeSession({ [FILE]: DEPLOY });
    await t.actions.start({ file: 'deploy.md' });
    t.shell.reply({ output: ['v1-commit\r\n'], exitCode: 0 });
    t.shell.reply({ output: ['no network\r\n'], exitCode: 1 });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    // Run the record step again out of order: it now prints another commit.
    await t.actions.skip('pull by hand');
    const outputs: string[] = [];
    t.actions.onOutput((text) => outputs.push(text));
    t.shell.reply({ output: ['v2-commit\r\n'], exitCode: 0 });
    await t.actions.runStepAt(0, 'record again');
    await t.actions.idle();
    expect(t.state().captured.PREVIOUS?.value).toBe('v1-commit');
    expect(outputs.join('')).toContain('PREVIOUS keeps the value captured at record: v1-commit (this run printed v2-commit');
    expect(t.journal.events.filter((e) => e.type === 'var-captured')).toHaveLength(1);
  });

  it('a capture step that prints nothing fails, so nothing later relies on an empty value', async () => {
    const t = fakeSession({ [FILE]: DEPLOY });
    await t.actions.start({ file: 'deploy.md' });
    t.shell.reply({ output: ['\r\n'], exitCode: 0 });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    expect(t.state().frames[0]?.steps[0]).toMatchObject({ status: 'failed', reason: 'capture=PREVIOUS: the step printed nothing to capture' });
    expect(t.state().captured).toEqual({});
  });

  it('capturedValue strips escapes and carriage returns and trims', () => {
    expect(capturedValue('\u001b[1mabc\u001b[0m\r\ndef\r\n\r\n')).toBe('abc\ndef');
  });
});
