/**
 * Values reach a step through a here-document in the root wrapper, and SSM writes them there
 * as text, a secret from Parameter Store included: a value must never end that here-document
 * and have the rest run as shell. The documents' own shell runs here as the agent runs it
 * (sh, as root), with hostile values written where SSM would write them.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, formatProblem, type ExportResult, type SsmDocument } from '../../src/fleet/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { runLines } from './agent-sim.js';

/** The user the test runs as: what `--as` gives a runbook that names none, as `stepgate run` runs it. */
const USER = userInfo().username;

const RUNBOOK = (dir: string): string => `---
title: Values
vars:
  FIRST_TOKEN: { prompt: First, secret: true }
  PLAIN: { prompt: Plain, default: plain }
  LAST_TOKEN: { prompt: Last, secret: true }
---
# Values

## Steps

\`\`\`bash {name=show}
printf '%s|%s|%s' "$FIRST_TOKEN" "$PLAIN" "$LAST_TOKEN" > ${dir}/seen.txt
\`\`\`
`;

const INJECTED = (dir: string): string => `a\nSTEPGATE_VALUE_END\ntouch ${dir}/pwned\n`;

function ok(result: ExportResult): SsmDocument {
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.document;
}

/** The lines of `name`, with each Parameter Store reference written as SSM writes the value it resolves. */
function resolved(document: SsmDocument, name: string, secrets: Record<string, string>): string[] {
  const step = document.mainSteps.find((s) => s.name === name);
  const inputs = step?.inputs as { runCommand?: string[]; Parameters?: { commands: string[] } };
  const lines = inputs.runCommand ?? inputs.Parameters?.commands ?? [];
  return lines.map((l) => l.replace(/\{\{ssm-secure:\/sg\/([A-Z_]+)\}\}/g, (whole, n: string) => secrets[n] ?? whole));
}

describe('a value cannot end the values here-document and run as shell', () => {
  let dir = '';
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'stepgate-heredoc-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const kinds = {
    command: async (secrets: Record<string, string>, plain: string) => {
      const doc = ok(exportCommandDocument(parseRunbook(RUNBOOK(dir), join(dir, 'values.md')), () => undefined, { user: USER, paramStorePrefix: '/sg' }));
      return runLines(resolved(doc, 'show', secrets), { PLAIN: plain });
    },
    automation: async (secrets: Record<string, string>, plain: string) => {
      const doc = ok(exportAutomationDocument(parseRunbook(RUNBOOK(dir), join(dir, 'values.md')), () => undefined, { user: USER, paramStorePrefix: '/sg', installRoot: join(dir, 'ssm') }));
      const install = await runLines(resolved(doc, 'stepgate_install_scripts', {}), {});
      expect(install.exitCode, install.stderr).toBe(0);
      return runLines(resolved(doc, 'show', secrets), { PLAIN: plain, InstanceId: 'i-0123456789abcdef0' });
    },
  };

  for (const [kind, run] of Object.entries(kinds)) {
    it(`${kind}: values equal to the end marker arrive as data`, { timeout: 30_000 }, async () => {
      const r = await run({ FIRST_TOKEN: 'STEPGATE_VALUE_END', LAST_TOKEN: `it's "$HOME" \`id\`` }, 'STEPGATE_VALUE_END');
      expect(r.stderr).toBe('');
      expect(r.exitCode).toBe(0);
      expect(readFileSync(join(dir, 'seen.txt'), 'utf8')).toBe(`STEPGATE_VALUE_END|STEPGATE_VALUE_END|it's "$HOME" \`id\``);
    });

    for (const where of ['FIRST_TOKEN', 'LAST_TOKEN']) {
      it(`${kind}: a secret (${where}) holding the end marker line runs nothing after it, and the step fails with what to do`, { timeout: 30_000 }, async () => {
        const r = await run({ FIRST_TOKEN: 'one', LAST_TOKEN: 'three', [where]: INJECTED(dir) }, 'two');
        expect(existsSync(join(dir, 'pwned'))).toBe(false);
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toContain('base64');
        expect(existsSync(join(dir, 'seen.txt'))).toBe(false);
      });
    }

    it(`${kind}: a multi-line secret fails the step, before it runs, advising base64`, { timeout: 30_000 }, async () => {
      const r = await run({ FIRST_TOKEN: '-----BEGIN KEY-----\nabc\n-----END KEY-----', LAST_TOKEN: 'three' }, 'two');
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/not one line.*base64 -w0/);
      expect(existsSync(join(dir, 'seen.txt'))).toBe(false);
    });
  }
});
