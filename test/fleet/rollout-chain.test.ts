/**
 * `fleet status`, `log` and `report` hold a rollout journal to its hash chain as `resume` holds a
 * session's: status watches the command id the journal names, so a forged one (another
 * rollout's) had it journal someone else's result as this rollout's. The built CLI against a
 * local moto_server, on journals edited on disk; `fleet cancel` (which moto lacks) is in
 * rollout-journal.test.ts.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { Workspace } from '../e2e/plain-harness.js';

const motoPath = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).stdout.trim();
if (!motoPath) console.log('rollout chain tests skipped: moto_server is not on PATH (pip install "moto[server]"); .ci/run fails without it');

let moto: ChildProcess | undefined;
let port = 0;
let ws: Workspace;

function awsEnv(): Record<string, string> {
  return { AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
}

const RUNBOOK = `---\nuser: ubuntu\n---\n# Chain\n\n## Steps\n\n\`\`\`bash {name=hello}\necho hello\n\`\`\`\n`;
const MINE = 'i-0aaaaaaaaaaaaaaa1';
const THEIRS = 'i-0bbbbbbbbbbbbbbb2';

/** A finished rollout to `instance`: its id, command id and journal path. */
async function rollout(instance: string): Promise<{ id: string; commandId: string; path: string; key: string }> {
  const file = ws.write(`chain-${instance}.md`, RUNBOOK);
  const r = await ws.run(['fleet', 'run', file, '--instance-ids', instance, '--poll', '200ms'], awsEnv());
  expect(r.code, r.stderr).toBe(0);
  const id = /^rollout (fleet-\S+):/m.exec(r.stdout)?.[1] ?? '';
  const commandId = /^command (\S+) sent/m.exec(r.stdout)?.[1] ?? '';
  expect(id).not.toBe('');
  const path = join(ws.state, 'rollouts', `${id}.jsonl`);
  return { id, commandId, path, key: path.replace(/\.jsonl$/, '.key') };
}

