import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { ROOT } from '../helpers/paths.js';

const doc = readFileSync(join(ROOT, 'docs', 'runbook-format.md'), 'utf8');
const modelSource = readFileSync(join(ROOT, 'src', 'runbooks', 'model.ts'), 'utf8');

describe('docs/runbook-format.md stays current', () => {
  it('documents every diagnostic code', () => {
    const union = modelSource.slice(modelSource.indexOf('export type DiagnosticCode'), modelSource.indexOf('export interface Diagnostic '));
    const codes = [...union.matchAll(/'([a-z-]+)'/g)].map((m) => m[1]);
    expect(codes.length).toBeGreaterThan(15);
    for (const code of codes) expect(doc, code).toContain(`\`${code}\``);
  });

  it('documents every fence attribute the parser accepts', () => {
    const rb = parseRunbook('```bash {nonsense}\ntrue\n```\n', 'x.md');
    const known = /known: ([a-z, ]+)\)/.exec(rb.diagnostics[0]?.message ?? '')?.[1]?.split(', ') ?? [];
    expect(known.length).toBe(13);
    for (const key of known) expect(doc, key).toContain(`| \`${key}\` |`);
  });
});
