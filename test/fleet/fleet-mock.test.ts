/**
 * What moto cannot answer, at the SDK boundary (aws-sdk-client-mock replaces SSMClient's
 * send; everything of stepgate's above it is real): tag targets, ListCommandInvocations with
 * a failed instance's step and output, throttling with retry, cancel.
 */
import { CancelCommandCommand, CreateDocumentCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../src/commands/fleet.js';
import { awsError, COMMAND_ID, command, useFleetHarness } from './sdk-mock-harness.js';

const h = useFleetHarness('stepgate-fleet-mock-');
const { ssmMock } = h;

const RUNBOOK = `---\nuser: ubuntu\n---\n# Fleet\n\n## Steps\n\nBuild it.\n\n\`\`\`bash {name=build}\nmake\n\`\`\`\n\nStart it.\n\n\`\`\`bash {name=start}\nmake start\n\`\`\`\n`;
/** Two instances targeted, both done, one failed. */
const twoDone = { TargetCount: 2, CompletedCount: 2, ErrorCount: 1 };

describe('fleet run at the SDK boundary', () => {
  it('targets by tag, reports the failed instance with its failing step and output tail, exits 1', async () => {
    const file = h.runbook(RUNBOOK);
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending', twoDone) });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('Failed', twoDone)] });
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
    const code = await runFleet(['run', file, '--targets', 'tag:service=omneuro', '--max-concurrency', '10%', '--max-errors', '1'], h.deps());
    expect(h.err).toBe('');
    expect(code).toBe(1);
    const sent = ssmMock.commandCalls(SendCommandCommand)[0]?.args[0].input;
    expect(sent).toMatchObject({ DocumentName: 'stepgate-fleet', DocumentVersion: '1', Targets: [{ Key: 'tag:service', Values: ['omneuro'] }], MaxConcurrency: '10%', MaxErrors: '1' });
    expect(h.out).toContain('1 of 2 instances failed (command Failed):');
    expect(h.out).toContain('  i-0aaaaaaaaaaaaaaa2: Failed at step build\n');
    expect(h.out).toContain('    | main.c:3: error: expected ;\n    | make: *** [all] Error 2\n');
    expect(h.out).not.toContain('cc -c main.c');
    const events = h.events();
    expect(events.map((e) => e.type)).toEqual(['rollout-started', 'command-sent', 'instance-changed', 'instance-changed', 'rollout-finished']);
    expect(events.at(-1)).toMatchObject({ ok: false, failed: [{ instanceId: 'i-0aaaaaaaaaaaaaaa2', step: 'build' }] });
  });

  it('retries a throttled call and goes on', async () => {
    const file = h.runbook(RUNBOOK);
    const throttled = awsError('ThrottlingException', 'Rate exceeded');
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '3' } });
    ssmMock.on(SendCommandCommand).rejectsOnce(throttled).resolves({ Command: command('Pending', twoDone) });
    ssmMock.on(ListCommandsCommand).rejectsOnce(throttled).resolves({ Commands: [command('Success', { ...twoDone, ErrorCount: 0 })] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'start', Status: 'Success' }] }] });
    const code = await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], h.deps());
    expect(h.err).toBe('');
    expect(code).toBe(0);
    expect(ssmMock.commandCalls(SendCommandCommand)).toHaveLength(2);
    expect(h.out).toContain('every instance succeeded (1)');
  }, 20_000);

  it('cancels a rollout by its id and journals who asked', async () => {
    const file = h.runbook(RUNBOOK);
    ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
    ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending', twoDone) });
    ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('InProgress', twoDone)] });
    ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'InProgress', CommandPlugins: [{ Name: 'build', Status: 'InProgress' }] }] });
    expect(await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--no-wait'], h.deps())).toBe(1);
    expect(h.out).toContain('is still running (command InProgress): stepgate fleet status');
    const id = h.rolloutId();
    ssmMock.on(CancelCommandCommand).resolves({});
    expect(await runFleet(['cancel', id], h.deps())).toBe(1);
    expect(ssmMock.commandCalls(CancelCommandCommand)[0]?.args[0].input).toEqual({ CommandId: COMMAND_ID });
    expect(h.events(id).map((e) => e.type)).toContain('cancel-requested');
  });
});
