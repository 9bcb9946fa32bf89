/**
 * What moto cannot answer, at the SDK boundary (aws-sdk-client-mock replaces SSMClient's
 * send; everything of stepgate's above it is real): tag targets, ListCommandInvocations with
 * a failed instance's step and output, throttling with retry, cancel.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CancelCommandCommand,
  type Command,
  type CommandStatus,
  CreateDocumentCommand,
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

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ssmMock = mockClient(SSMClient);
let dir: string;
let out: string;
let err: string;

function deps(): FleetDeps {
  return {
    ssm: () => createSsmClient({ client: new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }) }),
    out: (t) => (out += t),
    err: (t) => (err += t),
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    sleep: () => Promise.resolve(),
    env: { STEPGATE_STATE_DIR: dir, USER: 'ops' },
  };
}

const RUNBOOK = `---\nuser: ubuntu\n---\n# Fleet\n\n## Steps\n\nBuild it.\n\n\`\`\`bash {name=build}\nmake\n\`\`\`\n\nStart it.\n\n\`\`\`bash {name=start}\nmake start\n\`\`\`\n`;

beforeEach(() => {
  ssmMock.reset();
  dir = mkdtempSync(join(tmpdir(), 'stepgate-fleet-mock-'));
  out = '';
  err = '';
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function command(status: CommandStatus, extra: Partial<Command> = {}): Command {
  return { CommandId: 'c0ffee00-0000-4000-8000-000000000001', Status: status, TargetCount: 2, CompletedCount: 2, ErrorCount: 1, InstanceIds: [], ...extra };
}

describe('fleet run at the SDK boundary', () => {
  it('targets by tag, reports the failed instance with its failing step and output tail, exits 1', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'fleet.md');
    writeFileSync(file, RUNBOOK);
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Failed')] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }, { Name: 'start', Status: 'Success' }] },
        {
          InstanceId: 'i-0aaaaaaaaaaaaaaa2',
          Status: 'Failed',
          CommandPlugins: [
            { Name: 'build', Status: 'Failed', ResponseCode: 2, Output: 'cc -c main.c\nline 2\nline 3\nline 4\nline 5\nmain.c:3: error: expected ;\nmake: *** [all] Error 2\n' },
            { Name: 'start', Status: 'Cancelled' },
          ],
        },
      ],
    });
    const code = await runFleet(['run', file, '--targets', 'tag:service=omneuro', '--max-concurrency', '10%', '--max-errors', '1'], deps());
    expect(err).toBe('');
    expect(code).toBe(1);
    const sent = ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({ DocumentName: 'stepgate-fleet', DocumentVersion: '1', Targets: [{ Key: 'tag:service', Values: ['omneuro'] }], MaxConcurrency: '10%', MaxErrors: '1' });
    expect(out).toContain('1 of 2 instances failed (command Failed):');
    expect(out).toContain('  i-0aaaaaaaaaaaaaaa2: Failed at step build\n');
    expect(out).toContain('    | main.c:3: error: expected ;\n    | make: *** [all] Error 2\n');
    expect(out).not.toContain('cc -c main.c');
    const events = readRollout(/rollout (\S+):/.exec(out)?.[1] ?? '', { STEPGATE_STATE_DIR: dir }) ?? [];
    expect(events.map((e) => e.type)).toEqual(['rollout-started', 'command-sent', 'instance-changed', 'instance-changed', 'rollout-finished']);
    expect(events.at(-1)).toMatchObject({ ok: false, failed: [{ instanceId: 'i-0aaaaaaaaaaaaaaa2', step: 'build' }] });
  });

  it('retries a throttled call and goes on', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'fleet.md');
    writeFileSync(file, RUNBOOK);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '3' } });
    ssmMock.on(SendCommandCommand).rejectsOnce(throttled).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).rejectsOnce(throttled).resolves({ Commands: [command('Success', { ErrorCount: 0 })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'start', Status: 'Success' }] }] });
    const code = await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], deps());
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(2);
    expect(out).toContain('every instance succeeded (1)');
  }, 20_000);

  it('cancels a rollout by its id and journals who asked', async () => {
    const { writeFileSync } = await import('node:fs');
    const file = join(dir, 'fleet.md');
    writeFileSync(file, RUNBOOK);
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('InProgress')] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'InProgress', CommandPlugins: [{ Name: 'build', Status: 'InProgress' }] }] });
    expect(await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--no-wait'], deps())).toBe(1);
    expect(out).toContain('is still running (command InProgress): stepgate fleet status');
    const id = /rollout (\S+):/.exec(out)?.[1] ?? '';
    ssmMock.on(CancelCommandCommand).resolves({});
    expect(await runFleet(['cancel', id], deps())).toBe(1);
    expect(ssmMock.commandCalls(CancelCommandCommand)[0]?.args[0].input).toEqual({ CommandId: 'c0ffee00-0000-4000-8000-000000000001' });
    expect(readRollout(id, { STEPGATE_STATE_DIR: dir })?.map((e) => e.type)).toContain('cancel-requested');
  });
});
