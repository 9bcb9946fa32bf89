/**
 * Steps run on a terminal, so git, systemctl, journalctl and the AWS CLI would open a pager
 * there and wait for a key nobody is looking to press. Real pty, real git, real less.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { hasCommand, shellFixture } from './helpers.js';

const fx = shellFixture('stepgate-pager-test-', { cols: 80, rows: 24 });
const open = fx.open;

const havePager = hasCommand('git') && hasCommand('less');
if (!havePager) console.log('pager.test: git or less is missing on this machine; the git log case is not run');

describe('pagers in steps', () => {
  it.runIf(havePager)('git log longer than the screen prints and ends instead of waiting in less', async () => {
    const repo = path.join(fx.dir, 'repo');
    execFileSync('git', ['init', '-q', repo]);
    for (let i = 1; i <= 40; i++) {
      execFileSync('git', ['-C', repo, '-c', 'user.email=a@b', '-c', 'user.name=a', 'commit', '-q', '--allow-empty', '-m', `commit ${i}`]);
    }
    const sh = await open();
    // The timeout only ends a step stuck in the pager; the assertion is on how the step ended.
    const res = await sh.run({ script: `git -C ${JSON.stringify(repo)} log --oneline`, timeoutMs: 20_000 });
    expect(res.timedOut).toBe(false);
    expect(res.exitCode).toBe(0);
    const lines = sh.screen().lines;
    expect(lines.some((l) => l.endsWith('commit 1'))).toBe(true);
    expect(lines.some((l) => l.endsWith('commit 40'))).toBe(true);
  });

  it('sets the pagers off for every step, and a runbook env: may set them otherwise', async () => {
    const sh = await open();
    await sh.run({ script: 'echo "pagers:${PAGER-unset}:${GIT_PAGER-unset}:${SYSTEMD_PAGER-unset}:${AWS_PAGER-unset}."' });
    expect(sh.screen().lines).toContain('pagers:cat:cat:cat:.');
    const own = await open({ env: { PAGER: 'more' } });
    await own.run({ script: 'echo "pager:$PAGER"' });
    expect(own.screen().lines).toContain('pager:more');
  });
});
