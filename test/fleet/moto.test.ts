/**
 * `stepgate fleet` with the real AWS SDK against a local moto_server (started here on a free
 * port; the SDK finds it through AWS_ENDPOINT_URL_SSM, as it would any endpoint). Moto runs
 * no agent: every command it accepts succeeds at once, so these tests cover the calls and the
 * rollout's bookkeeping; what moto lacks (ListCommandInvocations, CancelCommand) is in
 * fleet-mock.test.ts. Where moto_server is missing the tests say so and skip; CI fails then.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { freePort } from '../helpers/free-port.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SSMClient } from '@aws-sdk/client-ssm';
import { createSsmClient } from '../../src/exec/ssm-client.js';
import { describeAwsError } from '../../src/commands/fleet.js';
import { Workspace } from '../e2e/plain-harness.js';
import { startTui } from '../e2e/tui-harness.js';

const motoPath = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).stdout.trim();
if (!motoPath) console.log('fleet moto tests skipped: moto_server is not on PATH (pip install "moto[server]"); .ci/run fails without it');

let moto: ChildProcess | undefined;
let port = 0;
let ws: Workspace;


async function until(ok: () => Promise<boolean>, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function awsEnv(): Record<string, string> {
  return { AWS_ENDPOINT_URL_SSM: `http://127.0.0.1:${port}`, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_REGION: 'us-east-1', AWS_EC2_METADATA_DISABLED: 'true' };
}

const RUNBOOK = (greeting: string): string => `---
title: Fleet redeploy
user: ubuntu
vars:
  PORT: { prompt: Port, default: "8080" }
---
# Fleet redeploy

## Steps

Say hello.

\`\`\`bash {name=hello timeout=1m}
echo ${greeting}
\`\`\`

\`\`\`check {name=healthz}
http: http://127.0.0.1:\${PORT}/healthz
retries: 2
backoff: 1s
\`\`\`
`;

describe.skipIf(!motoPath)('fleet against moto_server', () => {
  beforeAll(async () => {
    port = await freePort();
    moto = spawn(motoPath, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await until(
      () =>
        new Promise((resolve) => {
          const socket = connect(port, '127.0.0.1');
          socket.on('connect', () => (socket.destroy(), resolve(true)));
          socket.on('error', () => resolve(false));
        }),
      'moto_server to listen',
    );
    ws = new Workspace();
  }, 60_000);

  afterAll(() => {
    if (moto?.pid !== undefined) moto.kill('SIGTERM');
    ws?.remove();
  });

  it('creates the document, sends it to instance ids with rate control, watches, journals; log reads the rollout', { timeout: 60_000 }, async () => {
    const file = ws.write('redeploy.md', RUNBOOK('hello'));
    const r = await ws.run(['fleet', 'run', file, '--instance-ids', 'i-0123456789abcdef0,i-0123456789abcdef1', '--max-concurrency', '1', '--max-errors', '0', '--poll', '200ms'], awsEnv());
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rollout (fleet-\d{8}-\d{6}-[0-9a-f]{6}): .*redeploy\.md as stepgate-redeploy version 1 \(created\)$/m);
    expect(r.stdout).toMatch(/command [0-9a-f-]{36} sent to i-0123456789abcdef0, i-0123456789abcdef1 \(max concurrency 1, max errors 0\)/);
    expect(r.stdout).toContain('every instance succeeded (2)');
    const id = /^rollout (\S+):/m.exec(r.stdout)?.[1] ?? '';
    const log = await ws.run(['log', id], awsEnv());
    expect(log.code).toBe(0);
    expect(log.stdout).toMatch(/rollout fleet-.* as stepgate-redeploy v1 to instances i-0123456789abcdef0,i-0123456789abcdef1, max concurrency 1, max errors 0/);
    expect(log.stdout).toContain('i-0123456789abcdef1  Success');
    expect(log.stdout).toContain('finished: Success, every instance succeeded');
    expect(log.stderr).toBe('');
    const report = await ws.run(['report', id], awsEnv());
    expect(report.code).toBe(0);
    expect(report.stderr).toBe('');
    expect(report.stdout).toContain('- Outcome: **every instance succeeded** (command Success)');
    expect(report.stdout).toMatch(/\| `i-0123456789abcdef1` \| `[^`]+` \| Success \| \d+m?\d+s \|/);

    const status = await ws.run(['fleet', 'status', id], awsEnv());
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/i-0123456789abcdef0\s+\S+\s+Success/);
  });

  it('on a terminal: the live table per instance, left on screen when every instance is done', { timeout: 60_000 }, async () => {
    const file = ws.write('pty.md', RUNBOOK('pty'));
    const tui = startTui(['fleet', 'run', file, '--instance-ids', 'i-0123456789abcdef0,i-0123456789abcdef1', '--poll', '200ms'], ws.dir, ws.state, { env: awsEnv() });
    const screen = await tui.waitFor('every instance succeeded (2)', 45_000);
    expect(await tui.exited).toBe(0);
    expect(screen).toMatch(/^rollout fleet-\S+: command Success, 2\/2 instances done$/m);
    expect(screen).toMatch(/^ {4}INSTANCE {13}STEP {23}STATUS {11}TIME$/m);
    expect(screen).toMatch(/^\[x\] i-0123456789abcdef0 +\S+ +Success +\d+m?\d+s$/m);
    expect(screen).toMatch(/^\[x\] i-0123456789abcdef1 +\S+ +Success +\d+m?\d+s$/m);
    // The table replaces the per-change lines of a pipe.
    expect(screen).not.toMatch(/^i-0123456789abcdef0 {2}Success/m);
  });

  it('keeps the version for the same runbook and makes a new one when it changes', { timeout: 60_000 }, async () => {
    const file = ws.write('versions.md', RUNBOOK('one'));
    const args = ['fleet', 'run', file, '--instance-ids', 'i-0123456789abcdef0', '--poll', '200ms'];
    expect((await ws.run(args, awsEnv())).stdout).toContain('as stepgate-versions version 1 (created)');
    expect((await ws.run(args, awsEnv())).stdout).toContain('as stepgate-versions version 1 (unchanged)');
    ws.write('versions.md', RUNBOOK('two'));
    expect((await ws.run(args, awsEnv())).stdout).toContain('as stepgate-versions version 2 (updated)');
  });

  it('lists commands, and says plainly when SSM rejects a document or there are no credentials', { timeout: 60_000 }, async () => {
    const client = new SSMClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    const ssm = createSsmClient({ client });
    const error = await ssm.putDocument('stepgate-broken', '{"schemaVersion": "2.2", "mainSteps": ', 'JSON').catch((e: unknown) => e);
    expect(describeAwsError(error)).toMatch(/^SSM rejected the document \(InvalidDocumentContent: /);

    const file = ws.write('nocreds.md', RUNBOOK('hi'));
    const env = { ...awsEnv(), AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '', AWS_SHARED_CREDENTIALS_FILE: `${ws.dir}/none`, AWS_CONFIG_FILE: `${ws.dir}/none` };
    const r = await ws.run(['fleet', 'run', file, '--instance-ids', 'i-0123456789abcdef0'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^stepgate: fleet run: no usable AWS credentials/);
  });

  it('refuses before calling AWS what cannot be sent: an interactive step, a bad target', async () => {
    const file = ws.write('interactive.md', '# I\n\n## S\n\n```bash {name=edit interactive}\nvi x\n```\n');
    const r = await ws.run(['fleet', 'run', file, '--instance-ids', 'i-0123456789abcdef0'], awsEnv());
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/interactive\.md:5:1: step edit is interactive/);
    const bad = await ws.run(['fleet', 'run', file, '--instance-ids', 'web-1'], awsEnv());
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--instance-ids: web-1 is not an instance id');
  });
});
