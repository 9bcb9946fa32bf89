/**
 * The Automation document's install step as far as moto_server takes it (moto runs no
 * Automation execution and no agent): SSM accepts the exported document as an Automation
 * document, JSON and YAML, and gives back the same document; the install step's and a step's
 * `aws:runCommand` inputs, with `{{ }}` resolved as Automation would, are sent as SendCommand
 * of AWS-RunShellScript; and the commands SSM stored for them run here as the agent runs
 * them: written to `_script.sh` in an orchestration directory and run with `sh`, as root,
 * with the agent's service environment (PATH only: no HOME), the step as a real throwaway
 * user in its cwd. What stays unverified is in docs/fleet.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { freePort } from '../helpers/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateDocumentCommand, GetDocumentCommand, ListCommandsCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serialize } from '../../src/commands/export.js';
import { exportAutomationDocument, formatProblem, type SsmDocument } from '../../src/fleet/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { createUser, removeUser } from '../helpers/test-users.js';
import { interpolate } from './agent-sim.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const motoPath = spawnSync('sh', ['-c', 'command -v moto_server'], { encoding: 'utf8' }).stdout.trim();
const root = process.getuid?.() === 0;
const skip = !motoPath ? 'moto_server is not on PATH (pip install "moto[server]"); .ci/run fails without it' : !root ? 'runs steps as a throwaway user: needs root' : undefined;
if (skip !== undefined) console.log(`automation install moto tests skipped: ${skip}`);

const INSTANCE = 'i-0123456789abcdef0';
let moto: ChildProcess | undefined;
let client: SSMClient;
let dir: string;
let user = '';


async function listening(port: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.on('connect', () => (socket.destroy(), resolve(true)));
      socket.on('error', () => resolve(false));
    });
    if (up) return;
    if (Date.now() > deadline) throw new Error('moto_server did not listen within 60 s');
    await new Promise((r) => setTimeout(r, 100));
  }
}

const RUNBOOK = (cwd: string, as: string, out: string): string => `---
title: Install on an agent
user: ${as}
cwd: ${cwd}
vars:
  GREETING: { prompt: Greeting, default: hello }
---
# Install on an agent

## Steps

Who runs it, where, with what.

\`\`\`bash {name=whoami}
printf '%s|%s|%s|%s\\n' "$(id -un)" "$PWD" "$HOME" "$GREETING" > ${out}
\`\`\`

\`\`\`check {name=left-a-trace}
run: test -s ${out}
\`\`\`
`;

function commandsOf(step: Record<string, unknown> | undefined): string[] {
  return ((step?.inputs as { Parameters?: { commands?: string[] } } | undefined)?.Parameters?.commands ?? []) as string[];
}

/** What aws:runCommand sends for `step`, with `{{ }}` resolved as Automation resolves the step's inputs. */
function sendOf(step: Record<string, unknown> | undefined, values: Record<string, string>): SendCommandCommand {
  const inputs = step?.inputs as { DocumentName: string; InstanceIds: string[]; Parameters: { commands: string[]; executionTimeout: string } };
  return new SendCommandCommand({
    DocumentName: inputs.DocumentName,
    InstanceIds: inputs.InstanceIds.map((i) => interpolate(i, values)),
    Parameters: { commands: inputs.Parameters.commands.map((c) => interpolate(c, values)), executionTimeout: [inputs.Parameters.executionTimeout] },
  });
}

/** The commands SSM stored for a command it accepted. */
async function storedCommands(commandId: string): Promise<string[]> {
  const listed = await client.send(new ListCommandsCommand({ CommandId: commandId }));
  return listed.Commands?.[0]?.Parameters?.commands ?? [];
}

