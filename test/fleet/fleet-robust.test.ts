/**
 * `fleet run`/`status` against what AWS can send back and how it can fail, at the SDK boundary
 * (aws-sdk-client-mock replaces SSMClient's send; stepgate above it is real): hostile text in
 * an instance's output, errors mid-rollout, throttling, targets that match nothing, an
 * instance SSM never reports on, and vars that must not come from the command line.
 */
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import { CreateDocumentCommand, GetCommandInvocationCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
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
    let frame = '';
    const liveTable: FleetDeps['liveTable'] = async (store) => {
      const app = render(createElement(RolloutTable, { store, color: false }));
      return {
        close: async () => {
          await new Promise((r) => setTimeout(r, 50));
          frame = app.lastFrame() ?? '';
          app.unmount();
        },
      };
    };
    expect(await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps())).toBe(1);
    const pipe = h.out;
    const id = rolloutId();
    h.out = '';
    expect(await runFleet(['status', id], deps({ liveTable }))).toBe(1);
    for (const text of [pipe, h.out, frame]) {
      expect(text).not.toMatch(/[\u001B\u009B\r]/);
      expect(text).toContain('i-0aaaaaaaaaaaaaaa1');
    }
    expect(pipe).toContain('    | compiling\n    | redline\n');
    expect(frame).toMatch(/\[!\] i-0aaaaaaaaaaaaaaa1 +build +Failed/);
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
