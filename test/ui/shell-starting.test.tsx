/**
 * The first step of a session waits for the session's shell (bash, or sudo -i as the service
 * user: a second or two on a real host). Until the shell is up the pane says it is starting,
 * and as whom, instead of "running": nothing of the step has run yet.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { Shell, ShellOptions } from '../../src/exec/types.js';
import { FakeShell } from '../fakes/fake-shell.js';
import { enter, renderSession } from './helpers.js';
import { DEPLOY, DEPLOY_FILE, FILES } from './runbooks.js';

afterEach(() => cleanup());

const statusLine = (frame: string): string => frame.split('\n').at(-1) ?? '';

/** The pane's rule for the step `pull` (the checklist row above it says "running" on its own). */
const pullRule = (frame: string): string => frame.split('\n').find((line) => line.startsWith('── [>] pull')) ?? '';

describe('the first step while its shell starts', () => {
  it('says the shell is starting as the run-as user, on the pane and the status line, then running once the command runs', async () => {
    const shell = new FakeShell();
    shell.reply({ hold: true, output: 'Already up to date.\n' });
    let open: (() => void) | undefined;
    // The shell starts when the test says: the window a real bash's start-up leaves.
    const slowOpen = (options: ShellOptions): Promise<Shell> =>
      new Promise((resolve) => {
        open = () => void shell.factory(options).then(resolve);
      });
    const deploy = DEPLOY.replace('---\ntitle:', '---\nuser: ubuntu\ntitle:');
    const r = await renderSession({ ...FILES, [DEPLOY_FILE]: deploy }, DEPLOY_FILE, { deps: { openShell: slowOpen } });
    await r.waitForFrame('enter run');
    r.press(enter);
    let f = await r.waitForFrame("starting the shell as ubuntu… (the step runs once it is up)");
    expect(pullRule(f)).toMatch(/ · starting the shell ─+$/);
    expect(pullRule(f)).not.toContain('running');
    // The status line too: RUNNING only once the step runs (ctrl-c still stops it before).
    expect(statusLine(f)).toMatch(/^STARTING SHELL as ubuntu for pull +i attach · ctrl-c interrupt · \? help$/);

    open?.();
    f = await r.waitForFrame(/── \[>\] pull .* · running/);
    expect(f).not.toContain('starting the shell');
    expect(statusLine(f)).toMatch(/^RUNNING pull +i attach/);
    await r.waitForFrame('Already up to date.');
    shell.release();
    await r.waitForFrame('[x] pull');
  });
});