/** The journal's lines without their macs: what a journal looks like with its chain removed. */
function stripMacs(path: string): void {
  writeFileSync(path, readFileSync(path, 'utf8').replace(/^\{"mac":"[0-9a-f]{64}",/gm, '{'));
}

describe.skipIf(!motoPath)('rollout journals are held to their chain', () => {
  beforeAll(async () => {
    port = await freePort();
    moto = spawn(motoPath, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const socket = connect(port, '127.0.0.1');
        socket.on('connect', () => (socket.destroy(), resolve(true)));
        socket.on('error', () => resolve(false));
      });
      if (up) break;
      if (Date.now() > deadline) throw new Error('moto_server did not listen');
      await new Promise((r) => setTimeout(r, 100));
    }
    ws = new Workspace();
  }, 60_000);

  afterAll(() => {
    if (moto?.pid !== undefined) moto.kill('SIGTERM');
    ws?.remove();
  });

  it('fleet status refuses a journal stripped of its key and macs that names another rollout\'s command; --accept-edited-journal watches it, recorded, and asks again next time', { timeout: 90_000 }, async () => {
    const [mine, theirs] = await Promise.all([rollout(MINE), rollout(THEIRS)]);
    // The forgery: this rollout's command id swapped for theirs, the chain switched off.
    writeFileSync(mine.path, readFileSync(mine.path, 'utf8').split(mine.commandId).join(theirs.commandId));
    stripMacs(mine.path);
    rmSync(mine.key);
    const forged = readFileSync(mine.path, 'utf8');

    const refused = await ws.run(['fleet', 'status', mine.id, '--no-wait'], awsEnv());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`stepgate: ${mine.path}:1: has no hash chain: no rollout key (${mine.key}) and no line with a mac`);
    expect(refused.stderr).toContain(`the journal of rollout ${mine.id} was changed after stepgate wrote it, so the command it names (command ${theirs.commandId})`);
    expect(refused.stderr).toContain('fleet status refuses to watch');
    expect(refused.stderr).toContain('--accept-edited-journal');
    expect(refused.stdout).not.toContain(THEIRS);
    // Nothing of theirs journaled as this rollout's.
    expect(readFileSync(mine.path, 'utf8')).toBe(forged);

    const accepted = await ws.run(['fleet', 'status', mine.id, '--no-wait', '--accept-edited-journal'], awsEnv());
    expect(accepted.stderr).toContain('stepgate: --accept-edited-journal: fleet status goes on from a rollout journal with 1 line that do not verify (recorded)');
    expect(accepted.code).toBe(0);
    const events = readFileSync(mine.path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; command?: string; edits?: Array<{ line: number }> });
    expect(events.find((e) => e.type === 'edits-accepted')).toMatchObject({ command: 'status', edits: [{ line: 1 }] });
    // Still no key: a journal without its chain is accepted each time, never once for all.
    expect(existsSync(mine.key)).toBe(false);
    expect((await ws.run(['fleet', 'status', mine.id, '--no-wait'], awsEnv())).code).toBe(2);

    const log = await ws.run(['log', mine.id]);
    expect(log.stdout).toMatch(/fleet status by \S+ went on from an edited journal \(--accept-edited-journal\): line 1 did not verify/);
  });

  it('fleet status refuses a journal whose command id was edited, at that line; an acceptance settles that line as edited, not a later edit', { timeout: 90_000 }, async () => {
    const [mine, theirs] = await Promise.all([rollout(MINE), rollout(THEIRS)]);
    const lines = readFileSync(mine.path, 'utf8').split('\n');
    const at = lines.findIndex((l) => l.includes('"type":"command-sent"'));
    lines[at] = (lines[at] ?? '').replace(mine.commandId, theirs.commandId);
    writeFileSync(mine.path, lines.join('\n'));

    const refused = await ws.run(['fleet', 'status', mine.id, '--no-wait'], awsEnv());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`stepgate: ${mine.path}:${at + 1}: does not verify (edited, or lines before it removed or reordered)`);
    expect(refused.stderr).toContain(`(command ${theirs.commandId})`);
    expect(readFileSync(mine.path, 'utf8')).toBe(lines.join('\n'));

    const accepted = await ws.run(['fleet', 'status', mine.id, '--no-wait', '--accept-edited-journal'], awsEnv());
    expect(accepted.code, accepted.stderr).toBe(0);
    // The acceptance is chained and tied to the line's text: the next status goes on without the flag...
    const again = await ws.run(['fleet', 'status', mine.id, '--no-wait'], awsEnv());
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    // ...until that line is edited again.
    const now = readFileSync(mine.path, 'utf8').split('\n');
    now[at] = (now[at] ?? '').replace(theirs.commandId, '00000000-0000-4000-8000-000000000000');
    writeFileSync(mine.path, now.join('\n'));
    const edited = await ws.run(['fleet', 'status', mine.id, '--no-wait'], awsEnv());
    expect(edited.code).toBe(2);
    expect(edited.stderr).toContain(`${mine.path}:${at + 1}: does not verify`);
  });

  it('fleet status refuses a journal whose key alone was removed', { timeout: 60_000 }, async () => {
    const mine = await rollout(MINE);
    rmSync(mine.key);
    const r = await ws.run(['fleet', 'status', mine.id, '--no-wait'], awsEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`stepgate: ${mine.path}:1: cannot be verified: the rollout key ${mine.key} is missing`);
  });

  it('log and report of a journal stripped of its key and macs say it was changed, at line 1, not that it predates the chain', { timeout: 60_000 }, async () => {
    const mine = await rollout(MINE);
    stripMacs(mine.path);
    rmSync(mine.key);
    const log = await ws.run(['log', mine.id]);
    expect(log.code).toBe(0);
    expect(log.stdout).toContain(`rollout ${mine.id}`);
    expect(log.stderr).toContain(`stepgate: ${mine.path}:1: has no hash chain: no rollout key (${mine.key}) and no line with a mac`);
    expect(log.stderr).toContain(`warning: the journal of rollout ${mine.id} was changed after stepgate wrote it`);
    expect(log.stderr).not.toContain('is from before rollout journals were chained');
    const report = await ws.run(['report', mine.id]);
    expect(report.code).toBe(0);
    expect(report.stdout).toMatch(/^> \*\*Warning: this rollout's journal was changed after stepgate wrote it \(line 1 do not verify\)/);
    expect(report.stderr).toContain(`${mine.path}:1: has no hash chain`);
  });
});
