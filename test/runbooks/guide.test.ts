import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lintRunbook, planRunbook, type CommandStep } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { join } from 'node:path';
import { FIXTURES, GUIDE, skipNote } from '../helpers/paths.js';

if (!GUIDE) skipNote('the reference guide tests', 'STEPGATE_REFERENCE_DIR');

describe.skipIf(!GUIDE)('the reference guide (deploy-ops.md), unannotated', () => {
  const runbook = parseRunbook(GUIDE ? readFileSync(GUIDE, 'utf8') : '# (no guide)\n', GUIDE ?? 'deploy-ops.md');
  const diagnostics = lintRunbook(runbook, { load: () => undefined, env: {} });

  it('parses with zero errors', () => {
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('lists its shell blocks as steps under their sections', () => {
    const plan = planRunbook(runbook, () => undefined);
    const main = plan.parts.find((p) => p.role === 'main')!;
    const listing = main.sections.map((s) => [s.title, s.steps.map((st) => (st as CommandStep).script.split('\n')[0])]);
    expect(listing).toEqual([
      ['2. Redeploy Script (redeploy.sh / 04-redeploy.sh)', ['sudo -i -u ubuntu']],
      ['3. Health Check Standards', ['for i in {1..5}; do']],
      ['4. SSM Workflow', ['aws ssm start-session --region us-east-2 --target i-011c79fffa7af9e27', 'sudo -i -u ubuntu', 'cd ~/omneuro']],
    ]);
    expect(main.sections.flatMap((s) => s.steps.map((st) => st.kind))).toEqual(['command', 'command', 'command', 'command', 'command']);
  });

  it('warns about its curl retry loop and its user switches', () => {
    const warnings = diagnostics.map((d) => `${d.line} ${d.code}`);
    expect(warnings).toContain('61 curl-retry-loop');
    expect(warnings).toContain('48 sudo-in-step');
  });

  it('finds its four cross-references', () => {
    expect(runbook.crossRefs.map((r) => r.target.file)).toEqual(['OPS.md', 'CHECKLISTS.md', 'RUNBOOK.md', 'OBSERVABILITY.md']);
    const section = runbook.sections.find((s) => s.anchor === '5-cross-references');
    expect(section?.crossRefs).toHaveLength(4);
  });
});

describe('an unannotated ops guide of our own (test/fixtures/runbooks/ops-notes.md)', () => {
  const file = join(FIXTURES, 'ops-notes.md');
  const runbook = parseRunbook(readFileSync(file, 'utf8'), file);
  const diagnostics = lintRunbook(runbook, { load: () => undefined, env: {} });

  it('parses with zero errors', () => {
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  });

  it('lists its shell blocks as steps under their sections', () => {
    const main = planRunbook(runbook, () => undefined).parts.find((p) => p.role === 'main')!;
    const listing = main.sections.map((s) => [s.title, s.steps.map((st) => (st as CommandStep).script.split('\n')[0])]);
    expect(listing).toEqual([
      ['2. Shipping a new build', ['sudo -i -u worker']],
      ['3. Is it healthy?', ['for n in 1 2 3 4 5; do']],
      ['4. Getting there over SSM', ['aws ssm start-session --region eu-west-1 --target i-0123456789abcdef0', 'sudo -i -u worker']],
    ]);
  });

  it('warns about its curl retry loop and its user switches', () => {
    const warnings = diagnostics.map((d) => `${d.line} ${d.code}`);
    expect(warnings).toContain('34 curl-retry-loop');
    expect(warnings).toContain('20 sudo-in-step');
    expect(warnings).toContain('51 sudo-in-step');
  });

  it('finds its three cross-references', () => {
    expect(runbook.crossRefs.map((r) => r.target.file)).toEqual(['ONCALL.md', 'SHIP-CHECKLIST.md', 'ROLLBACK.md']);
  });
});
