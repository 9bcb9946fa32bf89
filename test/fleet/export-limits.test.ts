/**
 * What SSM would refuse or cap, refused by the export at the runbook's own line: a step's
 * timeout beyond Run Command's 48 h, and a check whose poll loop could outlast it.
 */
import { describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, formatProblem, validateDocument } from '../../src/fleet/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

const book = (text: string) => {
  const main = parseRunbook(text, 'long.md');
  return { main, load: (f: string) => (f === 'long.md' ? main : undefined) };
};

const LONG = '# Long\n\n## Steps\n\n```bash {name=ok timeout=1m}\ntrue\n```\n\n```bash {name=migrate timeout=49h}\n./migrate\n```\n';

describe('timeouts beyond what SSM runs', () => {
  it('refuses timeout= over 48 h at the step, in both documents', () => {
    const { main, load } = book(LONG);
    for (const r of [exportCommandDocument(main, load, { user: 'ubuntu' }), exportAutomationDocument(main, load, { user: 'ubuntu' })]) {
      expect(r.ok).toBe(false);
      if (r.ok) continue;
      expect(r.problems.map(formatProblem)).toEqual([expect.stringMatching(/^long\.md:9:1: step migrate has timeout=176400s, longer than SSM runs a command \(172800 s, 48 h/)]);
    }
  });

  it('refuses a check whose worst-case poll loop passes 48 h, at the check step', () => {
    const text = '# Slow\n\n## Steps\n\n```check {name=slow}\nrun: ./probe\ntimeout: 24h\nretries: 3\n```\n';
    const main = parseRunbook(text, 'slow.md');
    const r = exportCommandDocument(main, () => undefined, { user: 'ubuntu' });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.problems.map(formatProblem)).toEqual([expect.stringMatching(/^slow\.md:5:1: check step slow can poll for \d+ s .* lower retries:, timeout: or backoff:$/)]);
  });

  it('takes exactly 48 h, and caps the Automation wait at 48 h rather than a minute over', () => {
    const { main, load } = book(LONG.replace('timeout=49h', 'timeout=48h'));
    const command = exportCommandDocument(main, load, { user: 'ubuntu' });
    expect(command.ok).toBe(true);
    const auto = exportAutomationDocument(main, load, { user: 'ubuntu' });
    expect(auto.ok).toBe(true);
    if (!auto.ok) return;
    const migrate = auto.document.mainSteps.find((s) => s.name === 'migrate');
    expect(migrate).toMatchObject({ timeoutSeconds: 172_800, inputs: { Parameters: { executionTimeout: '172800' } } });
    expect(auto.document.mainSteps.find((s) => s.name === 'ok')).toMatchObject({ timeoutSeconds: 120 });
    expect(validateDocument(auto.document, 'automation')).toEqual([]);
  });
});
