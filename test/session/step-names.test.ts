/**
 * The audit trail (`stepgate log`), the change-ticket report (`stepgate report`) and the
 * sessions list name a step by its own words: an id the parser made up (`pre-deploy-1`,
 * `work-1`) is nothing an operator or a reviewer can place.
 */
import { describe, expect, it } from 'vitest';
import { auditTrail, describeState } from '../../src/session/history.js';
import { sessionReport } from '../../src/session/report.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

const FILE = '/rb/unnamed.md';

const UNNAMED = `# Redeploy without names

## Pre-deploy

- [ ] The team knows a redeploy is starting.

## Work

Stop the payments service. It drains its queue first.

\`\`\`bash
./stop-and-drain.sh
\`\`\`

\`\`\`bash {name=start}
./start.sh
\`\`\`
`;

async function blockedSession() {
  const t = fakeSession({ [FILE]: UNNAMED });
  t.shell.reply({ output: 'queue not drained\n', exitCode: 3 });
  await t.actions.start({ file: FILE });
  await runToNextBlock(t.store, { yes: true });
  expect(t.state().status.kind).toBe('blocked');
  await t.actions.skip('drained it by hand, OPS-12');
  return t;
}

/** Lines that are not file paths (a transcript's file name carries the step id, as on disk). */
const said = (lines: readonly string[]): string => lines.filter((l) => !/transcript|\.log\b|\.jsonl\b/.test(l)).join('\n');

describe('step names in the log, the report and the sessions list', () => {
  it('the audit trail names unnamed steps by their words, named ones by their names', async () => {
    const t = await blockedSession();
    const trail = said(auditTrail(t.journal.events));
    expect(trail).toContain('DECISION confirm [x] The team knows a redeploy is starting. by --yes');
    expect(trail).toContain('step "Stop the payments service." started (attempt 1)');
    expect(trail).toMatch(/step "Stop the payments service\." failed exit 3/);
    expect(trail).toContain('DECISION skip "Stop the payments service." by alice');
    expect(trail).toContain('session unfinished: in progress at start');
    expect(trail).not.toMatch(/work-\d|pre-deploy-\d/);
  });

  it('the audit trail of a session closed before anything ran says so, not "in progress at" its first step', async () => {
    const t = fakeSession({ [FILE]: UNNAMED });
    await t.actions.start({ file: FILE });
    const trail = auditTrail(t.journal.events);
    expect(trail.at(-1)).toBe('session closed before anything ran: nothing to resume (open the runbook again to start)');
    expect(trail.join('\n')).not.toContain('in progress');
    // Once a step has run, the same session is unfinished at its step.
    t.shell.reply({ output: 'queue not drained\n', exitCode: 3 });
    await runToNextBlock(t.store, { yes: true });
    expect(auditTrail(t.journal.events).at(-1)).toMatch(/^session unfinished: /);
  });

  it('the report lists them as text, and a named step as code', async () => {
    const t = await blockedSession();
    const report = said(sessionReport(t.journal.events, { journal: '/state/x.jsonl' }).split('\n'));
    expect(report).toMatch(/^\| 1 \| The team knows a redeploy is starting\. \| Pre-deploy \|/m);
    expect(report).toMatch(/^\| 2 \| Stop the payments service\. \| Work \| skipped/m);
    expect(report).toMatch(/^\| 3 \| `start` \| Work \|/m);
    expect(report).not.toMatch(/work-\d|pre-deploy-\d/);
  });

  it('says where an unfinished session stopped by the step title', async () => {
    const t = fakeSession({ [FILE]: UNNAMED });
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store);
    expect(describeState(t.state())).toMatchObject({ at: '"The team knows a redeploy is starting."' });
  });
});
