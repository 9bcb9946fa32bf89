/**
 * node-pty leaves a terminal's master open across exec, so every process stepgate starts after
 * a shell would hold that shell's terminal. A later shell's steps and a `run:` check must not:
 * they could read another shell's output or type into it.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/exec/probes.js';
import { openShell } from '../../src/exec/shell.js';
import type { Shell } from '../../src/exec/types.js';

/** Counts this bash's open descriptors on a pty master, and names them. */
const COUNT_MASTERS = 'n=0; for f in /proc/$$/fd/*; do [[ $f -ef /dev/ptmx ]] && n=$((n+1)); done; echo "masters=$n"';

describe('pty masters stepgate holds', () => {
  let first: Shell;
  beforeAll(async () => {
    first = await openShell({ screen: true });
  });
  afterAll(async () => {
    await first.close();
  });

  it('are open in stepgate itself (so the case is real)', async () => {
    const { readdirSync, statSync } = await import('node:fs');
    const ptmx = statSync('/dev/ptmx');
    const held = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        const s = statSync(`/proc/self/fd/${fd}`);
        return s.ino === ptmx.ino && s.dev === ptmx.dev;
      } catch {
        return false;
      }
    });
    expect(held.length).toBeGreaterThan(0);
  });

  it('are closed in a later shell before its startup files and steps run', async () => {
    const second = await openShell({ screen: true });
    try {
      await second.run({ script: COUNT_MASTERS });
      expect(second.screen().lines).toContain('masters=0');
    } finally {
      await second.close();
    }
  });

  it('are closed in a run: check', async () => {
    const res = await runProbe({ kind: 'run', command: COUNT_MASTERS, timeoutMs: 10_000 });
    expect(res).toMatchObject({ ok: true, output: 'masters=0' });
  });
});

/** Review: preflight's login shell as another user ran that user's profile before the script closed the masters. */
describe('pty masters in a preflight login shell as another user', () => {
  it('are closed before the user\'s profile runs', async () => {
    const { isRoot } = await import('./helpers.js');
    if (!isRoot()) return;
    const { createUser, removeUser } = await import('./helpers.js');
    const { askHost } = await import('../../src/exec/host-check.js');
    const { execFileSync } = await import('node:child_process');
    const { readFileSync, writeFileSync } = await import('node:fs');
    const user = createUser('sgrev52m');
    const shell = await openShell({ screen: true });
    try {
      const home = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split(':')[5] ?? '';
      writeFileSync(`${home}/.profile`, 'n=0; for f in /proc/$$/fd/*; do [[ $f -ef /dev/ptmx ]] && n=$((n+1)); done; echo "masters=$n" > ~/masters\n');
      execFileSync('chown', ['-R', `${user}:${user}`, home]);
      await askHost({ user, env: {}, scripts: {}, names: [], paths: {}, dirs: [], hosts: [], space: [] });
      expect(readFileSync(`${home}/masters`, 'utf8').trim()).toBe('masters=0');
    } finally {
      await shell.close();
      removeUser(user);
    }
  });
});

/**
 * Review: closed by the user's own bash, the masters were open in a process of that user's from
 * runuser's exec until bash ran, where that user could take them (pidfd_getfd) and type into a
 * root shell's terminal. Through runuser they are closed while still root: runuser itself, which
 * stays the shell's parent, holds none.
 */
describe('pty masters in a shell as another user, through runuser', () => {
  it('are not held by runuser, the process that becomes the user', async () => {
    const { isRoot } = await import('./helpers.js');
    if (!isRoot()) return;
    const { createUser, removeUser } = await import('./helpers.js');
    const { readdirSync, statSync } = await import('node:fs');
    const user = createUser('sgrev53m');
    const rootShell = await openShell({ screen: true });
    const userShell = await openShell({ screen: true, user, cwd: '/tmp' });
    try {
      await userShell.run({ script: 'echo "parent=$PPID"' });
      const parent = Number(/parent=(\d+)/.exec(userShell.screen().lines.join('\n'))?.[1]);
      expect(readFileSyncSafe(`/proc/${parent}/comm`)).toBe('runuser');
      const ptmx = statSync('/dev/ptmx');
      const held = readdirSync(`/proc/${parent}/fd`).filter((fd) => {
        try {
          const s = statSync(`/proc/${parent}/fd/${fd}`);
          return s.ino === ptmx.ino && s.dev === ptmx.dev;
        } catch {
          return false;
        }
      });
      expect(held).toEqual([]);
    } finally {
      await userShell.close();
      await rootShell.close();
      removeUser(user);
    }
  });
});

function readFileSyncSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return '';
  }
}
