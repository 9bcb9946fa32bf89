/**
 * The status line's key hints say what the keys do for the selected step: a manual item is
 * ticked, not run; a running check reads no keys, so there is nothing to attach to.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { fail, pass } from '../fakes/fake-probe.js';
import { enter, renderRetryingHealthz, renderSession } from './helpers.js';
import { DEPLOY, DEPLOY_FILE, FILES, HEALTH_URL } from './runbooks.js';

afterEach(() => cleanup());

const lastLine = (frame: string): string => frame.split('\n').at(-1) ?? '';

describe('status line hints', () => {
  it('in a typed reason, says enter and esc, not esc/q close: q and ? are letters of the reason', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE);
    await r.waitForFrame('enter run');
    r.press('s');
    await r.waitForFrame('It is required: type why it is safe to skip it.');
    await r.waitForFrame(/READY 1\/3 pull +esc cancel · enter submit$/);
    expect(lastLine(r.frame())).not.toContain('esc/q close');
  });
  it('c, r or o while a step runs say how to reach its gate (a trial pressed c during a re-run after a recovery path)', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE, { before: (t) => t.shell.reply({ hold: true, output: 'pulling\n' }) });
    await r.waitForFrame('enter run');
    r.press(enter);
    await r.waitForFrame('RUNNING');
    r.press('c');
    await r.waitForFrame('a step is running: ctrl-c stops it, then its gate offers recovery');
    r.press('r');
    await r.waitForFrame('a step is running: ctrl-c stops it, then its gate offers retry');
  });

  it('offers space to tick a manual item, enter to run a command', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE);
    await r.waitForFrame('enter run');
    expect(lastLine(r.frame())).toMatch(/^READY 1\/3 pull +enter run · a all/);
    r.press('a');
    await r.waitForFrame('MANUAL 3/3');
    expect(lastLine(r.frame())).toMatch(/^MANUAL 3\/3 +space tick · a all · s skip/);
    expect(lastLine(r.frame())).not.toContain('enter run');
  });

  it('on a row past the current step, offers enter to run it out of order (not for a manual item) and no skip', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE);
    await r.waitForFrame('enter run');
    r.press('j');
    await r.waitForFrame('enter run out of order');
    expect(lastLine(r.frame())).toMatch(/^READY 1\/3 pull +enter run out of order · a all · \? help/);
    r.press('j');
    await r.waitForFrame(/READY 1\/3 pull +a all/);
    expect(lastLine(r.frame())).toMatch(/^READY 1\/3 pull +a all · \? help · q quit$/);
    expect(lastLine(r.frame())).not.toContain('s skip');
    r.press('k');
    r.press('k');
    await r.waitForFrame(/pull +enter run · a all · s skip/);
  });

  it('does not offer to attach to a running check', async () => {
    const r = await renderRetryingHealthz();
    await r.waitForFrame('next attempt (2/3)');
    expect(lastLine(r.frame())).toMatch(/^RUNNING healthz +ctrl-c interrupt · \? help$/);
    r.t.clock.advance(1000);
    await r.waitForFrame('[x] check healthz');
  });

  it('back from a recovery path, offers a all beside ? help and q quit next to a 15-character step name, within 80 columns; a runs the step again and goes on', async () => {
    // The demo's longest check name: the hints of this line used to push help and quit off.
    const deploy = DEPLOY.replace('{name=healthz}', '{name=rollback-health}');
    const r = await renderSession({ ...FILES, [DEPLOY_FILE]: deploy }, DEPLOY_FILE, {
      before: (t) => t.probes.script(HEALTH_URL, fail(), fail(), fail(), pass()),
    });
    await r.waitForFrame('enter run');
    r.press('a');
    await r.waitForFrame('BLOCKED at rollback-health');
    r.press('c');
    await r.waitForFrame('depth 1');
    r.press(enter);
    await r.waitForFrame('RECOVERY DONE');
    const line = lastLine(r.frame());
    expect(line).toMatch(/^RECOVERY DONE 2\/3 rollback-health +enter rerun · a all · ↓ path · \? help · q quit$/);
    expect(line.length).toBeLessThanOrEqual(80);
    // The key it offers works there: the check runs again (it passes now) and the walk goes on.
    r.press('a');
    await r.waitForFrame('[x] check rollback-health');
    await r.waitForFrame('MANUAL 3/3');
  });
});

