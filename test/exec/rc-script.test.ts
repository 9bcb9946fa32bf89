import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { configLines, rcScript, secretNameCase, stepCommand, stepFile } from '../../src/exec/rc-script.js';
import { envAssignments, shQuote, unquoteShell } from '../../src/exec/shell-quote.js';
import { looksSecretName } from '../../src/runbooks/vars.js';
import { SECRET_NAMES, NOT_SECRET_NAMES } from '../helpers/secret-names.js';
import { asUser, loginDoneByWrapper } from '../../src/exec/run-as.js';
import type { RunAs } from '../../src/exec/run-as.js';

const base: Omit<RunAs, 'mode'> = { user: 'ubuntu', uid: 1000, gid: 1000, home: '/home/ubuntu', shell: '/bin/bash', invoker: 'ssm-user' };

describe('asUser', () => {
  it('runs directly, through runuser, or through sudo -n (-i for a login)', () => {
    expect(asUser({ ...base, mode: 'self' }, ['id', '-un'])).toEqual({ file: 'id', args: ['-un'] });
    // Through runuser, a root bash closes the pty masters first, then becomes runuser.
    const viaRunuser = asUser({ ...base, mode: 'runuser' }, ['id']);
    expect(viaRunuser.file).toBe('/bin/bash');
    expect(viaRunuser.args.slice(3)).toEqual(['runuser', '-u', 'ubuntu', '--', 'id']);
    expect(execFileSync(viaRunuser.file, [viaRunuser.args[0]!, viaRunuser.args[1]!, 'x', 'echo', 'ran:', 'a b'], { encoding: 'utf8' })).toBe('ran: a b\n');
    expect(asUser({ ...base, mode: 'sudo' }, ['id'], { login: true })).toEqual({ file: 'sudo', args: ['-n', '-u', 'ubuntu', '-i', '--', 'id'] });
    expect(asUser({ ...base, mode: 'sudo' }, ['id'])).toEqual({ file: 'sudo', args: ['-n', '-u', 'ubuntu', '-H', '--', 'id'] });
  });

  it('does not log in through a nologin shell', () => {
    const service: RunAs = { ...base, shell: '/usr/sbin/nologin', mode: 'sudo' };
    expect(asUser(service, ['id'], { login: true }).args).toEqual(['-n', '-u', 'ubuntu', '-H', '--', 'id']);
    expect(loginDoneByWrapper(service)).toBe(false);
  });
});

describe('bootstrap text', () => {
  it('quotes anything for bash', () => {
    const nasty = `a'b"c $HOME \`x\` \\ \n`;
    expect(execFileSync('bash', ['-c', `printf %s ${shQuote(nasty)}`], { encoding: 'utf8' })).toBe(nasty);
  });

  it('builds the FIFO command line with cwd and env, and rejects bad names', () => {
    expect(stepCommand(3, '/tmp/d/step-x', { cwd: '/srv/app', env: { A: "it's" } })).toBe(
      `__sg_id=3; __sg_ret=$PWD; builtin cd -- '/srv/app' && A='it'\\''s' . '/tmp/d/step-x' </dev/tty; { __sg_hook; } 2>/dev/null\n`,
    );
    expect(() => envAssignments({ 'BAD-NAME': 'x' })).toThrow(/invalid environment variable name "BAD-NAME"/);
  });

  it('keeps config lines short enough for a canonical-mode terminal, free of control characters', () => {
    const text = configLines('/tmp/d/cmd-x', { BIG: 'é'.repeat(3000), CTRL: '\u0003\u0004\u0015' });
    const lines = text.split('\n').slice(0, -1);
    expect(lines[0]).toBe('f /tmp/d/cmd-x');
    expect(lines.at(-1)).toBe('.');
    expect(lines.filter((l) => l.startsWith('a BIG '))).toHaveLength(6);
    for (const line of lines) {
      expect(line.length).toBeLessThan(4095);
      expect(line).toMatch(/^[ -~]*$/);
    }
  });

  it('writes an rcfile bash parses, for a login and not, fresh or replacing a shell', () => {
    for (const opts of [{ login: false }, { login: true, ownerPid: 42 }, { login: true, restoreFrom: "/tmp/stepgate-state-1-it's" }]) {
      const rc = rcScript({ nonce: '0123abcd', ...opts });
      expect(() => execFileSync('bash', ['-n'], { input: rc, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] })).not.toThrow();
    }
  });

  it('holds nothing of a session in the rcfile: directory, session names and secret names are typed', () => {
    const rc = rcScript({ nonce: '0123abcd', login: false });
    const text = configLines('/tmp/d/cmd-x', { API_TOKEN: 'v', PORT: '1' }, undefined, { cwd: '~/app dir', sessionEnvNames: ['API_TOKEN', 'port'], secretEnvNames: ['API_TOKEN'] });
    for (const word of ['app dir', 'API_TOKEN', 'PORT']) expect(rc).not.toContain(word);
    const lines = text.split('\n');
    expect(lines).toContain('n API_TOKEN');
    expect(lines).toContain('n PORT');
    expect(lines).toContain('x API_TOKEN');
    expect(lines.filter((l) => l.startsWith('d '))).toHaveLength(1);
    expect(() => configLines('/tmp/d/cmd-x', {}, undefined, { secretEnvNames: ['A;rm'] })).toThrow(/invalid environment variable name/);
  });

  it('prefixes the step with the xtrace restore on its first line, keeping line numbers', () => {
    expect(stepFile('echo $LINENO\necho two')).toBe('__sg_pre;echo $LINENO\necho two\n');
  });
});

describe('reading back what bash quoted', () => {
  it('unquoteShell gives back any value from printf %q and ${X@Q}, in a UTF-8 and in the C locale', () => {
    const values = ['plain-token', `it's "q" $x \`y\` \\ !*?;&|<>(){}[]#~=,`, 'two\nlines\tand\u001b[1m esc é ✓', ' lead and trail ', '\u0001\u007f'];
    for (const locale of ['C.UTF-8', 'C']) {
      for (const value of values) {
        const out = execFileSync('bash', ['--norc', '-c', 'printf "%q\\n" "$X"; printf "%s\\n" "${X@Q}"'], { env: { X: value, LC_ALL: locale, PATH: process.env.PATH ?? '' }, encoding: 'utf8' });
        const [q = '', at = ''] = out.split('\n');
        expect(unquoteShell(q), `${locale} %q ${q}`).toBe(value);
        expect(unquoteShell(at), `${locale} @Q ${at}`).toBe(value);
      }
    }
  });
});

describe('secret-looking names', () => {
  it("the shell's state files leave out exactly the names the session redacts (bash's case against looksSecretName)", () => {
    const names = [...SECRET_NAMES, ...NOT_SECRET_NAMES, 'gh_auth', 'Api_Key', 'oauth', 'keyring', '__SG_X', 'X_SOCK_KEY'];
    const script = `for __sg_n in ${names.join(' ')}; do\n  ${secretNameCase('__sg_n', 'echo "$__sg_n"; continue')}\ndone`;
    const inBash = execFileSync('bash', ['--norc', '-c', script], { encoding: 'utf8' }).split('\n').filter((n) => n !== '');
    expect(inBash).toEqual(names.filter(looksSecretName));
    expect(inBash).toContain('API_KEY');
    expect(inBash).not.toContain('SSH_AUTH_SOCK');
  });
});
