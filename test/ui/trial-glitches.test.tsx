/**
 * Glitches a new operator met at 80x24 without colour, each pinned by the frame it shows: the
 * help overlay's last line, the status bar in a recovery frame, the gate's recovery hint, the
 * confirm prompt's command, and a manual item that asks to check the output above it.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { statusParts } from '../../src/ui/components/status-bar.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { enter, escape, renderSession, type SessionRender } from './helpers.js';
import { DEPLOY_FILE, FILES, HEALTH_URL } from './runbooks.js';

afterEach(() => cleanup());

function lastLine(frame: string): string {
  const lines = frame.split('\n');
  return lines[lines.length - 1] ?? '';
}

function expectFits(frame: string): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(23);
  for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
}

/** A deploy whose health check has two recovery paths, each a long-named recovery runbook section. */
const TWO_PATHS = `---
title: Deploy with two ways back
recovery: recovery.md#health-check-failing-after-deploy
---
# Deploy with two ways back

## Health

\`\`\`check {name=healthz recover=recovery.md#roll-back-to-the-previous-release}
http: ${HEALTH_URL}
retries: 1
\`\`\`
`;

const TWO_PATHS_RECOVERY = `# Recovery

## Roll back to the previous release

\`\`\`check {name=rollback-health-of-the-previous-release}
http: http://127.0.0.1:8081/ready
retries: 1
\`\`\`

## Health check failing after deploy

\`\`\`bash {name=inspect}
journalctl -u app
\`\`\`
`;

const NO_PATH = `# Deploy without a way back

## Health

\`\`\`check {name=healthz}
http: ${HEALTH_URL}
retries: 1
\`\`\`
`;

const MANUAL_AFTER_OUTPUT = `# Migrate

## Migrate

\`\`\`bash {name=migrate}
./migrate.sh
\`\`\`

- [ ] Check the migration output above lists every table as migrated.
`;

async function ready(r: SessionRender): Promise<SessionRender> {
  await r.waitForFrame('enter run');
  return r;
}

describe('help overlay at 80x24', () => {
  it('scrolls its last line into view, and one k from the bottom scrolls back at once', async () => {
    const r = await ready(await renderSession(FILES, DEPLOY_FILE));
    r.press('?');
    await r.waitForFrame('keys (esc or ? closes');
    expect(r.frame()).not.toContain('marks:');
    expect(r.frame()).toMatch(/^a +run all remaining steps up to the next gate, manual item or$/m);
    expect(r.frame()).toMatch(/^ +confirmation$/m);
    for (let i = 0; i < 40; i++) r.press('j');
    await r.waitForFrame('marks: [ ] pending');
    let f = r.frame();
    expect(f).toContain('1-9         take that numbered choice at a gate');
    expect(f).toContain('enter / esc submit / cancel a typed answer');
    // Long help wraps under itself and the marks take two lines: nothing is cut.
    expect(f).toMatch(/^marks: \[ \] pending  \[>\] running  \[x\] passed  \[!\] failed  \[-\] skipped\n {7}\[~\] overridden$/m);
    expect(f).not.toContain('…');
    expectFits(f);
    // Scrolled exactly to the bottom, not past it: the first k shows the line above.
    r.press('k');
    await r.waitForNoFrame('[~] overridden');
    f = r.frame();
    expect(f).toContain('1-9         take that numbered choice');
    r.press(escape);
    await r.waitForFrame('enter run');
  });

  it('shows its last line inside a recovery frame too (the breadcrumb takes a row)', async () => {
    const r = await ready(await renderSession(FILES, DEPLOY_FILE, { before: (t) => t.probes.script(HEALTH_URL, fail(), fail(), fail()) }));
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    r.press('c');
    await r.waitForFrame('in recovery: Restart the app');
    await r.waitForFrame('enter run');
    r.press('?');
    await r.waitForFrame('keys (esc or ? closes');
    for (let i = 0; i < 40; i++) r.press('j');
    await r.waitForFrame('marks: [ ] pending');
    const f = r.frame();
    expect(f).toContain('in recovery: Restart the app');
    expect(f).toContain('1-9         take that numbered choice at a gate');
    expectFits(f);
  });
});

