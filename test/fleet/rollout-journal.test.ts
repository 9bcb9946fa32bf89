/**
 * A rollout is journaled like a session: each line chained (HMAC under the rollout's own key)
 * and schema-checked as read; `stepgate log ID` and `stepgate report ID` read a rollout id.
 * The rollout itself runs the real fleet command over the real SDK with SSMClient's send
 * replaced at the boundary (aws-sdk-client-mock), as in fleet-mock.test.ts; log and report are
 * the built CLI.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelCommandCommand, CreateDocumentCommand, ListCommandInvocationsCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runFleet, type FleetDeps } from '../../src/commands/fleet.js';
import { createSsmClient } from '../../src/exec/ssm-client.js';
import { readRolloutJournal, rolloutPath } from '../../src/session/rollout-journal.js';
import { CLI } from '../helpers/paths.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const ssmMock = mockClient(SSMClient);
let dir: string;
let out: string;

const RUNBOOK = `---\nuser: ubuntu\n---\n# Fleet\n\n## Steps\n\n\`\`\`bash {name=build}\nmake\n\`\`\`\n\n\`\`\`bash {name=start}\nmake start\n\`\`\`\n`;
const COMMAND_ID = 'c0ffee00-0000-4000-8000-000000000002';
/** Another rollout's command: what a forged journal names. */
const OTHER_COMMAND = 'badc0de0-0000-4000-8000-000000000009';

function deps(): FleetDeps {
  let clock = Date.UTC(2026, 0, 2, 3, 4, 5);
  return {
    ssm: () => createSsmClient({ client: new SSMClient({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }) }),
    out: (t) => (out += t),
    err: (t) => (out += t),
    now: () => (clock += 1000),
    sleep: () => Promise.resolve(),
    env: { STEPGATE_STATE_DIR: dir, USER: 'ops' },
  };
}

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...process.env, STEPGATE_STATE_DIR: dir, NO_COLOR: '1', CI: 'true' }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A rollout to two instances, one of which fails at build; returns its id. */
async function failedRollout(): Promise<string> {
  const file = join(dir, 'fleet.md');
  writeFileSync(file, RUNBOOK);
  ssmMock.on(CreateDocumentCommand).resolves({ DocumentDescription: { DocumentVersion: '1' } });
  ssmMock.on(SendCommandCommand).resolves({ Command: { CommandId: COMMAND_ID, Status: 'Pending' } });
  ssmMock.on(ListCommandsCommand).resolves({ Commands: [{ CommandId: COMMAND_ID, Status: 'Failed', InstanceIds: [] }] });
  ssmMock.on(ListCommandInvocationsCommand).resolves({
    CommandInvocations: [
      { InstanceId: 'i-0aaaaaaaaaaaaaaa1', Status: 'Success', RequestedDateTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 0)), CommandPlugins: [{ Name: 'build', Status: 'Success' }, { Name: 'start', Status: 'Success', ResponseStartDateTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 0)), ResponseFinishDateTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 42)) }] },
      { InstanceId: 'i-0aaaaaaaaaaaaaaa2', Status: 'Failed', CommandPlugins: [{ Name: 'build', Status: 'Failed', ResponseCode: 2, Output: 'cc -c main.c\nmain.c:3: error: expected ;\nmake: *** [all] Error 2\n' }, { Name: 'start', Status: 'Cancelled' }] },
    ],
  });
  expect(await runFleet(['run', file, '--targets', 'tag:service=omneuro', '--max-errors', '1'], deps())).toBe(1);
  return /rollout (\S+):/.exec(out)?.[1] ?? '';
}

