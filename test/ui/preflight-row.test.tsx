/**
 * The preflight is the checklist's first row: the operator sees it passed (or what it let
 * through) before the first step, and its findings in the detail pane when it is selected.
 * A recovery frame's list starts at its own steps.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { Finding } from '../../src/session/preflight.js';
import { arrowDown, arrowUp, enter, renderSession } from './helpers.js';
import { DEPLOY_FILE, FILES } from './runbooks.js';

afterEach(() => cleanup());

const warning: Finding = {
  severity: 'warning',
  code: 'missing-script',
  file: DEPLOY_FILE,
  line: 12,
  step: 'restart',
  message: './scripts/04-redeploy.sh (in ~/app) does not exist yet; an earlier step may bring it',
};
const error: Finding = { severity: 'error', code: 'missing-command', file: DEPLOY_FILE, line: 20, step: 'restart', message: 'restart runs "pm2", which is not found for ubuntu' };

describe('the preflight row', () => {
  it('heads the checklist, passed, and shows what was checked when selected', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE, { preflight: { findings: [], ms: 212 } });
    const first = await r.waitForFrame('preflight: the host can run every step');
    // The first step stays selected: enter still runs it.
    expect(first).toMatch(/\[x\] preflight: the host can run every step\s+212 ms/);
    r.press(arrowUp);
    const shown = await r.waitForFrame('Nothing found.');
    expect(shown).toContain('Checked in 212 ms before the first step, as ubuntu');
    r.press(enter);
    await r.waitForFrame('preflight ran before the first step');
    r.press(arrowDown);
    await r.waitForNoFrame('Nothing found.');
  });

  it('counts warnings on the row and lists them, file and line, in the detail pane', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE, { preflight: { findings: [warning], ms: 90 } });
    await r.waitForFrame('preflight: 1 warning');
    r.press(arrowUp);
    const f = await r.waitForFrame('04-redeploy.sh (in ~/app)');
    expect(f).toMatch(/\/rb\/deploy\.md:12: warning: \.\/scripts\/04-redeploy\.sh/);
  });

  it('marks errors passed with --skip-preflight as overridden, with who and why', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE, { preflight: { findings: [error], ms: 90, skipped: 'pm2 comes with step 2' } });
    const f = await r.waitForFrame('preflight: 1 error passed with --skip-preflight');
    expect(f).toContain('[~] preflight: 1 error passed');
    r.press(arrowUp);
    const detail = await r.waitForFrame('pm2 comes with step 2');
    expect(detail).toMatch(/:20: error: restart runs "pm2"/);
    expect(detail).toMatch(/Errors passed by \S+ with --skip-preflight/);
  });

  it('is not there when no preflight was journaled', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE);
    await r.waitForFrame('enter run');
    expect(r.frame()).not.toContain('preflight');
    r.press(arrowUp);
    r.press(arrowUp);
    await r.waitForFrame('enter run');
    expect(r.frame()).not.toContain('Checked in');
  });
});
