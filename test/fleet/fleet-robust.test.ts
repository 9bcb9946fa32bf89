/**
 * `fleet run`/`status` against what AWS can send back and how it can fail, at the SDK boundary
 * (aws-sdk-client-mock replaces SSMClient's send; stepgate above it is real): hostile text in
 * an instance's output, errors mid-rollout, throttling, targets that match nothing, an
 * instance SSM never reports on, statuses stepgate does not know, and vars that must not come
 * from the command line.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { type CommandInvocationStatus, type CommandPluginStatus, CreateDocumentCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { runFleet, type FleetDeps } from '../../src/commands/fleet.js';
import { rolloutReport } from '../../src/session/rollout-report.js';
import { rolloutTrail } from '../../src/fleet/rollout.js';
import { RolloutTable } from '../../src/ui/fleet/rollout-table.js';
import { awsError, command, T0, useFleetHarness } from './sdk-mock-harness.js';

const h = useFleetHarness('stepgate-fleet-robust-');
const { ssmMock } = h;
const runbook = h.runbook;
const deps = h.deps;
const rolloutId = h.rolloutId;

const ESC = '\u001B';
const HOSTILE = `${ESC}]0;owned${ESC}\\${ESC}[2J${ESC}[31mred\u009B1;1H\rline`;


/** The fleet's live table, rendered in Ink, and its last frame once the watch closed it. */
function liveTableCatcher(): { liveTable: FleetDeps['liveTable']; frame: () => string } {
  let last = '';
  const liveTable: FleetDeps['liveTable'] = async (store) => {
    const app = render(createElement(RolloutTable, { store, color: false }));
    return {
      close: async () => {
        await new Promise((r) => setTimeout(r, 50));
        last = app.lastFrame() ?? '';
        app.unmount();
      },
    };
  };
  return { liveTable, frame: () => last };
}

describe('text from AWS is shown, never obeyed', () => {
  it('strips escapes from ids, statuses, step names and output in lines, the table, the live table and the report', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Failed', { InstanceIds: [`i-0aaaaaaaaaaaaaaa1${ESC}[2J`] })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        {
          InstanceId: `i-0aaaaaaaaaaaaaaa1${ESC}[2J`,
          Status: 'Failed',
          CommandPlugins: [{ Name: `build${ESC}[1A`, Status: 'Failed', ResponseCode: 1, Output: `compiling\n${HOSTILE}\n` }],
        },
      ],
    });
    const { liveTable, frame } = liveTableCatcher();
    expect(await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps())).toBe(1);
    const pipe = h.out;
    const id = rolloutId();
    h.out = '';
    expect(await runFleet(['status', id], deps({ liveTable }))).toBe(1);
    for (const text of [pipe, h.out, frame()]) {
      expect(text).not.toMatch(/[\u001B\u009B\r]/);
      expect(text).toContain('i-0aaaaaaaaaaaaaaa1');
    }
    expect(pipe).toContain('    | compiling\n    | redline\n');
    expect(frame()).toMatch(/\[!\] i-0aaaaaaaaaaaaaaa1 +build +Failed/);
    const events = h.events(id);
    // The journal keeps what AWS said; only what is shown is cleaned.
    expect(JSON.stringify(events)).toContain('\\u001b[2J');
    expect(rolloutReport(events, 'x.jsonl')).not.toMatch(/[\u001B\u009B]/);
  });
});

