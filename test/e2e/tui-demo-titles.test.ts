/**
 * The demo a new user walks first, in the built TUI on a real 80x24 terminal without colour:
 * a manual item of a checklist is headed by its own words and the checklist it belongs to,
 * never by the id the parser made up for it (`pre-deploy-1`), and no row is wider than 80.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/free-port.js';
import { CLI, startTui } from './tui-harness.js';

const root = join(import.meta.dirname, '..', '..');
const cleanups: Array<() => void> = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first (npm test does)`);
});

afterEach(() => {
  for (const clean of cleanups.splice(0)) clean();
});

function expectFits(screen: string): void {
  for (const line of screen.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
}

describe('the demo in the TUI at 80x24', () => {
  it('heads the pre-deploy checklist item with its words and its checklist', async () => {
    const work = mkdtempSync(join(tmpdir(), 'stepgate-demo-tui-'));
    const tmp = join(work, 'tmp');
    mkdirSync(tmp);
    const port = await freePort();
    const demoHome = join(tmp, `stepgate-demo-${userInfo().username}-${port}`);
    cleanups.push(() => {
      // The walk stops before the clean-up checklist: the demo service it started is stopped here.
      try {
        process.kill(Number(readFileSync(join(demoHome, 'service.pid'), 'utf8').trim()), 'SIGTERM');
      } catch {
        // Not started, or gone.
      }
      rmSync(work, { recursive: true, force: true });
    });
    const tui = startTui(['runbooks/demo/deploy.md', '--var', `DEMO_PORT=${port}`], root, join(work, 'state'), { env: { TMPDIR: tmp, DEMO_UNHEALTHY: '' } });
    await tui.waitFor('enter run');
    tui.press('a');
    const manual = await tui.waitFor('MANUAL 3/18', 60_000);
    expectFits(manual);
    expect(manual).toMatch(/^── \[ \] The team knows a redeploy of the demo… · manual · before: Pre-deploy ─+$/m);
    expect(manual).toContain('- [ ] The team knows a redeploy of the demo service is starting.');
    expect(manual).not.toContain('pre-deploy-1');
    expect(manual).toMatch(/space tick · a all · s skip · \? help · q quit$/m);
    tui.press(' ');
    const next = await tui.waitFor('READY 4/18 pre-disk-space');
    expectFits(next);
    expect(next).toMatch(/^── \[ \] pre-disk-space · bash · before: Pre-deploy · checklists\.md:\d+ ─+$/m);
    // Nothing runs: q leaves at once, the session unfinished (exit 1).
    tui.press('q');
    expect(await tui.exited).toBe(1);
  }, 90_000);
});
