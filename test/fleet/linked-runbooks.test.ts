/**
 * Steps of linked runbooks (a checklist walked before, a recovery runbook) as the exported
 * documents run them: as the user, in the directory and with the env a local session gives
 * them. The documents' own shell runs here as the agent runs it (sh as root), each step as a
 * real throwaway user; what every step saw is written to a file and compared.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, formatProblem, type SsmDocument } from '../../src/fleet/index.js';
import type { Runbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { createUser, removeUser } from '../helpers/test-users.js';
import { runCommandDocument, runLines } from './agent-sim.js';

/** The user the test runs as: what `--as` gives a runbook that names none, as `stepgate run` runs it. */
const USER = userInfo().username;

const root = process.getuid?.() === 0;

/** The step body: who, where, and the env entries each runbook sets. */
const TRACE = (out: string): string => `printf '%s|%s|%s|%s|%s\\n' "$(id -un)" "$PWD" "\${MAIN_ONLY-unset}" "\${SHARED-unset}" "\${LINKED_ONLY-unset}" > ${out}`;

function books(dir: string, user: string): { main: Runbook; load: (f: string) => Runbook | undefined } {
  const files: Record<string, string> = {
    'deploy.md': `---
title: Deploy
user: ${user}
cwd: ${dir}/app
env:
  MAIN_ONLY: main
  SHARED: main
before: checklists.md#pre-deploy
---
# Deploy

## Steps

\`\`\`bash {name=deploy recover=recovery.md#fix}
${TRACE(`${dir}/out/deploy.txt`)}
exit 1
\`\`\`
`,
    'checklists.md': `---
title: Checklists
env:
  SHARED: linked
  LINKED_ONLY: linked
---
# Checklists

## Pre-deploy

\`\`\`bash {name=pre}
${TRACE(`${dir}/out/pre.txt`)}
\`\`\`
`,
    'recovery.md': `---
title: Recovery
cwd: ${dir}/recovery
---
# Recovery

## Fix

\`\`\`bash {name=fix}
${TRACE(`${dir}/out/fix.txt`)}
\`\`\`
`,
  };
  const parsed = new Map(Object.entries(files).map(([name, text]) => [join(dir, name), parseRunbook(text, join(dir, name))]));
  const main = parsed.get(join(dir, 'deploy.md'));
  if (!main) throw new Error('no runbook');
  return { main, load: (f) => parsed.get(f) };
}

function ok(result: ReturnType<typeof exportCommandDocument>): SsmDocument {
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.document;
}

describe.skipIf(!root)('linked runbooks run as a local session runs them', () => {
  let dir = '';
  let user = '';
  let main: Runbook;
  let load: (f: string) => Runbook | undefined;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepgate-linked-'));
    chmodSync(dir, 0o755);
    user = createUser('sglk');
    for (const sub of ['app', 'recovery', 'out']) {
      mkdirSync(join(dir, sub));
      spawnSync('chown', [user, join(dir, sub)]);
    }
    ({ main, load } = books(dir, user));
  });

  afterAll(() => {
    if (user) removeUser(user);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const seen = (name: string): string => readFileSync(join(dir, 'out', `${name}.txt`), 'utf8');

  it('Command document: a checklist without user:/cwd: runs as the main runbook user in its cwd, with both env: merged (the checklist\'s entries win)', { timeout: 60_000 }, async () => {
    const steps = await runCommandDocument(ok(exportCommandDocument(main, load)), {});
    expect(steps.map((s) => [s.name, s.exitCode])).toEqual([['pre', 0], ['deploy', 1]]);
    expect(seen('pre')).toBe(`${user}|${dir}/app|main|linked|linked\n`);
    expect(seen('deploy')).toBe(`${user}|${dir}/app|main|main|unset\n`);
  });

  it('Automation document: a recovery runbook\'s own cwd: wins; user and env from the main runbook', { timeout: 60_000 }, async () => {
    const doc = ok(exportAutomationDocument(main, load, { installRoot: join(dir, 'ssm') }));
    const commands = (name: string): string[] => {
      const step = doc.mainSteps.find((s) => s.name === name);
      return (step?.inputs as { Parameters: { commands: string[] } }).Parameters.commands;
    };
    const install = await runLines(commands('stepgate_install_scripts'), {});
    expect(install.exitCode, install.stderr).toBe(0);
    const fix = await runLines(commands('deploy_recover_1_fix'), {});
    expect(fix.exitCode, fix.stderr).toBe(0);
    expect(seen('fix')).toBe(`${user}|${dir}/recovery|main|main|unset\n`);
  });
});