describe('an instance SSM never gives an invocation for', () => {
  it('is given up on after a bounded wait as "No Invocation", and the rollout ends failed instead of polling forever', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending', { InstanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'] }) });
    // SSM keeps the command open: one of its instances never reports.
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('InProgress', { InstanceIds: ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'] })] });
    ssmMock.on(ListCommandInvocationsCommand).rejects(awsError('NotImplemented', 'not implemented'));
    ssmMock.on(GetCommandInvocationCommand, { InstanceId: 'i-0aaaaaaaaaaaaaaa1' }).resolves({ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', PluginName: 'build' });
    ssmMock
      .on(GetCommandInvocationCommand, { InstanceId: 'i-0aaaaaaaaaaaaaaa2' })
      .rejects(awsError('InvocationDoesNotExist', 'An error occurred (InvocationDoesNotExist)'));
    let t = T0;
    const code = await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1,i-0aaaaaaaaaaaaaaa2'], deps({ now: () => (t += 5_000) }));
    expect(h.err).toBe('');
    expect(code).toBe(1);
    expect(h.sleeps.length).toBeGreaterThanOrEqual(11);
    expect(h.sleeps.length).toBeLessThan(30);
    expect(h.out).toContain('1 of 2 instances failed (command InProgress):');
    expect(h.out).toMatch(/ {2}i-0aaaaaaaaaaaaaaa2: No Invocation at step \?\n {4}\| SSM gave no invocation for this instance in \d+ polls over .*InvocationDoesNotExist.*aws ssm describe-instance-information/);
    const events = h.events();
    expect(events.at(-1)).toMatchObject({ type: 'rollout-finished', ok: false, failed: [{ instanceId: 'i-0aaaaaaaaaaaaaaa2', status: 'No Invocation' }] });
    expect(rolloutReport(events, 'x.jsonl')).toContain('### i-0aaaaaaaaaaaaaaa2: No Invocation at an unknown step');
  });
});

describe('an AWS error mid-rollout', () => {
  it('is journaled, and fleet status, log and report say it afterwards', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).rejectsOnce(awsError('AccessDeniedException', 'User: ops is not authorized to perform: ssm:ListCommands'));
    expect(await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps())).toBe(2);
    expect(h.err).toMatch(/^stepgate: stopped watching rollout fleet-\S+: access denied \(User: ops is not authorized to perform: ssm:ListCommands\)/);
    expect(h.err).toMatch(/the rollout goes on in AWS: stepgate fleet status fleet-\S+ watches it again/);
    const id = rolloutId();
    const events = h.events(id);
    expect(events.map((e) => e.type)).toEqual(['rollout-started', 'command-sent', 'rollout-error']);
    expect(rolloutTrail(events).at(-1)).toMatch(/error: stopped watching: access denied \(User: ops is not authorized to perform: ssm:ListCommands\)/);
    expect(rolloutReport(events, 'x.jsonl')).toMatch(/## Events\n\n- 2026-01-02 03:04:05Z: error: stopped watching: access denied/);

    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Success', { CompletedCount: 1 })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }] }] });
    h.out = '';
    expect(await runFleet(['status', id], deps())).toBe(0);
    expect(h.out).toMatch(/^earlier error \(2026-01-02 03:04:05 UTC\): stopped watching: access denied \(User: ops/m);
    expect(h.out).toContain('every instance succeeded (1)');
  });
});

describe('polling under throttling', () => {
  const throttled = (name = 'ThrottlingException', status = 400) => awsError(name, 'Rate exceeded', status);

  it('doubles the poll interval on a throttled poll (a 429 too), and goes back to it once a poll passes', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    // Five throttled calls are one throttled poll (the client retries 5 times); a 429 under a name the client does not retry is one at once.
    const calls = ssmMock.on(ListCommandsCommand);
    for (let n = 0; n < 5; n++) calls.rejectsOnce(throttled());
    calls
      .rejectsOnce(throttled('HttpError', 429))
      .resolvesOnce({ Commands: [command('InProgress')] })
      .resolves({ Commands: [command('Success', { CompletedCount: 1 })] });
    ssmMock
      .on(ListCommandInvocationsCommand)
      .resolvesOnce({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'InProgress', CommandPlugins: [{ Name: 'build', Status: 'InProgress' }] }] })
      .resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }] }] });
    expect(await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--poll', '20s'], deps())).toBe(0);
    expect(h.err).toBe('');
    // The SDK client's own retries wait through the client's sleep; the watch's waits are these.
    expect(h.sleeps.filter((ms) => ms >= 20_000)).toEqual([40_000, 60_000, 20_000]);
  });

  it('gives up after 10 throttled polls in a row, journaled, saying how to watch again (exit 2)', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).rejects(throttled());
    expect(await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps())).toBe(2);
    expect(h.sleeps).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    expect(h.err).toMatch(/^stepgate: stopped watching rollout (fleet-\S+): SSM throttled 10 polls in a row \(ThrottlingException: Rate exceeded\).*\nthe rollout goes on in AWS: stepgate fleet status \1 watches it again/);
    const events = h.events();
    expect(events.at(-1)).toMatchObject({ type: 'rollout-error', message: expect.stringMatching(/^stopped watching: SSM throttled 10 polls in a row/) });
  });
});