/** AWS-RunShellScript on the agent: the lines in `_script.sh`, run with sh as root, the service's environment. */
function asAgent(lines: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const orchestration = mkdtempSync(join(dir, 'orchestration-'));
  const script = join(orchestration, '_script.sh');
  writeFileSync(script, `${lines.join('\n')}\n`, { mode: 0o700 });
  const child = spawn('sh', [script], { cwd: orchestration, env: { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe.skipIf(skip !== undefined)('the Automation install step, as far as moto_server goes', () => {
  let doc: SsmDocument;
  let out = '';
  let cwd = '';
  let installRoot = '';

  beforeAll(async () => {
    const port = await freePort();
    moto = spawn(motoPath, ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
    await listening(port);
    client = new SSMClient({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 });
    dir = mkdtempSync(join(tmpdir(), 'stepgate-auto-moto-'));
    // The step's user must reach its cwd below (mkdtemp makes the directory 0700).
    chmodSync(dir, 0o755);
    user = createUser('sgam');
    cwd = join(dir, 'app');
    mkdirSync(cwd);
    spawnSync('chown', [user, cwd]);
    out = join(cwd, 'who.txt');
    installRoot = join(dir, 'ssm');
    const runbook = parseRunbook(RUNBOOK(cwd, user, out), join(dir, 'install.md'));
    const exported = exportAutomationDocument(runbook, () => undefined, { installRoot });
    if (!exported.ok) throw new Error(exported.problems.map(formatProblem).join('\n'));
    doc = exported.document;
  }, 90_000);

  afterAll(() => {
    if (moto?.pid !== undefined) moto.kill('SIGTERM');
    if (user) removeUser(user);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('SSM takes the document as Automation, JSON and YAML, and gives back the same document', { timeout: 60_000 }, async () => {
    for (const format of ['json', 'yaml'] as const) {
      const name = `stepgate-install-${format}`;
      const created = await client.send(new CreateDocumentCommand({ Name: name, DocumentType: 'Automation', DocumentFormat: format === 'json' ? 'JSON' : 'YAML', Content: serialize(doc, format) }));
      expect(created.DocumentDescription?.Status).toBe('Active');
      expect(created.DocumentDescription?.DocumentType).toBe('Automation');
      expect(created.DocumentDescription?.Parameters?.map((p) => p.Name)).toEqual(['InstanceId', 'AutomationAssumeRole', 'GREETING']);
      const got = await client.send(new GetDocumentCommand({ Name: name, DocumentFormat: 'JSON' }));
      expect(JSON.parse(got.Content ?? '{}')).toEqual(doc);
    }
  });

  it('the install and a step, sent as aws:runCommand sends them and run as the agent runs them: installed once, the step as its user in its cwd', { timeout: 120_000 }, async () => {
    const values = { InstanceId: INSTANCE, GREETING: `it's "quoted" $HOME` };
    const [install, whoami, check] = doc.mainSteps;
    expect(install?.name).toBe('stepgate_install_scripts');
    const sent = await client.send(sendOf(install, values));
    expect(sent.Command?.InstanceIds).toEqual([INSTANCE]);
    const lines = await storedCommands(sent.Command?.CommandId ?? '');
    expect(lines).toEqual(commandsOf(install));

    // Two executions on one instance may install at once: both succeed, one directory.
    const [a, b] = await Promise.all([asAgent(lines), asAgent(lines)]);
    expect([a.stderr, b.stderr]).toEqual(['', '']);
    expect([a.code, b.code]).toEqual([0, 0]);
    const installed = readdirSync(installRoot).filter((n) => !n.startsWith('.'));
    expect(installed).toHaveLength(1);
    expect(readdirSync(installRoot).filter((n) => n.startsWith('.install'))).toEqual([]);
    const mode = statSync(join(installRoot, installed[0] ?? '')).mode & 0o777;
    expect(mode).toBe(0o700);

    for (const step of [whoami, check]) {
      const stepSent = await client.send(sendOf(step, values));
      const stored = await storedCommands(stepSent.Command?.CommandId ?? '');
      const r = await asAgent(stored);
      expect(r.stderr).toBe('');
      expect(r.code, `${String(step?.name)}: ${r.stdout}`).toBe(0);
    }
    const home = spawnSync('getent', ['passwd', user], { encoding: 'utf8' }).stdout.split(':')[5];
    expect(readFileSync(out, 'utf8')).toBe(`${user}|${cwd}|${home}|${values.GREETING}\n`);
    expect(statSync(out).uid).toBe(Number(spawnSync('id', ['-u', user], { encoding: 'utf8' }).stdout.trim()));
  });
});
