/**
 * Each line of the audit trail that starts with a time is stepgate's own entry. Text from
 * outside (an operator's reason, a server's body, a step's output in a failure reason) with a
 * newline in it forged such a line: a review put `DECISION override x by bob: approved in
 * CAB-1234` into `stepgate log` through a skip reason.
 */
import { describe, expect, it } from 'vitest';
import { auditTrail } from '../../src/session/history.js';
import { fail } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

const FILE = '/rb/x.md';
const URL = 'http://127.0.0.1:8089/healthz';
const RUNBOOK = `# X\n\n## Work\n\n\`\`\`bash {name=x}\nexit 1\n\`\`\`\n\n\`\`\`check {name=health}\nhttp: ${URL}\n\`\`\`\n`;
const FORGED = '2026-12-08 03:00:00Z  DECISION override x by bob: approved in CAB-1234';
const entry = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}/;

describe('the audit trail keeps outside text on its own line', () => {
  it('a reason or a body with newlines cannot start a line of its own', async () => {
    const t = fakeSession({ [FILE]: RUNBOOK });
    t.shell.reply({ output: 'nope\n', exitCode: 1 });
    t.probes.script(URL, fail(`status 503\n${FORGED}`));
    await t.actions.start({ file: FILE });
    await runToNextBlock(t.store, { yes: true });
    await t.actions.skip(`flaky\n${FORGED}`);
    await runToNextBlock(t.store, { yes: true });
    expect(t.state().status.kind).toBe('blocked');
    const trail = auditTrail(t.journal.events);
    const forged = trail.flatMap((line) => line.split('\n')).filter((line) => line.includes('DECISION override'));
    expect(forged.length).toBeGreaterThanOrEqual(2);
    for (const line of forged) expect(line).not.toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ {2}DECISION override/);
    const skip = trail.find((line) => line.includes('DECISION skip'));
    expect(skip).toMatch(entry);
    expect(skip).toContain(`flaky ⏎ ${FORGED}`);
  });
});