describe('vars given to fleet run', () => {
  // A secret (by its name) and a plain var in the runbook, a third in the checklist it walks first.
  const MAIN = `---\nuser: ubuntu\nbefore: checks.md#pre\nvars:\n  PORT: {prompt: Port, default: "8092"}\n  DB_PASSWORD: {prompt: Database password}\n---\n# Fleet\n\n## Steps\n\nBuild it.\n\n\`\`\`bash {name=build}\nmake\n\`\`\`\n`;
  const CHECKS = `---\nvars:\n  ZONE: {prompt: Zone, default: a}\n---\n# Checks\n\n## Pre\n\n\`\`\`bash {name=precheck}\ntrue\n\`\`\`\n`;
  const files = (): string => {
    writeFileSync(join(h.dir, 'checks.md'), CHECKS);
    return runbook(MAIN);
  };

  it('refuses a --var no runbook declares before any AWS call, naming the declared ones (linked runbooks included)', async () => {
    const code = await runFleet(['run', files(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--var', 'PROT=8093', '--param-store-prefix', '/stepgate/fleet'], deps());
    expect(code).toBe(2);
    expect(h.err).toMatch(/^stepgate: --var PROT: \S+fleet\.md declares no var PROT, nor does a runbook it links to \(declared: PORT, DB_PASSWORD \(secret\), ZONE\); fix the name or drop the flag\n/);
    expect(h.err).toContain('fleet run sent nothing');
    expect(ssmMock.calls()).toHaveLength(0);
    expect(h.out).toBe('');
  });

  it('refuses a secret var given with --var, or with STEPGATE_VAR_ and no --param-store-prefix, at the line declaring it, advising Parameter Store', async () => {
    // At DB_PASSWORD's own line (6:3), not the vars: key.
    const file = files();
    expect(await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--var', 'DB_PASSWORD=hunter2'], deps())).toBe(2);
    expect(h.err).toMatch(/^\S+fleet\.md:6:3: --var DB_PASSWORD: var DB_PASSWORD is secret, and fleet run sends no secret \(a command's parameters stay in clear in SSM's command history and CloudTrail\); keep it in Parameter Store as a SecureString \/PATH\/DB_PASSWORD and pass --param-store-prefix \/PATH: each instance reads it there; drop --var DB_PASSWORD\n/);
    expect(h.err).not.toContain('hunter2');

    h.err = '';
    const env = { STEPGATE_STATE_DIR: h.dir, USER: 'ops', STEPGATE_VAR_DB_PASSWORD: 'hunter2' };
    expect(await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps({ env }))).toBe(2);
    expect(h.err).toMatch(/fleet\.md:6:3: STEPGATE_VAR_DB_PASSWORD: var DB_PASSWORD is secret.*pass --param-store-prefix \/PATH: each instance reads it there; unset STEPGATE_VAR_DB_PASSWORD\n/);

    // With the prefix a typed --var is still refused: it was meant to be sent, and would not be.
    h.err = '';
    expect(await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--var', 'DB_PASSWORD=hunter2', '--param-store-prefix', '/stepgate/fleet/'], deps({ env }))).toBe(2);
    expect(h.err).toMatch(/fleet\.md:6:3: --var DB_PASSWORD: var DB_PASSWORD is secret.*with --param-store-prefix \/stepgate\/fleet\/ each instance reads it from Parameter Store as \/stepgate\/fleet\/DB_PASSWORD; drop --var DB_PASSWORD\n/);
    expect(h.err).not.toContain('hunter2');
    expect(ssmMock.calls()).toHaveLength(0);
  });

  it('with --param-store-prefix leaves a secret\'s STEPGATE_VAR_ out with a one-line note, and never sends its value', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Success', { CompletedCount: 1 })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }] }] });
    const env = { STEPGATE_STATE_DIR: h.dir, USER: 'ops', STEPGATE_VAR_DB_PASSWORD: 'hunter2', STEPGATE_VAR_SOMETHING_ELSE: 'x' };
    expect(await runFleet(['run', files(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--param-store-prefix', '/stepgate/fleet/'], deps({ env }))).toBe(0);
    expect(h.err).toMatch(/^\S+fleet\.md:6:3: STEPGATE_VAR_DB_PASSWORD ignored: var DB_PASSWORD is secret and fleet run sends no secret .*; each instance reads it from Parameter Store as \/stepgate\/fleet\/DB_PASSWORD \(--param-store-prefix \/stepgate\/fleet\/\)\n$/);
    // Undeclared STEPGATE_VAR_ names are another runbook's business.
    expect(h.err).not.toContain('SOMETHING_ELSE');
    expect(h.out).toContain('every instance succeeded (1)');
    const sent = JSON.stringify(ssmMock.calls().map((c) => c.args[0].input));
    expect(sent).not.toContain('hunter2');
    expect(ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input.Parameters).toEqual({});
    expect(ssmMock.commandCalls(CreateDocumentCommand)[0]?.args[0].input.Content).toContain('{{ssm-secure:/stepgate/fleet/DB_PASSWORD}}');
  });

  it('sends declared vars, a linked runbook\'s included, and leaves the secret to Parameter Store', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Success', { CompletedCount: 1 })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }] }] });
    const env = { STEPGATE_STATE_DIR: h.dir, USER: 'ops', STEPGATE_VAR_ZONE: 'b' };
    expect(await runFleet(['run', files(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--var', 'PORT=8093', '--param-store-prefix', '/stepgate/fleet'], deps({ env }))).toBe(0);
    expect(h.err).toBe('');
    expect(ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input.Parameters).toEqual({ PORT: ['8093'], ZONE: ['b'] });
  });
});

describe('a target that matches no instance', () => {
  it('says so, naming the tag, journals it as a rollout error and exits 2 (it read "0 of 0 instances failed")', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending', { TargetCount: 0 }) });
    // While SSM resolves the tag the command is open and lists nobody: not decided yet.
    ssmMock
      .on(ListCommandsCommand)
      .resolvesOnce({ Commands: [command('Pending', { TargetCount: 0 })] })
      .resolves({ Commands: [command('Success', { TargetCount: 0 })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    const code = await runFleet(['run', runbook(), '--targets', 'tag:service=omneuro'], deps());
    expect(code).toBe(2);
    expect(h.sleeps).toHaveLength(1);
    expect(h.out).not.toMatch(/0 of 0|instances failed|every instance succeeded/);
    expect(h.err).toMatch(
      /^stepgate: rollout (fleet-\S+): no instance matched the target, instances tagged service=omneuro: SSM ran the command nowhere \(command Success\)\ncheck the tag's key and value \(aws ec2 describe-instances --filters 'Name=tag:service,Values=omneuro'\).*describe-instance-information\), then run fleet run again\n$/,
    );
    const events = h.events();
    expect(events.map((e) => e.type)).toEqual(['rollout-started', 'command-sent', 'rollout-error', 'rollout-finished']);
    expect(rolloutTrail(events).at(-2)).toMatch(/error: no instance matched the target, instances tagged service=omneuro/);
    expect(rolloutTrail(events).at(-1)).toMatch(/finished: Success, no instance matched the target$/);
    const report = rolloutReport(events, 'x.jsonl');
    expect(report).toMatch(/## Events\n\n- .*: error: no instance matched the target/);
    // It ended: the report says how, not "not finished when last watched".
    expect(report).toContain('**no instance matched the target** (command Success: SSM ran it nowhere)');
    expect(report).not.toContain('not finished');
    // Watched again: said again, journaled once (a second identical error read as a second failure).
    const id = /rollout (fleet-\S+):/.exec(h.err)?.[1] ?? 'missing';
    h.err = '';
    expect(await runFleet(['status', id], deps())).toBe(2);
    expect(h.err).toContain('no instance matched the target');
    expect(h.events().filter((e) => e.type === 'rollout-error')).toHaveLength(1);
    expect(h.events().filter((e) => e.type === 'rollout-finished')).toHaveLength(1);
  });
});

describe('a command SSM never starts', () => {
  /** Watched again while SSM still says the same: decided at once, said again, journaled nothing new. */
  async function watchedAgain(id: string, journaled: number, now: () => number): Promise<void> {
    const polled = h.sleeps.length;
    h.err = '';
    expect(await runFleet(['status', id], deps({ now }))).toBe(2);
    expect(h.sleeps.length).toBe(polled);
    expect(h.err).toContain('SSM never started the command on any instance');
    expect(h.events(id)).toHaveLength(journaled);
  }

  it('is given up on after 12 polls and a minute with no invocation, said as such, journaled once, exit 2 (it was watched without end)', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Pending')] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    let t = T0;
    const code = await runFleet(['run', runbook(), '--targets', 'tag:service=omneuro'], deps({ now: () => (t += 5_000) }));
    expect(code).toBe(2);
    expect(h.sleeps.length).toBeGreaterThanOrEqual(11);
    expect(h.sleeps.length).toBeLessThan(30);
    expect(h.out).not.toMatch(/instances? failed|every instance succeeded|still running/);
    expect(h.err).toMatch(
      /^stepgate: rollout (fleet-\S+): SSM never started the command on any instance: command c0ffee00-\S+ is still Pending with no invocation for instances tagged service=omneuro after \d+ polls over 1m\d*s?\nstepgate fleet cancel \1 cancels it .*aws ssm describe-instance-information.*, then run fleet run again\n$/,
    );
    const id = h.rolloutId();
    const events = h.events(id);
    expect(events.map((e) => e.type)).toEqual(['rollout-started', 'command-sent', 'rollout-error', 'rollout-finished']);
    expect(events.at(-1)).toMatchObject({ type: 'rollout-finished', status: 'Pending', ok: false, neverStarted: true });
    expect(rolloutTrail(events).at(-1)).toMatch(/finished: given up while Pending, SSM never started the command on any instance$/);
    const report = rolloutReport(events, 'x.jsonl');
    expect(report).toContain('**SSM never started the command on any instance** (command still Pending when the watch gave up)');
    expect(report).not.toContain('not finished');

    await watchedAgain(id, events.length, () => (t += 5_000));
  });

  it('given --instance-ids, none of which SSM ever gives an invocation for, says it never started there rather than "2 of 2 failed", exit 2', async () => {
    const ids = ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'];
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending', { InstanceIds: ids }) });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Pending', { InstanceIds: ids })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [] });
    let t = T0;
    const code = await runFleet(['run', runbook(), '--instance-ids', ids.join(',')], deps({ now: () => (t += 5_000) }));
    expect(code).toBe(2);
    expect(h.sleeps.length).toBeGreaterThanOrEqual(11);
    expect(h.sleeps.length).toBeLessThan(30);
    expect(h.out).not.toMatch(/instances? failed|every instance succeeded|still running/);
    expect(h.err).toMatch(
      /^stepgate: rollout (fleet-\S+): SSM never started the command on any instance: command c0ffee00-\S+ is still Pending with no invocation for i-0aaaaaaaaaaaaaaa1, i-0aaaaaaaaaaaaaaa2 after \d+ polls over 1m\d*s?\nstepgate fleet cancel \1 cancels it .*, then run fleet run again\n$/,
    );
    const id = h.rolloutId();
    const events = h.events(id);
    // Each instance's row is journaled as SSM left it; the rollout's end says why.
    expect(events.filter((e) => e.type === 'instance-changed').map((e) => e.type === 'instance-changed' && [e.row.instanceId, e.row.status]).slice(-2)).toEqual(ids.map((i) => [i, 'No Invocation']));
    expect(events.slice(-2).map((e) => e.type)).toEqual(['rollout-error', 'rollout-finished']);
    expect(events.at(-1)).toMatchObject({ type: 'rollout-finished', status: 'Pending', ok: false, neverStarted: true });
    expect(rolloutTrail(events).at(-1)).toMatch(/finished: given up while Pending, SSM never started the command on any instance$/);
    expect(rolloutReport(events, 'x.jsonl')).toContain('**SSM never started the command on any instance** (command still Pending when the watch gave up)');

    await watchedAgain(id, events.length, () => (t += 5_000));
  });

  it('given --instance-ids where SSM cannot list invocations and has none for any of them, says so with what SSM said', async () => {
    const ids = ['i-0aaaaaaaaaaaaaaa1', 'i-0aaaaaaaaaaaaaaa2'];
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending', { InstanceIds: ids }) });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('InProgress', { InstanceIds: ids })] });
    ssmMock.on(ListCommandInvocationsCommand).rejects(awsError('NotImplemented', 'not implemented'));
    ssmMock.on(GetCommandInvocationCommand).rejects(awsError('InvocationDoesNotExist', `An error occurred (InvocationDoesNotExist)${ESC}[2J`));
    let t = T0;
    expect(await runFleet(['run', runbook(), '--instance-ids', ids.join(',')], deps({ now: () => (t += 5_000) }))).toBe(2);
    expect(h.out).not.toMatch(/instances? failed/);
    expect(h.err).toMatch(/SSM never started the command on any instance: command \S+ is still InProgress with no invocation for i-0aaaaaaaaaaaaaaa1, i-0aaaaaaaaaaaaaaa2 after \d+ polls over 1m\d*s? \(SSM: An error occurred \(InvocationDoesNotExist\)\)\n/);
    expect(h.err).not.toContain(ESC);
  });

  it('is watched on as usual once SSM lists an invocation within the bound', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    const polls = ssmMock.on(ListCommandsCommand);
    const invocations = ssmMock.on(ListCommandInvocationsCommand);
    for (let n = 0; n < 10; n++) {
      polls.resolvesOnce({ Commands: [command('Pending')] });
      invocations.resolvesOnce({ CommandInvocations: [] });
    }
    polls.resolves({ Commands: [command('Success', { CompletedCount: 1 })] });
    invocations.resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }] }] });
    let t = T0;
    expect(await runFleet(['run', runbook(), '--targets', 'tag:service=omneuro'], deps({ now: () => (t += 10_000) }))).toBe(0);
    expect(h.err).toBe('');
    expect(h.out).toContain('every instance succeeded (1)');
  });
});

describe('statuses stepgate does not know', () => {
  const I1 = 'i-0aaaaaaaaaaaaaaa1';
  // The SDK's types list the statuses it knows; SSM may send others, which is what is tested.
  const invocation = (Status: string, StatusDetails: string, plugin = Status) => ({
    CommandInvocations: [{ InstanceId: I1, Status: Status as CommandInvocationStatus, StatusDetails, CommandPlugins: [{ Name: 'build', Status: plugin as CommandPluginStatus }] }],
  });
  const send = (): void => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
  };

  it('ends on every final StatusDetails SSM documents, in either spelling (Invalid Platform never ended the watch, nor AccessDenied, DeliveryTimedOut or Canceled as spelt without spaces)', async () => {
    for (const details of ['InvalidPlatform', 'Invalid Platform', 'AccessDenied', 'Access Denied', 'DeliveryTimedOut', 'Canceled', 'Terminated', 'Undeliverable']) {
      send();
      ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Failed')] });
      ssmMock.on(ListCommandInvocationsCommand).resolves(invocation('Failed', details));
      h.out = '';
      expect(await runFleet(['run', runbook(), '--instance-ids', I1], deps()), details).toBe(1);
      expect(h.out, details).toContain(`1 of 1 instance failed (command Failed):\n  ${I1}: ${details} at step build\n`);
    }
  });

  it('decides an unknown StatusDetails at once when SSM\'s own Status is final, showing it as SSM wrote it, never as a success', async () => {
    send();
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Success')] });
    ssmMock.on(ListCommandInvocationsCommand).resolves(invocation('Success', 'Quarantined'));
    expect(await runFleet(['run', runbook(), '--instance-ids', I1], deps())).toBe(1);
    expect(h.sleeps).toEqual([]);
    expect(h.out).toContain(`  ${I1}: Quarantined at step build\n`);
    expect(h.events().at(-1)).toMatchObject({ type: 'rollout-finished', ok: false, failed: [{ instanceId: I1, status: 'Quarantined', final: true }] });
    expect(rolloutReport(h.events(), 'x.jsonl')).toContain(`### ${I1}: Quarantined at \`build\``);
  });

  it('decides an unknown status that has not changed for 12 polls and a minute, with the raw status and how to look at it', async () => {
    send();
    // SSM holds the command open; the instance's status is a word neither list has.
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('InProgress')] });
    ssmMock.on(ListCommandInvocationsCommand).resolves(invocation('Hibernating', 'Hibernating'));
    let t = T0;
    const { liveTable, frame } = liveTableCatcher();
    expect(await runFleet(['run', runbook(), '--instance-ids', I1], deps({ now: () => (t += 5_000), liveTable }))).toBe(1);
    expect(h.sleeps.length).toBeGreaterThanOrEqual(11);
    expect(h.sleeps.length).toBeLessThan(30);
    expect(h.out).toMatch(
      new RegExp(`  ${I1}: Hibernating at step build\\n    \\| SSM reports status "Hibernating", which stepgate does not know, unchanged in \\d+ polls over 1m\\d*s?: counted as failed, not as a success\\. See what SSM says with aws ssm get-command-invocation --command-id c0ffee00-\\S+ --instance-id ${I1}\\n`),
    );
    expect(frame()).toMatch(/\[!\] i-0aaaaaaaaaaaaaaa1 +build +Hibernating/);
    expect(frame()).toContain('1/1 instance done, 1 failed');

    // Watching again while SSM still says the same keeps it decided: no second minute, no row journaled undecided.
    const journaled = h.events().length;
    const polled = h.sleeps.length;
    const id = h.rolloutId();
    h.out = '';
    expect(await runFleet(['status', id], deps({ now: () => (t += 5_000) }))).toBe(1);
    expect(h.sleeps.length).toBe(polled);
    // Its end is journaled once: a watch again journals nothing new.
    expect(h.events(id).slice(journaled).map((e) => e.type)).toEqual([]);
  });

  it('waits without bound on unknown details while SSM says the invocation is in progress and the command is open', async () => {
    send();
    const polls = ssmMock.on(ListCommandsCommand);
    const invocations = ssmMock.on(ListCommandInvocationsCommand);
    for (let n = 0; n < 40; n++) {
      polls.resolvesOnce({ Commands: [command('InProgress')] });
      invocations.resolvesOnce(invocation('InProgress', 'Warming Up'));
    }
    polls.resolves({ Commands: [command('Success', { CompletedCount: 1 })] });
    invocations.resolves(invocation('Success', 'Success'));
    let t = T0;
    expect(await runFleet(['run', runbook(), '--instance-ids', I1], deps({ now: () => (t += 5_000) }))).toBe(0);
    expect(h.sleeps).toHaveLength(40);
    expect(h.out).toContain('every instance succeeded (1)');
  });
});
