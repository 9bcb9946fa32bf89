import { describe, expect, it } from 'vitest';
import { tableLines } from '../../src/commands/sessions.js';
import { detachedState, stateAt } from '../../src/session/state-phrase.js';

const HEADER = ['id', 'started (UTC)', 'who', 'state', 'runbook'];

describe('the sessions table on an 80-column terminal', () => {
  it("cuts each row's runbook to what that row leaves, so a long state in one row does not cut another row's path (trial)", () => {
    const rows = [
      HEADER,
      ['20261207-135724-03c31d', '2026-12-07 13:57', 'root', 'completed', '/tmp/helper-trial/rb/slow.md'],
      ['20261207-135311-3c0b91', '2026-12-07 13:53', 'root', 'interrupted (terminal closed, SIGHUP)', 'mine.md'],
    ];
    const lines = tableLines(rows, 80);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    // The start time gives way first; the state stays whole; each path is cut only as its row needs.
    expect(lines[0]).toMatch(/^id +who +state +runbook$/);
    expect(lines[2]).toContain('interrupted (terminal closed, SIGHUP)  mine.md');
    expect(lines[1]).toMatch(/completed +…\S*slow\.md$/);
    expect(lines[1]!.length).toBe(80);
  });

  it("cuts the state, keeping its start, only as far as the runbook's file name needs", () => {
    const rows = [HEADER, ['20261207-135311-3c0b91', '2026-12-07 13:53', 'root', `blocked at ${'a'.repeat(60)}`, 'a/b/deploy.md']];
    const [, row] = tableLines(rows, 80);
    expect(row!.length).toBeLessThanOrEqual(80);
    expect(row).toMatch(/blocked at a+… +…?\S*deploy\.md$/);
    expect(row!.split(/ {2,}/).at(-1)).toMatch(/^…?deploy\.md$/);
  });

  it('leaves every cell whole without a width (a pipe, a file)', () => {
    const rows = [HEADER, ['20261207-135311-3c0b91', '2026-12-07 13:53', 'root', `blocked at ${'a'.repeat(60)}`, `/${'d/'.repeat(40)}deploy.md`]];
    expect(tableLines(rows, undefined)[1]).toContain(`/${'d/'.repeat(40)}deploy.md`);
  });
});

describe('a session whose TUI runs detached', () => {
  it('says whether a step runs, a gate waits for a decision, or nobody has pressed a key (a trial read "running detached" at a blocked gate)', () => {
    expect(stateAt(detachedState('interrupted (terminal closed, SIGHUP)'), 'migrate')).toBe('running detached at migrate');
    expect(stateAt(detachedState('blocked (terminal closed, SIGHUP)'), 'slowfail')).toBe('detached, blocked at slowfail (waits for a decision)');
    expect(stateAt(detachedState('in progress'), 'after')).toBe('detached, waiting at after (for a key to go on)');
    // The picker adds the way back inside the same aside, after the step.
    expect(stateAt(detachedState('blocked', 'stepgate attach ID'), 'health')).toBe('detached, blocked at health (waits for a decision; stepgate attach ID)');
    expect(stateAt(detachedState('interrupted', 'stepgate attach ID'), 'migrate')).toBe('running detached at migrate (stepgate attach ID)');
  });
});

describe('a state with a step and an aside', () => {
  it('names the step before the aside, so a cut at 80 columns keeps it (trial: "at migrate" was cut)', () => {
    expect(stateAt('interrupted (terminal closed, SIGHUP)', 'migrate')).toBe('interrupted at migrate (terminal closed, SIGHUP)');
    expect(stateAt('blocked', 'health')).toBe('blocked at health');
    expect(stateAt('completed', undefined)).toBe('completed');
    const rows = [
      ['id', 'started', 'who', 'state', 'runbook'],
      ['20261207-135311-3c0b91', '2026-12-07 13:53', 'sgh2ssm', stateAt('interrupted (terminal closed, SIGHUP)', 'migrate'), '/home/sgh2ssm/work/runbooks/service-redeploy.md'],
    ];
    const [, line] = tableLines(rows, 80);
    expect(line).toContain('interrupted at migrate');
    expect(line?.length).toBeLessThanOrEqual(80);
  });
});
