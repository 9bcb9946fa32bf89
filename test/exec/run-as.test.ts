import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RunAsError, resolveRunAs } from '../../src/exec/run-as.js';
import { openShell } from '../../src/exec/shell.js';
import { addSudoers, createUser, hasCommand, isRoot, processAlive, removeSudoers, removeUser, scanWhile, waitFor } from './helpers.js';
import { checkoutUnreachable } from '../helpers/test-users.js';

const root = isRoot();
const sudo = hasCommand('sudo');
if (!root) console.warn('run-as tests skipped: they create throwaway users and need root');
else if (!sudo) console.warn('sudo tests skipped: sudo is not installed (`.ci/run` installs it with apt-get)');
// The SSM case starts the built CLI as a login user, who must be able to reach it.
const unreachable = root && sudo ? checkoutUnreachable() : undefined;
if (unreachable !== undefined) console.warn(`SSM-case tests skipped: ${unreachable}`);

const distDir = path.resolve('dist');

describe.skipIf(!root)('run as another user (root: runuser)', () => {
  let user = '';
  beforeAll(() => {
    user = createUser('sgsvc');
  });
  afterAll(() => {
    if (user) removeUser(user);
  });

  it('runs steps as the target user in a login environment', async () => {
    const shell = await openShell({ user });
    try {
      expect(shell.user).toBe(user);
      const res = await shell.run({ script: 'id -un; echo "home=$HOME pwd=$PWD"' });
      expect(res.exitCode).toBe(0);
      expect(shell.screen().lines).toContain(user);
      expect(shell.screen().lines).toContain(`home=/home/${user} pwd=/home/${user}`);
      // The replacement shell after `exit` is the same user again.
      await shell.run({ script: 'cd /tmp && exit 4' });
      await shell.run({ script: 'echo "again=$(id -un) $PWD"' });
      expect(shell.screen().lines).toContain(`again=${user} /tmp`);
    } finally {
      await shell.close();
    }
  });

  it('runs a step with a user override as that user', async () => {
    const shell = await openShell();
    try {
      await shell.run({ script: 'id -un', user });
      await shell.run({ script: 'echo "main=$(id -un)"' });
      expect(shell.screen().lines).toContain(user);
      expect(shell.screen().lines).toContain(`main=${os.userInfo().username}`);
    } finally {
      await shell.close();
    }
  });

  it('switches user with runuser and getent from the system directories, never from PATH', async () => {
    // A directory early in PATH holding a runuser and a getent that would leave a mark.
    const planted = mkdtempSync(path.join(os.tmpdir(), 'sg-path-'));
    const mark = path.join(planted, 'ran');
    for (const name of ['runuser', 'getent']) {
      writeFileSync(path.join(planted, name), `#!/bin/sh\necho ${name} >> ${mark}\nexit 1\n`);
      chmodSync(path.join(planted, name), 0o755);
    }
    const before = process.env.PATH;
    process.env.PATH = `${planted}:${before ?? ''}`;
    try {
      const other = createUser('sgpath');
      try {
        const runAs = await resolveRunAs(other);
        expect(runAs.mode).toBe('runuser');
        expect(runAs.via).toMatch(/^\/(usr\/)?(s)?bin\/runuser$/);
        const shell = await openShell({ user: other });
        try {
          await shell.run({ script: 'echo "as=$(id -un)"' });
          expect(shell.screen().lines).toContain(`as=${other}`);
        } finally {
          await shell.close();
        }
      } finally {
        removeUser(other);
      }
      expect(existsSync(mark)).toBe(false);
    } finally {
      process.env.PATH = before;
      rmSync(planted, { recursive: true, force: true });
    }
  });

  it('refuses a user that does not exist, naming it', async () => {
    await expect(openShell({ user: 'no-such-user-sg' })).rejects.toThrow(/"no-such-user-sg": no such user/);
    await expect(resolveRunAs('no-such-user-sg')).rejects.toBeInstanceOf(RunAsError);
  });
});

