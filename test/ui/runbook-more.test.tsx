/** Scrolling (long runbooks, long output), the retry countdown, override by number, colour switches. */
import chalk from 'chalk';
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { colorEnabled } from '../../src/ui/theme.js';
import { fail } from '../fakes/fake-probe.js';
import { enter, pageDown, pageUp, renderRetryingHealthz, renderSession } from './helpers.js';
import { DEPLOY_FILE, FILES, HEALTH_URL } from './runbooks.js';

afterEach(() => cleanup());

function longRunbook(steps: number): string {
  const parts = ['# Long', ''];
  for (let i = 0; i < steps; i++) parts.push(`## Part ${i}`, '', `Step number ${i}.`, '', `\`\`\`bash {name=s${i}}`, `echo ${i}`, '```', '');
  return parts.join('\n');
}

describe('scrolling', () => {
  it('keeps the current step in view as a long runbook is walked', async () => {
    const r = await renderSession({ '/rb/long.md': longRunbook(30) }, '/rb/long.md', {
      before: (t) => {
        t.shell.fallback = (req) => (req.script.includes('echo 24') ? { exitCode: 3, output: 'boom\n' } : { exitCode: 0 });
      },
    });
    await r.waitForFrame('enter run');
    expect(r.frame()).toContain('>[ ] s0: Step number 0.');
    expect(r.frame()).not.toContain('s24');
    r.press('a');
    await r.waitForFrame('BLOCKED at s24');
    const f = r.frame();
    expect(f).toContain('>[!] s24: Step number 24.');
    expect(f).toContain('[x] s23');
    expect(f).not.toContain('s0:');
    expect(f).toContain('[!] exit status 3');
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
  });

  it('scrolls the output pane back with PgUp and forward with PgDn', async () => {
    const output = Array.from({ length: 60 }, (_, i) => `line ${String(i).padStart(2, '0')}`).join('\n');
    const r = await renderSession(FILES, DEPLOY_FILE, { before: (t) => t.shell.reply({ output: `${output}\n`, hold: true }) });
    await r.waitForFrame('enter run');
    r.press(enter);
    await r.waitForFrame('line 59');
    expect(r.frame()).not.toContain('line 40');
    r.press(pageUp);
    await r.waitForFrame('line 40');
    expect(r.frame()).not.toContain('line 59');
    r.press(pageUp);
    r.press(pageUp);
    r.press(pageUp);
    r.press(pageUp);
    await r.waitForFrame('line 00');
    r.press(pageDown);
    r.press(pageDown);
    r.press(pageDown);
    r.press(pageDown);
    r.press(pageDown);
    r.press(pageDown);
    await r.waitForFrame('line 59');
    r.t.shell.release();
  });
});

describe('gate details', () => {
  it('counts down to the next attempt while a check retries', async () => {
    const r = await renderRetryingHealthz();
    await r.waitForFrame('1/3 connection refused');
    await r.waitForFrame('next attempt (2/3) in 1.0s');
    expect(r.frame()).toContain('RUNNING healthz');
    r.t.clock.advance(600);
    await r.waitForFrame('next attempt (2/3) in 0.4s');
    r.t.clock.advance(400);
    await r.waitForFrame('[x] check healthz');
  });

  it('takes a numbered choice: 4 overrides with a reason', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE, { before: (t) => t.probes.script(HEALTH_URL, fail()) });
    await r.waitForFrame('enter run');
    r.press('a');
    await r.waitForFrame('4.     override');
    r.press('4');
    await r.waitForFrame('Count healthz as passed although it failed?');
    await r.waitForFrame('enter submits');
    r.type('checked by hand: curl from the bastion returns 200');
    r.press(enter);
    await r.waitForFrame('[~] check healthz');
    expect(r.t.journal.events).toContainEqual(
      expect.objectContaining({ type: 'decision', decision: { kind: 'override', reason: 'checked by hand: curl from the bastion returns 200' } }),
    );
  });

  it('aborts from the menu after asking, and the session ends aborted', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE, { before: (t) => t.probes.script(HEALTH_URL, fail()) });
    await r.waitForFrame('enter run');
    r.press('a');
    await r.waitForFrame('5.     abort the session');
    r.press('5');
    await r.waitForFrame('Abort the session?');
    await r.waitForFrame('enter submits');
    r.press(enter);
    await r.waitForFrame('ENDED: aborted');
  });
});

describe('colour', () => {
  it('is off with NO_COLOR or TERM=dumb', () => {
    expect(colorEnabled({ TERM: 'xterm-256color' })).toBe(true);
    expect(colorEnabled({ TERM: 'xterm', NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ TERM: 'xterm', NO_COLOR: '' })).toBe(true);
    expect(colorEnabled({ TERM: 'dumb' })).toBe(false);
  });

  it('draws colour only when it is on; the marks are the same either way', async () => {
    // Ink's chalk finds no colour terminal under the test runner: turn it on for this test.
    const level = chalk.level;
    chalk.level = 1;
    try {
      const frames: string[] = [];
      for (const color of [false, true]) {
        const r = await renderSession(FILES, DEPLOY_FILE, { services: { color }, before: (t) => t.probes.script(HEALTH_URL, fail()) });
        await r.waitForFrame('enter run');
        r.press('a');
        await r.waitForFrame('BLOCKED at healthz');
        frames.push(r.frame());
        cleanup();
      }
      const [plain = '', coloured = ''] = frames;
      expect(plain).not.toMatch(/\u001B\[(3|9)\dm/);
      expect(coloured).toMatch(/\u001B\[3\dm/);
      const strip = (f: string) => f.replace(/\u001B\[[0-9;]*m/g, '');
      expect(strip(coloured)).toContain('>[!] check healthz');
      expect(strip(plain)).toContain('>[!] check healthz');
    } finally {
      chalk.level = level;
    }
  });
});