beforeEach(() => {
  ssmMock.reset();
  dir = mkdtempSync(join(tmpdir(), 'stepgate-rollout-journal-'));
  out = '';
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('rollout journal', () => {
  it('chains every line under a private key and reads back intact', async () => {
    const id = await failedRollout();
    const path = rolloutPath(id, { STEPGATE_STATE_DIR: dir });
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(5);
    for (const line of lines) expect(line).toMatch(/^\{"mac":"[0-9a-f]{64}","type":"/);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(path.replace(/\.jsonl$/, '.key')).mode & 0o777).toBe(0o600);
    const read = readRolloutJournal(id, { STEPGATE_STATE_DIR: dir });
    expect(read?.chain).toEqual({ kind: 'intact' });
    expect(read?.bad).toEqual([]);
    expect(read?.events.map((e) => e.type)).toEqual(['rollout-started', 'command-sent', 'instance-changed', 'instance-changed', 'rollout-finished']);
  });

  it('stepgate report ID: per-instance rows, and the failed instance with its step and output tail', { timeout: 60_000 }, async () => {
    const id = await failedRollout();
    const r = cli(['report', id]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`# Fleet rollout ${id}`);
    expect(r.stdout).toContain('- Targets: instances tagged `service=omneuro`; max concurrency 1, max errors 1');
    expect(r.stdout).toContain('- Outcome: **1 instance failed** (command Failed)');
    expect(r.stdout).toContain('| Instance | Step reached | Status | Duration |');
    expect(r.stdout).toContain('| `i-0aaaaaaaaaaaaaaa1` | `start` | Success | 42s |');
    expect(r.stdout).toContain('| `i-0aaaaaaaaaaaaaaa2` | `build` | Failed | - |');
    expect(r.stdout).toContain('### i-0aaaaaaaaaaaaaaa2: Failed at `build`\n\n```\ncc -c main.c\nmain.c:3: error: expected ;\nmake: *** [all] Error 2\n```');
    expect(r.stdout).not.toContain('Warning');
  });

  it('log and report say which line of an edited rollout journal does not verify, and skip a line that is not an event', { timeout: 60_000 }, async () => {
    const id = await failedRollout();
    const path = rolloutPath(id, { STEPGATE_STATE_DIR: dir });
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    // The failed instance made to look like a success, as a hand edit would.
    const edited = lines.map((l) => (l.includes('i-0aaaaaaaaaaaaaaa2') && l.includes('instance-changed') ? l.replace('"status":"Failed"', '"status":"Success"') : l));
    expect(edited).not.toEqual(lines);
    const editedAt = edited.findIndex((l, i) => l !== lines[i]) + 1;
    writeFileSync(path, `${edited.join('\n')}\n{"type":"instance-changed","at":1}\n`);
    const log = cli(['log', id]);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain(`rollout ${id}`);
    expect(log.stderr).toContain(`${path}:${editedAt}: does not verify (edited, or lines before it removed or reordered)`);
    expect(log.stderr).toContain(`${path}:6: not a rollout event (instance-changed: row is missing); skipped`);
    expect(log.stderr).toContain(`the journal of rollout ${id} was changed after stepgate wrote it`);
    const report = cli(['report', id]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(new RegExp(`^> \\*\\*Warning: this rollout's journal was changed after stepgate wrote it \\(lines ${editedAt}, 6 do not verify\\)`));
  });

  it('a line appended by another process (fleet cancel) chains from what the file holds', async () => {
    const id = await failedRollout();
    ssmMock.on((await import('@aws-sdk/client-ssm')).CancelCommandCommand).resolves({});
    await runFleet(['cancel', id], deps());
    const read = readRolloutJournal(id, { STEPGATE_STATE_DIR: dir });
    expect(read?.chain).toEqual({ kind: 'intact' });
    expect(read?.events.map((e) => e.type)).toContain('cancel-requested');
  });

  it('fleet cancel refuses a journal stripped of its key and macs that names another command, and sends no cancel; --accept-edited-journal cancels it, recorded', async () => {
    const id = await failedRollout();
    const path = rolloutPath(id, { STEPGATE_STATE_DIR: dir });
    const key = path.replace(/\.jsonl$/, '.key');
    // Someone else's command in this rollout's journal, its chain switched off.
    writeFileSync(path, readFileSync(path, 'utf8').split(COMMAND_ID).join(OTHER_COMMAND).replace(/^\{"mac":"[0-9a-f]{64}",/gm, '{'));
    rmSync(key);
    const forged = readFileSync(path, 'utf8');
    ssmMock.on(CancelCommandCommand).resolves({});
    out = '';
    expect(await runFleet(['cancel', id], deps())).toBe(2);
    expect(ssmMock.commandCalls(CancelCommandCommand)).toHaveLength(0);
    expect(out).toContain(`stepgate: ${path}:1: has no hash chain: no rollout key (${key}) and no line with a mac`);
    expect(out).toContain(`so the command it names (command ${OTHER_COMMAND}) may not be this rollout's; fleet cancel refuses to cancel it`);
    expect(out).not.toContain('cancel sent');
    expect(readFileSync(path, 'utf8')).toBe(forged);

    out = '';
    await runFleet(['cancel', id, '--accept-edited-journal'], deps());
    expect(out).toContain('stepgate: --accept-edited-journal: fleet cancel goes on from a rollout journal with 1 line that do not verify (recorded)');
    expect(ssmMock.commandCalls(CancelCommandCommand).map((c) => c.args[0].input.CommandId)).toEqual([OTHER_COMMAND]);
    const events = readRolloutJournal(id, { STEPGATE_STATE_DIR: dir })?.events ?? [];
    const types = events.map((e) => e.type);
    expect(types.indexOf('edits-accepted')).toBeGreaterThan(0);
    expect(types.indexOf('cancel-requested')).toBe(types.indexOf('edits-accepted') + 1);
    expect(events.find((e) => e.type === 'edits-accepted')).toMatchObject({ command: 'cancel', who: { user: 'ops' }, edits: [{ line: 1 }] });
    expect(existsSync(key)).toBe(false);
  });

  it('fleet cancel refuses a journal whose command id was edited under its mac, naming the line', async () => {
    const id = await failedRollout();
    const path = rolloutPath(id, { STEPGATE_STATE_DIR: dir });
    const lines = readFileSync(path, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"type":"command-sent"'));
    lines[at] = (lines[at] ?? '').replace(COMMAND_ID, OTHER_COMMAND);
    writeFileSync(path, lines.join('\n'));
    ssmMock.on(CancelCommandCommand).resolves({});
    out = '';
    expect(await runFleet(['cancel', id], deps())).toBe(2);
    expect(ssmMock.commandCalls(CancelCommandCommand)).toHaveLength(0);
    expect(out).toContain(`stepgate: ${path}:${at + 1}: does not verify (edited, or lines before it removed or reordered)`);
    expect(out).toContain(`(command ${OTHER_COMMAND})`);
  });

  it('an append after a write cut short (a torn last line) cuts it off and says so: the chain holds and fleet status still reads the journal', async () => {
    const id = await failedRollout();
    const path = rolloutPath(id, { STEPGATE_STATE_DIR: dir });
    const intact = readFileSync(path, 'utf8');
    const torn = '{"mac":"0123","type":"instance-ch';
    writeFileSync(path, intact + torn);
    ssmMock.on(CancelCommandCommand).resolves({});
    await runFleet(['cancel', id], deps());
    const read = readRolloutJournal(id, { STEPGATE_STATE_DIR: dir });
    expect(read?.bad).toEqual([]);
    expect(read?.chain).toEqual({ kind: 'intact' });
    const text = readFileSync(path, 'utf8');
    expect(text.startsWith(intact)).toBe(true);
    expect(text).not.toContain(torn);
    // Said where fleet status, log and report say errors; the cancel follows it.
    expect(read?.events.slice(-2).map((e) => (e.type === 'rollout-error' ? e.message : e.type))).toEqual([
      `a write cut short (a crash, a full disk) left line 6 without its end (${torn.length} bytes); cut off before the next event`,
      'cancel-requested',
    ]);
    out = '';
    expect(await runFleet(['status', id, '--no-wait'], deps())).toBe(1);
    expect(out).not.toContain('refuses');
  });

  it('an append after a last line that lost only its newline keeps the line and adds the newline', async () => {
    const id = await failedRollout();
    const path = rolloutPath(id, { STEPGATE_STATE_DIR: dir });
    writeFileSync(path, readFileSync(path, 'utf8').replace(/\n$/, ''));
    ssmMock.on(CancelCommandCommand).resolves({});
    await runFleet(['cancel', id], deps());
    const read = readRolloutJournal(id, { STEPGATE_STATE_DIR: dir });
    expect(read?.bad).toEqual([]);
    expect(read?.chain).toEqual({ kind: 'intact' });
    expect(read?.events.map((e) => e.type)).toContain('rollout-finished');
    expect(read?.events.map((e) => e.type)).toContain('cancel-requested');
  });
});
