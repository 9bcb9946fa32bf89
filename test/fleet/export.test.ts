/**
 * The exporter on its own: what each document kind carries, what it refuses (and where it
 * says so), and our validation of the result. Automation documents are also checked against
 * the JSON schema of aws-ssm-document-language-service (a cross-check: it predates some keys).
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, formatProblem, validateDocument, type SsmDocument } from '../../src/fleet/index.js';
import { type Runbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { CLI, ROOT } from '../helpers/paths.js';

const require = createRequire(import.meta.url);
const schema = JSON.parse(readFileSync(require.resolve('aws-ssm-document-language-service/dist/schema.json'), 'utf8')) as object;
// The schema's patterns are written for JavaScript's non-unicode RegExp (`^{{[ ]{0,1}...}}$`).
const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
const validateAutomation = ajv.compile(schema);

function books(files: Record<string, string>): { main: Runbook; load: (f: string) => Runbook | undefined } {
  const parsed = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, parseRunbook(text, name)]));
  const main = parsed[Object.keys(files)[0] ?? ''];
  if (!main) throw new Error('no runbook');
  return { main, load: (f) => parsed[f] };
}

function decodedScripts(document: SsmDocument): string[] {
  const all = JSON.stringify(document);
  return [...all.matchAll(/stepgate-values '[^']*' '([A-Za-z0-9+/=]+)'/g)].map((m) => Buffer.from(m[1] ?? '', 'base64').toString('utf8'));
}

const DEPLOY = `---
title: Deploy
user: ubuntu
cwd: ~/app
recovery: "#roll-back"
vars:
  RELEASE: { prompt: Release to deploy, default: "1.2.0" }
  API_TOKEN: { prompt: Token, secret: true }
env:
  MODE: production
---
# Deploy

## Steps

Pull the release; {{ braces }} in prose and in the script stay the script's own.

\`\`\`bash {name=pull timeout=2m recover=#fix-pull}
git fetch && git checkout "v$RELEASE" && echo '{{ not.a.parameter }}'
\`\`\`

\`\`\`check {name=healthz}
http: http://localhost:8080/healthz
retries: 3
backoff: 1s
timeout: 2s
\`\`\`

## Fix pull

Reset the checkout.

\`\`\`bash {name=reset}
git reset --hard
\`\`\`

## Roll back

Go back to the previous release.

\`\`\`bash {name=previous rollback}
git checkout -
\`\`\`
`;

describe('Command document (schema 2.2)', () => {
  const { main, load } = books({ 'deploy.md': DEPLOY });
  const result = exportCommandDocument(main, load, { paramStorePrefix: '/stepgate/deploy' });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  const doc = result.document;

  it('has one aws:runShellScript step per step of the main flow, failing early', () => {
    expect(doc.schemaVersion).toBe('2.2');
    expect(doc.mainSteps.map((s) => [s.name, s.action])).toEqual([
      ['pull', 'aws:runShellScript'],
      ['healthz', 'aws:runShellScript'],
    ]);
    for (const s of doc.mainSteps) expect((s.inputs as { onFailure: string }).onFailure).toBe('exit');
  });

  it('carries the step timeout, and a check timeout that covers its whole poll loop', () => {
    const [pull, health] = doc.mainSteps.map((s) => s.inputs as { timeoutSeconds?: number });
    expect(pull?.timeoutSeconds).toBe(120);
    // 3 attempts x (2 s + 2 s slack) + waits 1 s + 2 s, plus a minute.
    expect(health?.timeoutSeconds).toBe(12 + 3 + 60);
  });

  it('carries each script in base64: no {{ }} of the author reaches the document', () => {
    const text = JSON.stringify(doc);
    expect(text).not.toContain('not.a.parameter');
    expect(text).not.toContain('braces');
    const [pull] = decodedScripts(doc);
    expect(pull).toContain(`cd -- ~/'app'`);
    expect(pull).toContain(`export MODE='production'`);
    expect(pull).toContain(`git fetch && git checkout "v$RELEASE" && echo '{{ not.a.parameter }}'`);
  });

  it('runs as the runbook user through runuser, in a login shell', () => {
    const lines = (doc.mainSteps[0]?.inputs as { runCommand: string[] }).runCommand;
    expect(lines.join('\n')).toContain(`exec runuser -u "$sg_user" -- bash -l -c "$sg_script" stepgate-step </dev/null`);
    expect(lines.join('\n')).toContain(`stepgate-values 'ubuntu' '`);
  });

  it('turns vars into parameters, and secret vars into Parameter Store references, never values', () => {
    expect(doc.parameters).toEqual({ RELEASE: { type: 'String', description: 'Release to deploy', default: '1.2.0', allowedPattern: '^[^\\r\\n]*$' } });
    const lines = (doc.mainSteps[0]?.inputs as { runCommand: string[] }).runCommand;
    expect(lines).toContain('={{ RELEASE }}=');
    expect(lines).toContain('={{ssm-secure:/stepgate/deploy/API_TOKEN}}=');
  });

  it("carries a var's pattern into its parameter's allowedPattern, on one line", () => {
    const patterned = books({ 'p.md': '---\nuser: ubuntu\nvars:\n  PORT: { prompt: Port, default: "8081", pattern: "[0-9]{1,5}" }\n---\n# P\n\n```bash {name=p}\necho "$PORT"\n```\n' });
    const made = exportCommandDocument(patterned.main, patterned.load, {});
    if (!made.ok) throw new Error(made.problems.map(formatProblem).join('\n'));
    const allowed = (made.document.parameters as Record<string, { allowedPattern: string }>)['PORT']?.allowedPattern ?? '';
    expect(allowed).toBe('^(?=[^\\r\\n]*$)(?:[0-9]{1,5})$');
    const test = new RegExp(allowed);
    expect(['8081', '0'].map((v) => test.test(v))).toEqual([true, true]);
    expect(['80x', '', '123456', '80\n81'].map((v) => test.test(v))).toEqual([false, false, false, false]);
  });

  it('refuses a secret var without --param-store-prefix, at the var', () => {
    const r = exportCommandDocument(main, load, {});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.problems.map(formatProblem)).toEqual([expect.stringMatching(/^deploy\.md:8:3: var API_TOKEN is secret: give --param-store-prefix/)]);
  });

  it('uses {{ssm:...}} with --param-store-type String', () => {
    const r = exportCommandDocument(main, load, { paramStorePrefix: 'p', paramStoreType: 'String' });
    expect(r.ok && JSON.stringify(r.document)).toContain('{{ssm:p/API_TOKEN}}');
  });
});

describe('refusals', () => {
  const text = `# Ops

## Steps

\`\`\`bash {name=edit interactive}
vi /etc/app.conf
\`\`\`

- [ ] The dashboard is green.
- [x] Already done before the run.
`;
  it('refuses interactive steps and unticked manual items, naming each with file:line', () => {
    const { main, load } = books({ 'ops.md': text });
    const r = exportAutomationDocument(main, load, { user: 'ubuntu' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const lines = r.problems.map(formatProblem);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ops\.md:5:1: step edit is interactive/);
    expect(lines[1]).toMatch(/^ops\.md:9:1: manual item "The dashboard is green\." needs a person: give --approvers/);
  });

  it('makes a manual item an aws:approve step with --approvers (Automation), still refuses it in a Command document', () => {
    const { main, load } = books({ 'ops.md': text.replace(' interactive', '') });
    const auto = exportAutomationDocument(main, load, { user: 'ubuntu', approvers: ['arn:aws:iam::111122223333:role/Approver'] });
    if (!auto.ok) throw new Error(auto.problems.map(formatProblem).join('\n'));
    const approve = auto.document.mainSteps.find((s) => s.action === 'aws:approve');
    expect(approve?.inputs).toMatchObject({ Approvers: ['arn:aws:iam::111122223333:role/Approver'], MinRequiredApprovals: 1 });
    expect(auto.document.mainSteps.filter((s) => s.action === 'aws:approve')).toHaveLength(1);
    const cmd = exportCommandDocument(main, load, { user: 'ubuntu', approvers: ['x'] });
    expect(!cmd.ok && cmd.problems.map(formatProblem)[0]).toMatch(/^ops\.md:9:1: manual item .* a Command document cannot wait for one/);
  });
});

describe('Automation document (schema 0.3)', () => {
  const { main, load } = books({ 'deploy.md': DEPLOY });
  const result = exportAutomationDocument(main, load, { paramStorePrefix: '/stepgate/deploy' });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  const doc = result.document;
  const step = (name: string): Record<string, unknown> | undefined => doc.mainSteps.find((s) => s.name === name);

  it('runs AWS-RunShellScript on {{ InstanceId }} in each step', () => {
    expect(doc.schemaVersion).toBe('0.3');
    expect((doc.parameters as Record<string, unknown>).InstanceId).toMatchObject({ type: 'String' });
    for (const s of doc.mainSteps) expect(s.inputs).toMatchObject({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['{{ InstanceId }}'] });
  });

  it('unrolls recovery paths forward: attempt k fails over to recovery k, which flows into attempt k+1; a rollback ends failed', () => {
    expect(step('pull')).toMatchObject({ onFailure: 'step:pull_recover_1_reset', isCritical: false, nextStep: 'healthz' });
    expect(step('pull_recover_1_reset')).toMatchObject({ nextStep: 'pull_attempt_2' });
    expect(step('pull_attempt_2')).toMatchObject({ onFailure: 'step:pull_recover_2_previous', isCritical: false, nextStep: 'healthz' });
    // Roll back is the last path: it ends the run, failed, instead of trying again.
    expect(step('pull_recover_2_previous')).toMatchObject({ nextStep: 'pull_rolled_back_2' });
    expect(step('pull_rolled_back_2')).toMatchObject({ isEnd: true, onFailure: 'Abort' });
    expect(step('pull_attempt_3')).toBeUndefined();
    expect(step('healthz')).toMatchObject({ onFailure: 'step:healthz_recover_1_previous', isCritical: false, isEnd: true });
  });

  it('gives Automation a minute more than each command', () => {
    expect(step('pull')).toMatchObject({ timeoutSeconds: 180, inputs: { Parameters: { executionTimeout: '120' } } });
  });

  it('passes our validation and the language service JSON schema', () => {
    expect(validateDocument(doc, 'automation')).toEqual([]);
    expect(validateAutomation(doc), JSON.stringify(validateAutomation.errors, null, 1)).toBe(true);
  });

  it('exports the shipped demo runbook within the schema and 64 KB', async () => {
    const { readRunbookFileSync, createRunbookCache } = await import('../../src/commands/load.js');
    const file = join(ROOT, 'runbooks', 'demo', 'deploy.md');
    const r = exportAutomationDocument(readRunbookFileSync(file).runbook, createRunbookCache(), { user: 'ubuntu', approvers: ['arn:aws:iam::111122223333:role/Approver'] });
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    expect(validateDocument(r.document, 'automation')).toEqual([]);
    expect(validateAutomation(r.document), JSON.stringify(validateAutomation.errors, null, 1)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(r.document))).toBeLessThan(64 * 1024);
  });
});

describe('the user steps run as', () => {
  const NO_USER = '---\ntitle: Who\n---\n# Who\n\n## Steps\n\n```bash {name=whoami}\nid -un\n```\n\n```bash {name=as-app user=app}\nid -un\n```\n';

  it('without user: or --as, is refused at the front matter, naming a step that would run as root and what to add', () => {
    const { main, load } = books({ 'who.md': NO_USER });
    for (const r of [exportCommandDocument(main, load), exportAutomationDocument(main, load)]) {
      expect(r.ok).toBe(false);
      expect(r.ok ? [] : r.problems.map(formatProblem)).toEqual([
        'who.md:1:1: no user to run as: without user: in the front matter or --as, SSM runs step whoami (and every step without user=) as root, where stepgate on a host runs it as whoever starts stepgate; add user: ubuntu (the service user) to the front matter, or pass --as USER (user: root if root is meant)',
      ]);
    }
  });

  it('is the front matter user:, or --as over it; every step with its own user= needs neither', () => {
    const runAs = (r: ReturnType<typeof exportCommandDocument>): string[] => (r.ok ? r.document.mainSteps.map((s) => /stepgate-values '([^']*)'/.exec(JSON.stringify(s))?.[1] ?? '?') : ['refused']);
    const { main, load } = books({ 'who.md': NO_USER.replace('title: Who', 'title: Who\nuser: ubuntu') });
    expect(runAs(exportCommandDocument(main, load))).toEqual(['ubuntu', 'app']);
    expect(runAs(exportCommandDocument(books({ 'who.md': NO_USER }).main, load, { user: 'deploy' }))).toEqual(['deploy', 'app']);
    const everyStep = books({ 'who.md': NO_USER.replace('{name=whoami}', '{name=whoami user=root}') });
    expect(runAs(exportCommandDocument(everyStep.main, everyStep.load))).toEqual(['root', 'app']);
  });

  it('stepgate export says it on stderr with exit 2 and writes nothing; --as USER exports', () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-export-user-'));
    try {
      const file = join(dir, 'who.md');
      writeFileSync(file, NO_USER);
      const env = { ...process.env, STEPGATE_STATE_DIR: join(dir, 'state'), NO_COLOR: '1' };
      const refused = spawnSync(process.execPath, [CLI, 'export', '--ssm', 'command', file], { env, encoding: 'utf8' });
      expect(refused.status).toBe(2);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toContain(`${file}:1:1: no user to run as:`);
      expect(refused.stderr).toContain('add user: ubuntu (the service user) to the front matter, or pass --as USER');
      const given = spawnSync(process.execPath, [CLI, 'export', '--ssm', 'command', file, '--as', 'ubuntu'], { env, encoding: 'utf8' });
      expect(given.status, given.stderr).toBe(0);
      expect((JSON.parse(given.stdout) as SsmDocument).mainSteps).toHaveLength(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('validation', () => {
  const base = (steps: Array<Record<string, unknown>>): SsmDocument => ({ schemaVersion: '0.3', mainSteps: steps });
  const run = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    name,
    action: 'aws:runCommand',
    timeoutSeconds: 120,
    inputs: { DocumentName: 'AWS-RunShellScript', Parameters: { commands: ['true'], executionTimeout: '60' } },
    ...extra,
  });

  it('catches bad and duplicate names, missing jump targets, cycles, unreachable steps', () => {
    const errors = validateDocument(base([run('a-b'), run('c', { nextStep: 'nope' }), run('c'), run('d', { onFailure: 'step:e' }), run('e', { nextStep: 'd' })]), 'automation');
    expect(errors).toEqual(
      expect.arrayContaining([
        'step 1: name "a-b" is not 1-128 letters, digits or _',
        'step name c is used twice (steps 2 and 3)',
        'step c jumps to nope, which does not exist',
        'the steps form a cycle through d (Automation rejects cycles)',
      ]),
    );
    expect(validateDocument(base([run('a', { isEnd: true }), run('b')]), 'automation')).toEqual(['step b can never be reached']);
  });

  it('catches inconsistent timeouts and documents over 64 KB', () => {
    expect(validateDocument(base([run('a', { timeoutSeconds: 30 })]), 'automation')).toEqual([
      "step a: the step's timeoutSeconds (30) is shorter than its command's executionTimeout (60): Automation would give up on a command still running",
    ]);
    expect(validateDocument(base([run('a', { timeoutSeconds: 0 })]), 'automation')[0]).toMatch(/timeoutSeconds 0 is not a whole number of seconds/);
    const big = base([run('a', { description: 'x'.repeat(70_000) })]);
    expect(validateDocument(big, 'automation')[0]).toMatch(/^the document is \d+ bytes; SSM takes at most 65536/);
  });
});
