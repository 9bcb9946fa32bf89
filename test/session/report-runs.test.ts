/**
 * A step's runs (how often it was started: a retry at its gate starts it again) are not its
 * checks' attempts (a check retries within one run). The report and the plain summary count
 * runs and say so: a check that passed on its second attempt ran once.
 */
import { describe, expect, it } from 'vitest';
import { summaryTable } from '../../src/plain/print-events.js';
import { sessionReport } from '../../src/session/report.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

const FILE = '/rb/health.md';
const URL = 'http://127.0.0.1:8081/healthz';
const RUNBOOK = `# Health\n\n## Check\n\nThe app answers.\n\n\`\`\`check {name=healthz}\nhttp: ${URL}\nretries: 3\n\`\`\`\n`;

describe('runs, not attempts', () => {
  it('a check that passed on its second attempt ran once: Runs 1 in the report, runs 1 in the summary', async () => {
    const t = fakeSession({ [FILE]: RUNBOOK });
    t.probes.script(URL, fail(), pass());
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    expect(t.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    expect(t.journal.events.filter((e) => e.type === 'check-attempt').map((e) => e.type === 'check-attempt' && e.ok)).toEqual([false, true]);
    const report = sessionReport(t.journal.events, { journal: '/state/x.jsonl' });
    expect(report).toMatch(/^\| # \| Step \| Section \| Status \| Runs \| Time \| Decided \|$/m);
    expect(report).toMatch(/^\| 1 \| `healthz` \| Check \| passed \| 1 \|/m);
    const summary = summaryTable(t.state());
    expect(summary.split('\n')[0]).toMatch(/^# +step +phase +status +runs +time +note$/);
    expect(summary.split('\n')[1]).toMatch(/^1 +healthz +main +passed +1 /);
  });

  it('the summary for a file or a pipe keeps a long note whole (it was cut mid-word at 60 characters)', async () => {
    const t = fakeSession({ [FILE]: RUNBOOK });
    const said = 'failing: database unreachable (simulated: DEMO_UNHEALTHY=1) and the cache is cold';
    t.probes.script(URL, fail(said), fail(said), fail(said));
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    expect(t.state().status.kind).toBe('blocked');
    const row = summaryTable(t.state()).split('\n')[1] ?? '';
    expect(row).toContain('cache is cold');
    expect(row.length).toBeGreaterThan(80);
  });
});

describe('rows after the runbook was edited before a resume', () => {
  it('each run stays on the row of the step that ran it, and a removed step is said removed (a review)', async () => {
    const file = '/rb/twins.md';
    const block = (text: string, script: string): string => `${text}\n\n\`\`\`bash\n${script}\n\`\`\`\n\n`;
    const t = fakeSession({ [file]: `# Twins\n\n## Work\n\n${block('Restart first.', 'systemctl restart app')}${block('Migrate.', './migrate')}${block('Restart after.', 'systemctl restart app')}` });
    await t.actions.start({ file });
    t.shell.reply({ exitCode: 0 }, { exitCode: 1 });
    await runToNextBlock(t.store);
    const u = fakeSession({ [file]: `# Twins\n\n## Work\n\n${block('Migrate.', './migrate')}${block('Restart after.', 'systemctl restart app')}` });
    await u.actions.resume(t.journal.events);
    await u.actions.retry();
    await runToNextBlock(u.store);
    expect(u.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    const report = sessionReport([...t.journal.events, ...u.journal.events], { journal: '/state/x.jsonl' });
    const rows = report.split('\n').filter((line) => /^\| \d+ \| /.test(line));
    expect(rows).toEqual([
      expect.stringMatching(/^\| 1 \| Migrate\. \| Work \| passed \| 2 \| .* retried by /),
      expect.stringMatching(/^\| 2 \| Restart after\. \| Work \| passed \| 1 \| /),
      expect.stringMatching(/^\| 3 \| Restart first\. \| Work \| passed, then removed from the runbook \| 1 \| /),
    ]);
  });

  it('a removed step\'s row stays through a later resume that changes the runbook again (a review)', async () => {
    const file = '/rb/twice.md';
    const block = (text: string, script: string): string => `${text}\n\n\`\`\`bash\n${script}\n\`\`\`\n\n`;
    const t = fakeSession({ [file]: `# Twice\n\n## Work\n\n${block('Migrate.', './migrate')}${block('Deploy.', './deploy')}` });
    await t.actions.start({ file });
    t.shell.reply({ exitCode: 0 }, { exitCode: 1 });
    await runToNextBlock(t.store);
    const u = fakeSession({ [file]: `# Twice\n\n## Work\n\n${block('Deploy.', './deploy')}` });
    await u.actions.resume(t.journal.events);
    const v = fakeSession({ [file]: `# Twice\n\n## Work\n\n${block('Deploy.', './deploy')}${block('Announce.', './announce')}` });
    await v.actions.resume([...t.journal.events, ...u.journal.events]);
    const report = sessionReport([...t.journal.events, ...u.journal.events, ...v.journal.events], { journal: '/state/x.jsonl' });
    expect(report.split('\n').filter((line) => /^\| \d+ \| /.test(line))).toEqual([
      expect.stringMatching(/^\| 1 \| Deploy\. \| Work \| failed \(exit 1\) \| 1 \| /),
      expect.stringMatching(/^\| 2 \| Announce\. \| Work \| not run \| 0 \| /),
      expect.stringMatching(/^\| 3 \| Migrate\. \| Work \| passed, then removed from the runbook \| 1 \| /),
    ]);
  });
});