describe('vars of linked runbooks are bound like the main runbook\'s', () => {
  const files = (dir: string, secret: boolean): Record<string, string> => ({
    'deploy.md': `---
title: Deploy
vars:
  RELEASE: { prompt: Release, default: main-default }
before: checklists.md#pre-deploy
---
# Deploy

## Steps

\`\`\`bash {name=deploy recover=recovery.md#fix}
exit 1
\`\`\`
`,
    'checklists.md': `---
title: Checklists
vars:
  RELEASE: { prompt: Release again, default: checklist-default }
  CHECK_PORT: { prompt: Port, default: "8080" }
${secret ? '  SIGNING_TOKEN: { prompt: Token, secret: true }\n' : ''}---
# Checklists

## Pre-deploy

\`\`\`bash {name=pre}
printf '%s|%s' "$RELEASE" "$CHECK_PORT" > ${dir}/pre.txt
\`\`\`
`,
    'recovery.md': `---
title: Recovery
vars:
  FIX_MODE: { prompt: Mode, default: soft }
---
# Recovery

## Fix

\`\`\`bash {name=fix}
echo "$FIX_MODE"
\`\`\`
`,
  });
  const load = (dir: string, secret: boolean): { main: Runbook; load: (f: string) => Runbook | undefined } => {
    const parsed = new Map(Object.entries(files(dir, secret)).map(([name, text]) => [join(dir, name), parseRunbook(text, join(dir, name))]));
    const main = parsed.get(join(dir, 'deploy.md'));
    if (!main) throw new Error('no runbook');
    return { main, load: (f) => parsed.get(f) };
  };
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepgate-linked-vars-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a checklist\'s and a recovery runbook\'s vars are parameters of the Command document (the first declaration wins), and reach the checklist\'s step', { timeout: 30_000 }, async () => {
    const books = load(dir, false);
    const doc = ok(exportCommandDocument(books.main, books.load, { user: USER }));
    const parameters = doc.parameters as Record<string, { default?: string }>;
    expect(Object.keys(parameters)).toEqual(['RELEASE', 'CHECK_PORT', 'FIX_MODE']);
    expect(parameters.RELEASE?.default).toBe('main-default');
    const steps = await runCommandDocument(doc, { CHECK_PORT: '9090' });
    expect(steps.map((s) => [s.name, s.exitCode])).toEqual([['pre', 0], ['deploy', 1]]);
    expect(readFileSync(join(dir, 'pre.txt'), 'utf8')).toBe('main-default|9090');
  });

  it('a secret var of a checklist without --param-store-prefix is refused at its file:line, saying what to do; with it, a Parameter Store reference', () => {
    const books = load(dir, true);
    for (const exported of [exportCommandDocument(books.main, books.load, { user: USER }), exportAutomationDocument(books.main, books.load, { user: USER })]) {
      expect(exported.ok).toBe(false);
      const problems = exported.ok ? [] : exported.problems.map(formatProblem);
      expect(problems).toEqual([`${join(dir, 'checklists.md')}:6:3: var SIGNING_TOKEN is secret: give --param-store-prefix /PATH and keep its value in Parameter Store as /PATH/SIGNING_TOKEN; a document never carries a secret`]);
    }
    const doc = ok(exportCommandDocument(books.main, books.load, { user: USER, paramStorePrefix: '/sg' }));
    expect(JSON.stringify(doc)).toContain('={{ssm-secure:/sg/SIGNING_TOKEN}}=');
    expect(Object.keys(doc.parameters as object)).not.toContain('SIGNING_TOKEN');
  });
});
