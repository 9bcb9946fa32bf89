/**
 * `fleet run`/`status` against what AWS can send back and how it can fail, at the SDK boundary
 * (aws-sdk-client-mock replaces SSMClient's send; stepgate above it is real): hostile text in
 * an instance's output, errors mid-rollout, throttling, targets that match nothing, an
 * instance SSM never reports on, and vars that must not come from the command line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createElement } from 'react';
import { render } from 'ink-testing-library';
import {
  type Command,
  type CommandStatus,
  CreateDocumentCommand,
  GetCommandInvocationCommand,
  ListCommandInvocationsCommand,
  ListCommandsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFleet, type FleetDeps } from '../../src/commands/fleet.js';
import { createSsmClient } from '../../src/exec/ssm-client.js';
import { readRollout } from '../../src/session/rollout-journal.js';
import { rolloutReport } from '../../src/session/rollout-report.js';
import { rolloutTrail } from '../../src/fleet/rollout.js';
import { RolloutTable } from '../../src/ui/fleet/rollout-table.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ssmMock = mockClient(SSMClient);
let dir: string;
let out: string;
let err: string;
let sleeps: number[];

function deps(extra: Partial<FleetDeps> = {}): FleetDeps {
  return {
    ssm: () => createSsmClient({ client: new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), sleep: () => Promise.resolve() }),
    out: (t) => (out += t),
    err: (t) => (err += t),
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    sleep: (ms) => {
      sleeps.push(ms);
      // A watch that never ends fails the test instead of filling the heap.
      return sleeps.length > 200 ? Promise.reject(new Error('still polling after 200 polls')) : Promise.resolve();
    },
    env: { STEPGATE_STATE_DIR: dir, USER: 'ops' },
    ...extra,
  };
}

const RUNBOOK = `---\nuser: ubuntu\n---\n# Fleet\n\n## Steps\n\nBuild it.\n\n\`\`\`bash {name=build}\nmake\n\`\`\`\n`;
const ID = 'c0ffee00-0000-4000-8000-000000000001';

beforeEach(() => {
  ssmMock.reset();
  dir = mkdtempSync(join(tmpdir(), 'stepgate-fleet-robust-'));
  out = '';
  err = '';
  sleeps = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function command(status: CommandStatus, extra: Partial<Command> = {}): Command {
  return { CommandId: ID, Status: status, TargetCount: 1, CompletedCount: 0, ErrorCount: 0, InstanceIds: [], ...extra };
}

function runbook(text = RUNBOOK): string {
  const file = join(dir, 'fleet.md');
  writeFileSync(file, text);
  return file;
}

const rolloutId = (): string => /rollout (fleet-\S+):/.exec(out)?.[1] ?? '';
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
    const pipe = out;
    const id = rolloutId();
    out = '';
    expect(await runFleet(['status', id], deps({ liveTable }))).toBe(1);
    for (const text of [pipe, out, frame]) {
      expect(text).not.toMatch(/[\u001B\u009B\r]/);
      expect(text).toContain('i-0aaaaaaaaaaaaaaa1');
    }
    expect(pipe).toContain('    | compiling\n    | redline\n');
    expect(frame).toMatch(/\[!\] i-0aaaaaaaaaaaaaaa1 +build +Failed/);
    const events = readRollout(id, { STEPGATE_STATE_DIR: dir }) ?? [];
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
    ssmMock.on(ListCommandInvocationsCommand).rejects(Object.assign(new Error('not implemented'), { name: 'NotImplemented', $metadata: { httpStatusCode: 400 } }));
    ssmMock.on(GetCommandInvocationCommand, { InstanceId: 'i-0aaaaaaaaaaaaaaa1' }).resolves({ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', PluginName: 'build' });
    ssmMock
      .on(GetCommandInvocationCommand, { InstanceId: 'i-0aaaaaaaaaaaaaaa2' })
      .rejects(Object.assign(new Error('An error occurred (InvocationDoesNotExist)'), { name: 'InvocationDoesNotExist', $metadata: { httpStatusCode: 400 } }));
    let t = Date.UTC(2026, 0, 2, 3, 4, 5);
    const code = await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1,i-0aaaaaaaaaaaaaaa2'], deps({ now: () => (t += 5_000) }));
    expect(err).toBe('');
    expect(code).toBe(1);
    expect(sleeps.length).toBeGreaterThanOrEqual(11);
    expect(sleeps.length).toBeLessThan(30);
    expect(out).toContain('1 of 2 instances failed (command InProgress):');
    expect(out).toMatch(/ {2}i-0aaaaaaaaaaaaaaa2: No Invocation at step \?\n {4}\| SSM gave no invocation for this instance in \d+ polls over .*InvocationDoesNotExist.*aws ssm describe-instance-information/);
    const events = readRollout(rolloutId(), { STEPGATE_STATE_DIR: dir }) ?? [];
    expect(events.at(-1)).toMatchObject({ type: 'rollout-finished', ok: false, failed: [{ instanceId: 'i-0aaaaaaaaaaaaaaa2', status: 'No Invocation' }] });
    expect(rolloutReport(events, 'x.jsonl')).toContain('### i-0aaaaaaaaaaaaaaa2: No Invocation at an unknown step');
  });
});

describe('an AWS error mid-rollout', () => {
  it('is journaled, and fleet status, log and report say it afterwards', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).rejectsOnce(Object.assign(new Error('User: ops is not authorized to perform: ssm:ListCommands'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 400 } }));
    expect(await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps())).toBe(2);
    expect(err).toMatch(/^stepgate: stopped watching rollout fleet-\S+: access denied \(User: ops is not authorized to perform: ssm:ListCommands\)/);
    expect(err).toMatch(/the rollout goes on in AWS: stepgate fleet status fleet-\S+ watches it again/);
    const id = rolloutId();
    const events = readRollout(id, { STEPGATE_STATE_DIR: dir }) ?? [];
    expect(events.map((e) => e.type)).toEqual(['rollout-started', 'command-sent', 'rollout-error']);
    expect(rolloutTrail(events).at(-1)).toMatch(/error: stopped watching: access denied \(User: ops is not authorized to perform: ssm:ListCommands\)/);
    expect(rolloutReport(events, 'x.jsonl')).toMatch(/## Events\n\n- 2026-01-02 03:04:05Z: error: stopped watching: access denied/);

    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Success', { CompletedCount: 1 })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }] }] });
    out = '';
    expect(await runFleet(['status', id], deps())).toBe(0);
    expect(out).toMatch(/^earlier error \(2026-01-02 03:04:05 UTC\): stopped watching: access denied \(User: ops/m);
    expect(out).toContain('every instance succeeded (1)');
  });
});

describe('polling under throttling', () => {
  const throttled = (name = 'ThrottlingException', status = 400) => Object.assign(new Error('Rate exceeded'), { name, $metadata: { httpStatusCode: status } });

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
    expect(err).toBe('');
    // The SDK client's own retries wait through the client's sleep; the watch's waits are these.
    expect(sleeps.filter((ms) => ms >= 20_000)).toEqual([40_000, 60_000, 20_000]);
  });

  it('gives up after 10 throttled polls in a row, journaled, saying how to watch again (exit 2)', async () => {
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).rejects(throttled());
    expect(await runFleet(['run', runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps())).toBe(2);
    expect(sleeps).toEqual([10_000, 20_000, 40_000, 60_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
    expect(err).toMatch(/^stepgate: stopped watching rollout (fleet-\S+): SSM throttled 10 polls in a row \(ThrottlingException: Rate exceeded\).*\nthe rollout goes on in AWS: stepgate fleet status \1 watches it again/);
    const events = readRollout(rolloutId(), { STEPGATE_STATE_DIR: dir }) ?? [];
    expect(events.at(-1)).toMatchObject({ type: 'rollout-error', message: expect.stringMatching(/^stopped watching: SSM throttled 10 polls in a row/) });
  });
});
