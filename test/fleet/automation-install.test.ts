/**
 * Automation documents carry each distinct step script once: the first step installs them
 * (one gzip'd archive) and every other step calls the installed run.sh with its script and its
 * parameters. Here the generated shell runs for real (sh, bash, gzip, base64 of this host, as
 * root like the SSM agent) against a temporary install root, and the shipped omneuro deploy
 * exports within 64 KB with the graph it had.
 */
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { exportAutomationDocument, formatProblem, validateDocument, MAX_DOCUMENT_BYTES, type SsmDocument } from '../../src/fleet/index.js';
import { serialize } from '../../src/commands/export.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { ROOT } from '../helpers/paths.js';

/** The user the test runs as: what `--as` gives a runbook that names none, as `stepgate run` runs it. */
const USER = userInfo().username;

const require = createRequire(import.meta.url);
const validateAutomation = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false }).compile(
  JSON.parse(readFileSync(require.resolve('aws-ssm-document-language-service/dist/schema.json'), 'utf8')) as object,
);

const RUNBOOK = `---
title: Install
recovery: "#fix"
vars:
  GREETING: { prompt: Greeting, default: "hello" }
  TARGET: { prompt: Target }
---
# Install

## Steps

\`\`\`bash {name=first}
printf '%s|%s|%s\\n' "$GREETING" "$TARGET" '{{ not.a.parameter }}'
\`\`\`

\`\`\`bash {name=second}
test "$TARGET" != fail
\`\`\`

## Fix

\`\`\`bash {name=fix}
echo fixing
\`\`\`
`;

const roots: string[] = [];
afterAll(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

function commandsOf(step: Record<string, unknown> | undefined): string[] {
  return ((step?.inputs as { Parameters?: { commands?: string[] } } | undefined)?.Parameters?.commands ?? []) as string[];
}

/** What SSM does before the agent runs a step: parameters interpolated into the text. */
function interpolate(lines: string[], values: Record<string, string>): string {
  return lines.join('\n').replace(/\{\{ ([A-Za-z0-9_]+) \}\}/g, (m, name: string) => values[name] ?? m);
}

function sh(script: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('sh', ['-c', script], { encoding: 'utf8', timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/root' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The files in the install step's archive, by name. */
function archiveOf(doc: SsmDocument): Map<string, string> {
  const install = commandsOf(doc.mainSteps[0]).join('\n');
  const b64 = /printf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d \| gzip -dc/.exec(install)?.[1] ?? '';
  const text = gunzipSync(Buffer.from(b64, 'base64')).toString('utf8');
  const files = new Map<string, string>();
  for (const m of text.matchAll(/^cat > "\$1\/([^"]+)" <<'(STEPGATE_FILE_END_*)'\n([\s\S]*?)^\2\n/gm)) files.set(m[1] ?? '', m[3] ?? '');
  return files;
}

describe('Automation step scripts, installed once', () => {
  const root = mkdtempSync(join(tmpdir(), 'stepgate-ssm-install-'));
  roots.push(root);
  const runbook = parseRunbook(RUNBOOK, 'install.md');
  const result = exportAutomationDocument(runbook, () => undefined, { user: USER, installRoot: join(root, 'ssm') });
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  const doc = result.document;
  const step = (name: string): Record<string, unknown> | undefined => doc.mainSteps.find((s) => s.name === name);

  it('installs every script first, and installs again as a no-op', () => {
    expect(doc.mainSteps[0]).toMatchObject({ name: 'stepgate_install_scripts', nextStep: 'first', onFailure: 'Abort' });
    const first = sh(commandsOf(doc.mainSteps[0]).join('\n'));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^stepgate: 3 step scripts installed in .*\/ssm\/[0-9a-f]{12}\n$/);
    const dir = readdirSync(join(root, 'ssm'));
    expect(dir).toHaveLength(1);
    expect(readdirSync(join(root, 'ssm', dir[0] ?? '')).sort()).toEqual(['1.bash', '2.bash', '3.bash', 'run.sh']);
    const again = sh(commandsOf(doc.mainSteps[0]).join('\n'));
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('already installed');
  });

  it('a step binds its parameters as data and runs its installed script; {{ }} of the author is the script\'s own', () => {
    const value = `it's $HOME "quoted" \`date\``;
    const r = sh(interpolate(commandsOf(step('first')), { GREETING: value, TARGET: 'web' }));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${value}|web|{{ not.a.parameter }}\n`);
    const failing = sh(interpolate(commandsOf(step('second')), { GREETING: 'hi', TARGET: 'fail' }));
    expect(failing.code).toBe(1);
  });

  it('a repeated step (the next attempt, a recovery path linked from two gates) calls the same script and carries no copy', () => {
    const calls = doc.mainSteps.slice(1).map((s) => /run\.sh '[^']*' (\d+)/.exec(commandsOf(s).join('\n'))?.[1]);
    expect(doc.mainSteps.map((s) => s.name)).toEqual(['stepgate_install_scripts', 'first', 'first_recover_1_fix', 'first_attempt_2', 'second', 'second_recover_1_fix', 'second_attempt_2']);
    expect(calls).toEqual(['1', '2', '1', '3', '2', '3']);
    expect(step('first_attempt_2')?.description).toBeUndefined();
    expect(step('first')?.description).toBe('first');
    expect(validateDocument(doc, 'automation')).toEqual([]);
    expect(validateAutomation(doc), JSON.stringify(validateAutomation.errors)).toBe(true);
  });

  it('a missing installed script fails the step saying which step installs it', () => {
    const dir = readdirSync(join(root, 'ssm')).find((n) => /^[0-9a-f]{12}$/.test(n)) ?? '';
    rmSync(join(root, 'ssm', dir, '2.bash'));
    const r = sh(interpolate(commandsOf(step('second_recover_1_fix')), { GREETING: 'hi', TARGET: 'web' }));
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/stepgate: cannot read .*\/2\.bash: this execution's first step \(stepgate_install_scripts\) installs it/);
  });
});

describe('the shipped omneuro deploy as Automation', () => {
  it('exports within 64 KB (154 KB and refused before scripts were carried once), every call names a script the first step installs', async () => {
    const { readRunbookFileSync, createRunbookCache } = await import('../../src/commands/load.js');
    const file = join(ROOT, 'runbooks', 'deploy.md');
    const r = exportAutomationDocument(readRunbookFileSync(file).runbook, createRunbookCache(), { user: USER, approvers: ['arn:aws:iam::111122223333:role/Approver'] });
    if (!r.ok) throw new Error(r.problems.map(formatProblem).join('\n'));
    for (const format of ['json', 'yaml'] as const) {
      const text = serialize(r.document, format);
      expect(validateDocument(r.document, 'automation', text), format).toEqual([]);
      expect(Buffer.byteLength(text)).toBeLessThanOrEqual(MAX_DOCUMENT_BYTES);
    }
    expect(validateAutomation(r.document), JSON.stringify(validateAutomation.errors)).toBe(true);
    const files = archiveOf(r.document);
    expect(files.get('run.sh')).toContain('runuser -u "$sg_user"');
    const called = r.document.mainSteps.flatMap((s) => {
      const m = /exec sh \S+\/run\.sh '[^']*' (\d+)/.exec(commandsOf(s).join('\n'));
      return m ? [`${m[1]}.bash`] : [];
    });
    expect(called.length).toBeGreaterThan(60);
    for (const name of called) expect(files.has(name), name).toBe(true);
    expect(new Set(called).size).toBe(files.size - 1);
  });
});
