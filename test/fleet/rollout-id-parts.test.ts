/**
 * `fleet status` and `fleet cancel` name a rollout by part of its id, as session commands name
 * a session (`session-id-match.ts`): its end, or its start with or without `fleet-`. A part
 * that names several rollouts is refused with them listed, and nothing is cancelled. The SDK
 * boundary is mocked (aws-sdk-client-mock), fleet above it is real; usage errors go to stderr.
 */
import { join } from 'node:path';
import { CancelCommandCommand, CreateDocumentCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { runFleet } from '../../src/commands/fleet.js';
import { COMMAND_ID, command, useFleetHarness } from './sdk-mock-harness.js';

const h = useFleetHarness('stepgate-fleet-id-parts-');
const { ssmMock } = h;

beforeEach(() => {
  ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
  ssmMock.on(SendCommandCommand).resolves({ Command: command('Pending') });
  ssmMock.on(ListCommandsCommand).resolves({ Commands: [command('InProgress')] });
  ssmMock.on(ListCommandInvocationsCommand).resolves({ CommandInvocations: [{ InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'InProgress', CommandPlugins: [{ Name: 'build', Status: 'InProgress' }] }] });
  ssmMock.on(CancelCommandCommand).resolves({});
});

/** A rollout left running (--no-wait); its id. */
async function rollout(): Promise<string> {
  h.out = '';
  expect(await runFleet(['run', h.runbook(), '--instance-ids', 'i-0aaaaaaaaaaaaaaa1', '--no-wait'], h.deps())).toBe(1);
  return h.rolloutId();
}

/** fleet with `args`: its exit code, and what it wrote to stdout and to stderr (usage errors included). */
async function fleet(args: string[]): Promise<{ code: number; out: string; err: string }> {
  h.out = '';
  h.err = '';
  const writes: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    const code = await runFleet(args, h.deps());
    return { code, out: h.out, err: h.err + writes.join('') };
  } finally {
    spy.mockRestore();
  }
}

/** The shortest end of `id` (4 characters or more) that no other of `ids` ends with. */
function uniqueEnd(id: string, ids: readonly string[]): string {
  for (let n = 4; n <= id.length; n++) if (ids.filter((other) => other.endsWith(id.slice(-n))).length === 1) return id.slice(-n);
  return id;
}

describe('a rollout named by part of its id', () => {
  it('fleet status takes the end of the id, or its start with or without fleet-', async () => {
    const id = await rollout();
    const day = id.slice('fleet-'.length, 'fleet-'.length + 13);
    for (const part of [id.slice(-6), id.slice(-4), day, `fleet-${day}`, `fleet-${id.slice(-6)}`]) {
      const status = await fleet(['status', part, '--no-wait']);
      expect({ part, code: status.code, err: status.err }).toEqual({ part, code: 1, err: '' });
      expect(status.out).toContain(`rollout ${id} is still running`);
    }
  });

  it('fleet cancel cancels the one rollout the end of its id names, and journals it there only', async () => {
    const first = await rollout();
    const second = await rollout();
    const cancel = await fleet(['cancel', uniqueEnd(second, [first, second])]);
    expect(cancel.code).toBe(1);
    expect(cancel.out).toContain(`cancel sent for command ${COMMAND_ID}`);
    expect(ssmMock.commandCalls(CancelCommandCommand)).toHaveLength(1);
    expect(h.events(second).map((e) => e.type)).toContain('cancel-requested');
    expect(h.events(first).map((e) => e.type)).not.toContain('cancel-requested');
  });

  it('a part that names several rollouts is refused with them listed, newest first, and nothing is cancelled', async () => {
    const ids = [await rollout(), await rollout()];
    const day = ids[0]!.slice('fleet-'.length, 'fleet-'.length + 8);
    const cancel = await fleet(['cancel', day]);
    expect(cancel.code).toBe(2);
    expect(cancel.err).toContain(`stepgate: ${day} names 2 rollouts: ${[...ids].sort().reverse().join(', ')}; give more of the id\n`);
    expect(ssmMock.commandCalls(CancelCommandCommand)).toHaveLength(0);
    for (const id of ids) expect(h.events(id).map((e) => e.type)).not.toContain('cancel-requested');
  });

  it('a part too short, or naming no rollout, is refused with where the rollouts are', async () => {
    await rollout();
    const dir = join(h.dir, 'rollouts');
    expect(await fleet(['status', 'a1b'])).toMatchObject({ code: 2, err: expect.stringContaining(`stepgate: a1b is not a rollout id (like fleet-20250101-120000-a1b2c3, or its last 4 to 6 characters; ls ${dir} lists them)\n`) });
    // Every id here ends with 0 and three random digits (T0 falls on a whole second).
    expect(await fleet(['status', '7777'])).toMatchObject({ code: 2, err: expect.stringContaining(`stepgate: no rollout in ${dir} has an id starting or ending with 7777 (ls ${dir} lists them)\n`) });
  });
});