describe('status bar', () => {
  it('drops whole hints from the least important end, and cuts a long notice to keep the first', () => {
    const hints = ['↑↓ enter', 'r retry', 'c recover', 's skip', '? help', 'esc list'];
    const ok = statusParts('BLOCKED at healthz', hints, 80);
    expect(ok.hints).toBe('↑↓ enter · r retry · c recover · s skip · ? help · esc list');
    const tight = statusParts('BLOCKED at rollback-health-of-the-previous-release', hints, 80);
    expect(tight.hints).toBe('↑↓ enter · r retry');
    expect(tight.left.length + 1 + tight.hints.length).toBeLessThanOrEqual(80);
    const long = statusParts('x'.repeat(100), hints, 80);
    expect(long.hints).toBe('↑↓ enter');
    expect(long.left).toMatch(/x…$/);
    expect(long.left.length + 1 + long.hints.length).toBeLessThanOrEqual(80);
  });

  it('c from another row brings the blocked step and its menu on screen: a recovery path is never chosen from a hidden menu', async () => {
    const r = await ready(
      await renderSession({ '/rb/two.md': `${TWO_PATHS}\n## Tell\n\n- [ ] Tell the team the deploy is done.\n`, '/rb/recovery.md': TWO_PATHS_RECOVERY }, '/rb/two.md', {
        before: (t) => t.probes.script(HEALTH_URL, fail('status 503', { status: 503 })),
      }),
    );
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    r.press(escape);
    await r.waitForFrame('enter gate · r retry');
    r.press('j');
    await r.waitForFrame(/>\[ \] Tell the team/);
    expect(r.frame()).not.toContain('1. [r] retry the step');
    r.press('c');
    await r.waitForFrame('c again takes the [c] path');
    const f = r.frame();
    expect(f).toMatch(/>\[!\] check healthz/);
    expect(f).toContain('> 2. [c] recover: recovery.md#roll-back-to-the-previous-release');
    r.press('c');
    await r.waitForFrame('in recovery: Roll back to the previous release (blocked at healthz)');
  });

  it('c at a gate with two recovery paths takes the one the menu marks [c], as the hint c recover says', async () => {
    const r = await ready(
      await renderSession({ '/rb/two.md': TWO_PATHS, '/rb/recovery.md': TWO_PATHS_RECOVERY }, '/rb/two.md', {
        before: (t) => t.probes.script(HEALTH_URL, fail('status 503', { status: 503 })),
      }),
    );
    r.press('a');
    let f = await r.waitForFrame('BLOCKED at healthz');
    expect(lastLine(f)).toContain('c recover');
    expect(f).toContain('2. [c] recover: recovery.md#roll-back-to-the-previous-release');
    r.press('c');
    f = await r.waitForFrame('in recovery: Roll back to the previous release (blocked at healthz)');
    expect(f).not.toContain('c again');
    const decision = r.t.journal.events.find((e) => e.type === 'decision');
    expect(decision).toMatchObject({ decision: { kind: 'recover' } });
  });

  it('drops the stale "c again takes the [c] path" in the recovery frame a digit opened; a nested gate fits 80 columns', async () => {
    const r = await ready(
      await renderSession({ '/rb/two.md': `${TWO_PATHS}\n## Tell\n\n- [ ] Tell the team.\n`, '/rb/recovery.md': TWO_PATHS_RECOVERY }, '/rb/two.md', {
        before: (t) => {
          t.probes.script(HEALTH_URL, fail('status 503', { status: 503 }));
          t.probes.script('http://127.0.0.1:8081/ready', fail('connection refused'));
        },
      }),
    );
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    r.press(escape);
    await r.waitForFrame('enter gate');
    r.press('j');
    await r.waitForFrame(/>\[ \] Tell the team/);
    r.press('c');
    await r.waitForFrame('c again takes the [c] path');
    expect(r.frame()).toContain('> 2. [c] recover: recovery.md#roll-back-to-the-previous-release');
    // c takes the first path; the second carries no [c] of its own.
    expect(r.frame()).toMatch(/ 3\. {5}recover: recovery\.md#health-check-failing/);
    expect(r.frame().match(/\d\. \[c\]/g)).toHaveLength(1);
    r.press('2');
    await r.waitForFrame('in recovery: Roll back to the previous release (blocked at healthz)');
    await r.waitForFrame('enter run');
    let f = r.frame();
    expect(f).not.toContain('c again');
    expect(lastLine(f)).toMatch(/^READY 1\/1 rollback-health-of-the-previous-release +enter run · a all · s skip/);
    expect(lastLine(f)).not.toContain('…');
    // The recovery's own check fails: its gate's hints fit beside the long step id, whole.
    r.press(enter);
    await r.waitForFrame('BLOCKED at rollback-health-of-the-previous-release');
    f = r.frame();
    expectFits(f);
    expect(lastLine(f)).toMatch(/^BLOCKED at rollback-health-of-the-previous-release +↑↓ enter · r retry · s skip$/);
    expect(lastLine(f)).not.toContain('…');
  });
});

describe('gate hints', () => {
  it('offer c recover only when the gate has a recovery path', async () => {
    const r = await ready(await renderSession({ '/rb/none.md': NO_PATH }, '/rb/none.md', { before: (t) => t.probes.script(HEALTH_URL, fail()) }));
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    let f = r.frame();
    expect(lastLine(f)).toMatch(/↑↓ enter · r retry · s skip · \? help · esc list$/);
    expect(f).not.toContain('recover');
    r.press(escape);
    await r.waitForFrame('enter gate');
    expect(lastLine(r.frame())).toMatch(/enter gate · r retry · s skip · \? help$/);

    const withPath = await ready(await renderSession(FILES, DEPLOY_FILE, { before: (t) => t.probes.script(HEALTH_URL, fail(), fail(), fail(), pass()) }));
    withPath.press('a');
    await withPath.waitForFrame('BLOCKED at healthz');
    f = withPath.frame();
    expect(lastLine(f)).toContain('r retry · c recover · s skip');
  });
});

describe('confirm prompt', () => {
  it('shows the command it will run, cut to the rows it has', async () => {
    const script = Array.from({ length: 20 }, (_, i) => `psql -c "drop table t${i}"`).join('\n');
    const book = `# Drop\n\n## Drop\n\nDrops the tables.\n\n\`\`\`bash {name=drop confirm}\n${script}\n\`\`\`\n`;
    const r = await ready(await renderSession({ '/rb/drop.md': book }, '/rb/drop.md'));
    r.press(enter);
    await r.waitForFrame('drop asks for confirmation before it runs');
    await r.waitForFrame('[y] yes');
    const f = r.frame();
    expect(f).toContain('  psql -c "drop table t0"');
    expect(f).toMatch(/… \d+ more lines/);
    expect(f).not.toContain('drop table t19');
    expectFits(f);
    r.press('n');
    await r.waitForFrame('READY 1/1 drop');
  });

  it('shows a short command whole', async () => {
    const book = `# Drop\n\n\`\`\`bash {name=drop confirm}\necho dropping\n\`\`\`\n`;
    const r = await ready(await renderSession({ '/rb/drop.md': book }, '/rb/drop.md'));
    r.press(enter);
    await r.waitForFrame('[y] yes');
    expect(r.frame()).toContain('  echo dropping');
    expect(r.frame()).not.toContain('more lines');
  });
});

describe('manual item after a command', () => {
  it('keeps the end of the previous step output under the item text', async () => {
    const output = Array.from({ length: 30 }, (_, i) => `table t${String(i).padStart(2, '0')} migrated`).join('\n');
    const r = await ready(await renderSession({ '/rb/m.md': MANUAL_AFTER_OUTPUT }, '/rb/m.md', { before: (t) => t.shell.reply({ output: `${output}\n` }) }));
    r.press(enter);
    await r.waitForFrame('>[ ] Check the migration output');
    await r.waitForFrame('MANUAL 2/2');
    await r.waitForFrame('table t29 migrated');
    const f = r.frame();
    expect(f).toContain('- [ ] Check the migration output above lists every table as migrated.');
    expect(f).toContain('A manual item: do it, then press space');
    expect(f).toMatch(/output of migrate \(last \d+ lines\):/);
    expect(f).toContain('table t29 migrated');
    expect(f).not.toContain('table t00 migrated');
    expectFits(f);
    r.press(' ');
    await r.waitForFrame('ENDED: completed');
  });

  it('shows only the item text when the step before it has no output here', async () => {
    const r = await ready(await renderSession({ '/rb/m.md': MANUAL_AFTER_OUTPUT }, '/rb/m.md'));
    r.press('j');
    await r.waitForFrame('>[ ] Check the migration output');
    expect(r.frame()).not.toContain('output of migrate');
  });
});
