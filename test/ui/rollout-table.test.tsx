/**
 * `fleet run` on a terminal: the live table renders the rollout store (a fake poller state
 * here), and the real poller in commands/fleet.ts feeds that store poll by poll (the SDK
 * replaced at its boundary with aws-sdk-client-mock, as in test/fleet).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandInvocation, CreateDocumentCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { runFleet } from '../../src/commands/fleet.js';
import { createSsmClient } from '../../src/exec/ssm-client.js';
import { createRolloutStore } from '../../src/fleet/rollout-store.js';
import { RolloutTable } from '../../src/ui/fleet/rollout-table.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
afterEach(() => cleanup());

async function waitFor(frame: () => string | undefined, text: string): Promise<string> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const f = frame() ?? '';
    if (f.includes(text)) return f;
    if (Date.now() > deadline) throw new Error(`no frame with ${JSON.stringify(text)}; last:\n${f}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('rollout table', () => {
  it('shows each instance with step reached, status and duration, redrawn as the store changes', async () => {
    const store = createRolloutStore('fleet-20260102-030405-abcdef');
    const ink = render(<RolloutTable store={store} color={false} />);
    await waitFor(ink.lastFrame, 'waiting for the first instance to report');
    store.setState({
      commandStatus: 'InProgress',
      rows: [
        { instanceId: 'i-0bbbbbbbbbbbbbbb2', status: 'Pending' },
        { instanceId: 'i-0aaaaaaaaaaaaaaa1', step: 'restart_gateway', status: 'InProgress', durationMs: 75_000 },
      ],
    });
    let frame = await waitFor(ink.lastFrame, 'InProgress, 0/2 instances done (watching)');
    expect(frame.split('\n')).toEqual([
      'rollout fleet-20260102-030405-abcdef: command InProgress, 0/2 instances done (watching)',
      '    INSTANCE             STEP                       STATUS           TIME',
      '[>] i-0aaaaaaaaaaaaaaa1  restart_gateway            InProgress       1m15s',
      '[ ] i-0bbbbbbbbbbbbbbb2  -                          Pending          -',
    ]);
    store.setState({
      commandStatus: 'Failed',
      done: true,
      rows: [
        { instanceId: 'i-0aaaaaaaaaaaaaaa1', step: 'verify_health_checks_after_deploy', status: 'Success', durationMs: 130_000 },
        { instanceId: 'i-0bbbbbbbbbbbbbbb2', step: 'pull', status: 'Failed', durationMs: 4_000, tail: 'fatal: not a git repository' },
      ],
    });
    frame = await waitFor(ink.lastFrame, 'command Failed, 2/2 instances done, 1 failed');
    expect(frame).not.toContain('(watching)');
    expect(frame).toContain('[x] i-0aaaaaaaaaaaaaaa1  verify_health_checks_afte~ Success          2m10s');
    expect(frame).toContain('[!] i-0bbbbbbbbbbbbbbb2  pull                       Failed           4s');
  });

  it('is fed by the fleet poller: each poll reaches the table, and lines are not printed under it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-rollout-table-'));
    const ssmMock = mockClient(SSMClient);
    try {
      const file = join(dir, 'fleet.md');
      writeFileSync(file, '---\nuser: ubuntu\n---\n# Fleet\n\n## Steps\n\n```bash {name=build}\nmake\n```\n\n```bash {name=start}\nmake start\n```\n');
      const commandId = 'c0ffee00-0000-4000-8000-000000000003';
      ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
      ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: commandId, Status: 'Pending' } });
      ssmMock
        .on(ListCommandsCommand)
        .resolvesOnce({ Commands: [{ CommandId: commandId, Status: 'InProgress', InstanceIds: [] }] })
        .resolves({ Commands: [{ CommandId: commandId, Status: 'Success', InstanceIds: [] }] });
      const running = { InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'InProgress', CommandPlugins: [{ Name: 'build', Status: 'Success' }, { Name: 'start', Status: 'InProgress' }] } satisfies CommandInvocation;
      const done = { InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', CommandPlugins: [{ Name: 'build', Status: 'Success' }, { Name: 'start', Status: 'Success' }] } satisfies CommandInvocation;
      ssmMock.on(ListCommandInvocationsCommand).resolvesOnce({ CommandInvocations: [running] }).resolves({ CommandInvocations: [done] });
      const frames: string[] = [];
      let ink: ReturnType<typeof render> | undefined;
      let out = '';
      const code = await runFleet(['run', file, '--instance-ids', 'i-0aaaaaaaaaaaaaaa1'], {
        ssm: () => createSsmClient({ client: new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }) }),
        out: (t) => (out += t),
        err: (t) => (out += t),
        now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
        // Between polls: what the table shows then.
        sleep: async () => {
          frames.push(await waitFor(() => ink?.lastFrame(), 'i-0aaaaaaaaaaaaaaa1'));
        },
        env: { STEPGATE_STATE_DIR: dir, USER: 'ops' },
        liveTable: async (store) => {
          ink = render(<RolloutTable store={store} color={false} />);
          return {
            close: async () => {
              frames.push(await waitFor(() => ink?.lastFrame(), '1/1 instance done'));
            },
          };
        },
      });
      expect(code).toBe(0);
      expect(frames[0]).toMatch(/\[>\] i-0aaaaaaaaaaaaaaa1 +start +InProgress/);
      expect(frames.at(-1)).toMatch(/command Success, 1\/1 instance done\n/);
      expect(frames.at(-1)).toMatch(/\[x\] i-0aaaaaaaaaaaaaaa1 +start +Success/);
      // The table carries the rows: no per-change lines and no second table in the output.
      expect(out).not.toMatch(/i-0aaaaaaaaaaaaaaa1 {2}(InProgress|Success)/);
      expect(out).not.toContain('INSTANCE');
      expect(out).toContain('ctrl-c stops watching, not the rollout');
      expect(out).toContain('every instance succeeded (1)');
    } finally {
      ssmMock.restore();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
