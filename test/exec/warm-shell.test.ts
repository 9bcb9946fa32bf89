/**
 * A shell started before its session (WarmShell): the user's login runs ahead, the session's
 * directory, environment and secret names are given when it is taken, and a shell nobody
 * takes, or one for another user, is closed. Real users, real ptys.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openShell } from '../../src/exec/shell.js';
import { WarmShell } from '../../src/exec/warm-shell.js';
import { ShellProcess } from '../../src/exec/shell-process.js';
import { resolveRunAs } from '../../src/exec/run-as.js';
import { createUser, isRoot, processAlive, removeUser, waitFor } from './helpers.js';

const root = isRoot();
if (!root) console.warn('warm shell tests skipped: they create a throwaway user and need root');

describe.skipIf(!root)('a shell started before its session', () => {
  let user = '';
  let home = '';
  /** The pids of the login shells that ran the user's profile, in order. */
  const logins = (): number[] => (existsSync(`${home}/logins`) ? readFileSync(`${home}/logins`, 'utf8').trim().split('\n').filter(Boolean).map(Number) : []);

  beforeAll(() => {
    user = createUser('sgwarm');
    home = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split(':')[5] ?? '';
    writeFileSync(`${home}/.profile`, 'echo "$$" >> ~/logins\necho "profile says hi"\n');
    mkdirSync(`${home}/app dir`);
    execFileSync('chown', ['-R', `${user}:${user}`, home]);
  });
  afterAll(() => {
    if (user) removeUser(user);
  });

  it('runs the login before it is taken, then is the session shell, with the directory and environment given then', async () => {
    const before = logins().length;
    const warm = await WarmShell.start(user, 80, 24);
    // The profile ran with no session asking for a shell yet.
    const [pid] = await waitFor('the login to run ahead', () => (logins().length > before ? logins().slice(before) : undefined));
    const shell = await openShell({ user, cwd: '~/app dir', env: { GREETING: 'hi there', API_TOKEN: 'tok-secret-1234' }, secretEnvNames: ['API_TOKEN'], warm });
    try {
      await shell.run({ script: 'echo "got=$GREETING in=$PWD bash=$$"; export KEPT=1' });
      const lines = shell.screen().lines;
      expect(lines).toContain(`got=hi there in=${home}/app dir bash=${pid}`);
      // What the shell printed before its session is not the session's output.
      expect(lines.join('\n')).not.toContain('profile says hi');
      // Only the one login: the session did not start a second shell.
      expect(logins().length).toBe(before + 1);
      // The typed names are the session's: kept out of the state a replacement shell restores.
      const names = (await shell.snapshot?.())?.exports.map((e) => e.name) ?? [];
      expect(names).toContain('KEPT');
      expect(names).not.toContain('GREETING');
      expect(names).not.toContain('API_TOKEN');
    } finally {
      await shell.close();
      await warm.close();
    }
    expect(processAlive(pid ?? 0)).toBe(false);
  });

  it('is not taken by a shell for another user, and is closed then', async () => {
    const before = logins().length;
    const warm = await WarmShell.start(user, 80, 24);
    const [pid] = await waitFor('the login to run ahead', () => (logins().length > before ? logins().slice(before) : undefined));
    const shell = await openShell({ warm });
    try {
      await shell.run({ script: 'echo "me=$(id -un)"' });
      expect(shell.screen().lines).toContain(`me=${process.env.USER ?? 'root'}`);
      await waitFor('the unused shell to end', () => !processAlive(pid ?? 0));
    } finally {
      await shell.close();
      await warm.close();
    }
  });

  it('ends, with what it left in the temp directory, when nobody takes it', async () => {
    const before = logins().length;
    const warm = await WarmShell.start(user, 80, 24);
    const [pid] = await waitFor('the login to run ahead', () => (logins().length > before ? logins().slice(before) : undefined));
    const dirs = (): string[] => execFileSync('sh', ['-c', `ls -d /tmp/stepgate-sh-${process.pid}-* 2>/dev/null || true`], { encoding: 'utf8' }).split('\n').filter(Boolean);
    expect(dirs().length).toBeGreaterThan(0);
    await warm.close();
    expect(processAlive(pid ?? 0)).toBe(false);
    expect(dirs()).toEqual([]);
  });

  // A run that preflight stopped, or a resume that stopped at once, closes its shell while the
  // user's login still runs. The shell had not said its pid yet, so the hang-up went nowhere
  // and the shell was killed 5 s later: its exit trap never ran, and the operator waited.
  it('closed while the login still runs, is hung up once the login is through, not killed', async () => {
    const slow = createUser('sgwarmc');
    const slowHome = execFileSync('getent', ['passwd', slow], { encoding: 'utf8' }).split(':')[5] ?? '';
    writeFileSync(`${slowHome}/.profile`, 'sleep 0.4\n');
    execFileSync('chown', ['-R', `${slow}:${slow}`, slowHome]);
    try {
      const proc = ShellProcess.prewarm({ runAs: await resolveRunAs(slow), cols: 80, rows: 24 });
      await proc.close(0);
      await proc.removeState();
      // Its hang-up trap's `exit 129`, not the SIGKILL that follows a hang-up nobody got.
      expect(proc.exited?.status ?? proc.exited?.code).toBe(129);
      expect(proc.exited?.signal ?? 0).toBe(0);
    } finally {
      removeUser(slow);
    }
  });
});

/**
 * A throwaway user whose ~/.profile reads the nonce from its shell's rcfile and prints a marker
 * of its own (`kind;fields`, in the terminal protocol's words). Returns the user's name.
 */
function forgingUser(prefix: string, marker: string): string {
  const user = createUser(prefix);
  const home = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split(':')[5] ?? '';
  writeFileSync(
    `${home}/.profile`,
    [
      `rc=$(tr '\\0' '\\n' </proc/$$/cmdline | grep -A1 -- --rcfile | tail -1)`,
      `nonce=$(grep -o '6973;[0-9a-f]\\{32\\}' "$rc" | head -1 | cut -d';' -f2)`,
      `printf '\\033]6973;%s;${marker}\\007' "$nonce" >/dev/tty`,
      '',
    ].join('\n'),
  );
  execFileSync('chown', ['-R', `${user}:${user}`, home]);
  return user;
}

/** Review: the startup files can read the rcfile's nonce and print a `c` (or `r`) marker of their own. */
describe.skipIf(!root)('markers the user\'s startup files forge', () => {
  it('never make stepgate signal a process that is not its shell\'s', async () => {
    const { spawn } = await import('node:child_process');
    const victim = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
    victim.unref();
    const user = forgingUser('sgforge', `c;${victim.pid}`);
    try {
      const warm = await WarmShell.start(user, 80, 24);
      await new Promise((r) => setTimeout(r, 1500));
      await warm.close();
      expect(processAlive(victim.pid ?? 0)).toBe(true);
    } finally {
      try { process.kill(victim.pid ?? 0, 'SIGKILL'); } catch { /* gone */ }
      removeUser(user);
    }
  });

  it('never make the shell ready before its setup said so (a forged first status)', async () => {
    const user = forgingUser('sgforged', 'd;0;0;0');
    try {
      const shell = await openShell({ user });
      try {
        await shell.run({ script: 'export KEPT_AFTER=1' });
        // Ready only after the real setup report: its state directory is known and read.
        const names = (await shell.snapshot?.())?.exports.map((e) => e.name) ?? [];
        expect(names).toContain('KEPT_AFTER');
      } finally {
        await shell.close();
      }
    } finally {
      removeUser(user);
    }
  });
});