describe.skipIf(!root || !sudo || unreachable !== undefined)('the SSM case: a login user reaches the service user through sudo', () => {
  let login = '';
  let service = '';
  let scratch = '';
  let script = '';

  beforeAll(() => {
    if (!existsSync(path.join(distDir, 'exec', 'shell.js'))) {
      throw new Error('dist/exec/shell.js is missing: run `npm run build` first (npm test does)');
    }
    login = createUser('sgssm');
    service = createUser('sgsvc');
    scratch = mkdtempSync(path.join(os.tmpdir(), 'stepgate-ssm-'));
    chmodSync(scratch, 0o755);
    script = path.join(scratch, 'shell-as.mjs');
    copyFileSync(path.resolve('test/exec/fixtures/shell-as.mjs'), script);
    chmodSync(script, 0o644);
    writeFileSync(path.join(scratch, 'who.md'), '# Who\n\n```bash\necho "step ran as $(id -un)"\n```\n', { mode: 0o644 });
  });
  afterAll(() => {
    if (login) removeUser(login);
    if (service) removeUser(service);
    if (scratch) rmSync(scratch, { recursive: true, force: true });
  });

  function runAsLogin(): { ok: boolean; [key: string]: unknown } {
    const out = execFileSync('runuser', ['-u', login, '--', process.execPath, script, distDir, service], {
      cwd: scratch,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: `/home/${login}`, LANG: 'C.UTF-8' },
      timeout: 60_000,
    });
    return JSON.parse(out.trim().split('\n').at(-1) ?? '{}');
  }

  /** The built CLI, in plain mode, as the login user: `stepgate run who.md --as SERVICE --yes`. */
  function cliAsLogin(as = service): { status: number | null; out: string } {
    const res = spawnSync('runuser', ['-u', login, '--', process.execPath, path.resolve('dist/cli.js'), 'run', 'who.md', '--as', as, '--yes'], {
      cwd: scratch,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: `/home/${login}`, LANG: 'C.UTF-8', CI: 'true' },
      timeout: 60_000,
    });
    return { status: res.status, out: `${res.stdout}${res.stderr}` };
  }

  it('stepgate run --as: the step runs as the service user with the entry, and stops clearly without it', () => {
    const entry = addSudoers(`stepgate-test-${login}`, `${login} ALL=(${service}) NOPASSWD: ALL`);
    try {
      const ok = cliAsLogin();
      expect(ok.out).toContain(`step ran as ${service}`);
      expect(ok.status).toBe(0);
    } finally {
      removeSudoers(entry);
    }
    const refused = cliAsLogin();
    // Refused before a session starts: exit 2, the fix named, nothing run, no journal written.
    expect(refused.status).toBe(2);
    expect(refused.out).not.toContain('step ran as');
    expect(refused.out).not.toContain('session ');
    expect(refused.out).toContain(`${login} ALL=(${service}) NOPASSWD: ALL`);
  });

  it('--as root without the rule is refused without handing out a rule that gives the whole host (a trial)', () => {
    const refused = cliAsLogin('root');
    expect(refused.status).toBe(2);
    expect(refused.out).toContain(`${login} may not use sudo without a password`);
    expect(refused.out).toContain(`have an administrator decide whether ${login} may become root (that is control of this whole host)`);
    expect(refused.out).not.toContain('NOPASSWD');
  });

  it('a sudoers entry for named commands only: one error in sudo\'s words, not every directory and command read as missing', () => {
    const entry = addSudoers(`stepgate-test-${login}`, `${login} ALL=(${service}) NOPASSWD: /usr/bin/true`);
    try {
      const refused = cliAsLogin();
      expect(refused.status).toBe(1);
      expect(refused.out).toContain(`a login shell as ${service} did not start through sudo (sudo: a password is required)`);
      expect(refused.out).toContain('preflight: 1 error');
      expect(refused.out).not.toContain('preflight-missing-command');
      expect(refused.out).not.toContain(`step ran as ${service}`);
    } finally {
      removeSudoers(entry);
    }
  });

  it('with a NOPASSWD sudoers entry, steps run as the service user', async () => {
    const entry = addSudoers(`stepgate-test-${login}`, `${login} ALL=(${service}) NOPASSWD: ALL`);
    try {
      const result = runAsLogin();
      expect(result).toMatchObject({ ok: true, user: service });
      const lines = result.lines as string[];
      expect(lines).toContain(service);
      expect(lines).toContain(`home=/home/${service}`);
      expect(result.who).toMatchObject({ exitCode: 0 });
      // The timeout reached the step although it runs as another user.
      expect(result.slow).toMatchObject({ timedOut: true, exitCode: 130 });
      // close() ended the background job started as the service user.
      const bg = Number(/bg=(\d+)/.exec(lines.join('\n'))?.[1]);
      expect(bg).toBeGreaterThan(0);
      await waitFor('background job to end', () => !processAlive(bg));
    } finally {
      removeSudoers(entry);
    }
  });

  it('a run: probe through sudo gets its env on stdin, never on a command line', async () => {
    const fixture = path.join(scratch, 'probe-as.mjs');
    copyFileSync(path.resolve('test/exec/fixtures/probe-as.mjs'), fixture);
    chmodSync(fixture, 0o644);
    const secret = `sekret-${randomBytes(8).toString('hex')}`;
    const marker = `sg-marker-${randomBytes(4).toString('hex')}`;
    const entry = addSudoers(`stepgate-test-${login}`, `${login} ALL=(${service}) NOPASSWD: ALL`);
    try {
      const run = promisify(execFile)('runuser', ['-u', login, '--', process.execPath, fixture, distDir, service, marker], {
        cwd: scratch,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: `/home/${login}`, LANG: 'C.UTF-8', SG_SECRET: secret },
        timeout: 60_000,
      });
      const { result, found } = await scanWhile(run, [marker, secret]);
      const out = JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '{}');
      expect(out.seen).toMatchObject({ ok: true, output: `got=${secret} as ${service}` });
      expect(out.quoted).toMatchObject({ ok: true, output: "it's $HOME `x`\nline two" });
      expect(out.reads).toMatchObject({ ok: true, output: 'got=[]' });
      expect(found.has(marker)).toBe(true);
      expect(found.has(secret)).toBe(false);
    } finally {
      removeSudoers(entry);
    }
  });

  it('without the sudoers entry, stops before anything runs with the fix in the message', () => {
    const result = runAsLogin();
    expect(result.ok).toBe(false);
    expect(result.name).toBe('RunAsError');
    expect(result.message).toContain(`"${service}"`);
    expect(result.message).toContain(`${login} ALL=(${service}) NOPASSWD: ALL`);
    expect(result.message).toContain('/etc/sudoers.d/');
  });
});

describe('run as the invoking user', () => {
  it('resolves from libc to what getent says, without asking getent', async () => {
    const me = os.userInfo().username;
    const [user, , uid, gid, , home, shell] = execFileSync('getent', ['passwd', me], { encoding: 'utf8' }).trim().split(':');
    // A getent on PATH that would lie: the invoker's entry does not come from it.
    const bin = mkdtempSync(path.join(os.tmpdir(), 'stepgate-getent-'));
    writeFileSync(path.join(bin, 'getent'), `#!/bin/sh\necho "${me}:x:${uid}:${gid}::/wrong-home:/bin/false"\n`, { mode: 0o755 });
    const savedPath = process.env['PATH'];
    process.env['PATH'] = `${bin}:${savedPath}`;
    try {
      const runAs = await resolveRunAs(`${me}`);
      expect(runAs).toMatchObject({ user, uid: Number(uid), gid: Number(gid), home, shell, mode: 'self', invoker: me });
    } finally {
      process.env['PATH'] = savedPath;
      rmSync(bin, { recursive: true, force: true });
    }
  });
});
