/**
 * A shell's snapshot (cwd + exports) read back after its steps, and a new shell started from
 * one: what a resumed session gets from the shell of a stepgate that died. Real ptys.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configLines } from '../../src/exec/rc-script.js';
import { changedExports, parseSavedExports, restorableExports, restoreScript } from '../../src/exec/saved-exports.js';
import type { Shell, ShellEvent, ShellSnapshot } from '../../src/exec/types.js';
import { shellFixture } from './helpers.js';

const fx = shellFixture('stepgate-snapshot-test-');
const open = fx.open;

function lastLine(sh: Shell): string {
  return sh.screen().lines.at(-1) ?? '';
}

describe('Shell.snapshot', () => {
  it('holds the cwd as it is and the exports a new shell may take, never secret-looking names or the session env', async () => {
    const odd = path.join(fx.dir, "a b'c $x");
    mkdirSync(odd);
    const sh = await open({ env: { GIVEN: 'from-stepgate' } });
    const res = await sh.run({
      script: `cd ${JSON.stringify(odd).replace(/\$/g, '\\$')} && export RELEASE=abc SECRET_TOKEN=zzz DB_PASSWORD=pw1 MULTI=$'one\\ntwo "q"' GIVEN=changed; unexported=1`,
    });
    expect(res.exitCode).toBe(0);
    const snap = await sh.snapshot?.();
    expect(snap?.cwd).toBe(odd);
    expect(snap?.user).toBe(sh.user);
    const names = snap?.exports.map((e) => e.name) ?? [];
    // What steps set, not what the environment gave (a later stepgate gives that afresh).
    expect(names.filter((n) => n !== 'OLDPWD').sort()).toEqual(['MULTI', 'RELEASE']);
    for (const gone of ['SECRET_TOKEN', 'DB_PASSWORD', 'GIVEN', 'PWD', 'PATH', 'unexported']) expect(names).not.toContain(gone);
    expect(JSON.stringify(snap)).not.toMatch(/zzz|pw1|changed/);
  });

  it('follows every change, also one that keeps the names and changes only a value', async () => {
    const sh = await open();
    const value = async (): Promise<string | undefined> => (await sh.snapshot?.())?.exports.find((e) => e.name === 'STAGE')?.declaration;
    await sh.run({ script: 'export STAGE=one' });
    expect(await value()).toBe('declare -x STAGE="one"');
    await sh.run({ script: 'true' });
    expect(await value()).toBe('declare -x STAGE="one"');
    await sh.run({ script: 'STAGE=two' });
    expect(await value()).toBe('declare -x STAGE="two"');
    await sh.run({ script: 'export -n STAGE' });
    expect(await value()).toBeUndefined();
  });

  it('is still readable after a step ended the shell with exit N', async () => {
    const sh = await open();
    await sh.run({ script: 'cd /usr/share && export AFTER_EXIT=1; exit 3' });
    const snap = await sh.snapshot?.();
    expect(snap?.cwd).toBe('/usr/share');
    expect(snap?.exports.some((e) => e.name === 'AFTER_EXIT')).toBe(true);
    // The replacement shell restored it, and its own snapshot still counts it as set by a step.
    await sh.run({ script: 'cd /usr' });
    const next = await sh.snapshot?.();
    expect(next?.cwd).toBe('/usr');
    expect(next?.exports.some((e) => e.name === 'AFTER_EXIT')).toBe(true);
  });
});

describe('openShell({ restore })', () => {
  it('starts a new shell in the saved directory with the saved exports, values exactly as they were', async () => {
    const target = path.join(fx.dir, 'x');
    mkdirSync(target);
    const first = await open();
    await first.run({ script: `cd ${target} && export RELEASE=abc SECRET_TOKEN=zzz MULTI=$'one\\ntwo "q" $HOME \\\\'` });
    const snap = (await first.snapshot?.()) as ShellSnapshot;
    await first.close();

    const second = await open({ restore: snap });
    await second.run({ script: 'printf "%s|%s|%s|%q\\n" "$PWD" "$RELEASE" "${SECRET_TOKEN:-unset}" "$MULTI"' });
    expect(lastLine(second)).toBe(`${target}|abc|unset|$'one\\ntwo "q" $HOME \\\\'`);
    expect(second.restored).toEqual({ cwd: target, exported: snap.exports.length });
  });

  it("never takes over the shell's own plumbing: a kept PROMPT_COMMAND or PS1 would stop it reporting (a resume that never starts)", async () => {
    const first = await open();
    // Exported as they are (still stepgate's): live, the shell goes on reporting.
    await first.run({ script: 'export PROMPT_COMMAND PS1 RELEASE=abc' });
    const snap = (await first.snapshot?.()) as ShellSnapshot;
    await first.close();
    expect(snap.exports.map((e) => e.name)).toEqual(['RELEASE']);

    // A state kept by an older stepgate, or a step that replaced them before the shell died.
    const kept: ShellSnapshot = {
      ...snap,
      exports: [
        ...snap.exports,
        { name: 'PROMPT_COMMAND', declaration: 'declare -x PROMPT_COMMAND="true"' },
        { name: 'PS1', declaration: 'declare -x PS1="prompt> "' },
      ],
    };
    const second = await open({ restore: kept });
    const result = await second.run({ script: 'echo "release=$RELEASE"' });
    expect(result.exitCode).toBe(0);
    expect(lastLine(second)).toBe('release=abc');
    expect(second.restored?.exported).toBe(1);
  });

  it('keeps the session env stepgate gives over a saved value, and falls back to cwd when the saved directory is gone', async () => {
    const snap: ShellSnapshot = {
      user: os.userInfo().username,
      cwd: path.join(fx.dir, 'removed-since'),
      exports: [
        { name: 'GIVEN', declaration: 'declare -x GIVEN="stale"' },
        { name: 'KEPT', declaration: 'declare -x KEPT="yes"' },
        // A declaration that does not match its name is not evaluated.
        { name: 'SNEAKY', declaration: 'declare -x OTHER="x"; touch /tmp/sg-never' },
      ],
    };
    const sh = await open({ restore: snap, env: { GIVEN: 'fresh' } });
    await sh.run({ script: 'echo "$PWD $GIVEN ${KEPT-} ${OTHER-none}"' });
    expect(lastLine(sh)).toBe(`${fx.dir} fresh yes none`);
    // KEPT only; and no cwd: the kept directory was not entered.
    expect(sh.restored).toEqual({ exported: 1 });
  });

  it('takes what the environment gives from the new process (a new SSM session), and keeps restored exports in its own snapshot', async () => {
    process.env.SG_SNAPSHOT_FROM_ENV = 'old-session';
    try {
      const first = await open();
      await first.run({ script: 'export RELEASE=abc' });
      const snap = (await first.snapshot?.()) as ShellSnapshot;
      expect(snap.exports.map((e) => e.name)).not.toContain('SG_SNAPSHOT_FROM_ENV');
      await first.close();
      process.env.SG_SNAPSHOT_FROM_ENV = 'new-session';
      const second = await open({ restore: snap });
      await second.run({ script: 'echo "$SG_SNAPSHOT_FROM_ENV $RELEASE"' });
      expect(lastLine(second)).toBe('new-session abc');
      expect((await second.snapshot?.())?.exports.map((e) => e.name)).toContain('RELEASE');
    } finally {
      delete process.env.SG_SNAPSHOT_FROM_ENV;
    }
  });

  it('ignores a snapshot of another user', async () => {
    const snap: ShellSnapshot = { user: 'somebody-else-sg', cwd: '/usr', exports: [{ name: 'FOREIGN', declaration: 'declare -x FOREIGN="1"' }] };
    const sh = await open({ restore: snap });
    await sh.run({ script: 'echo "$PWD ${FOREIGN-unset}"' });
    expect(lastLine(sh)).toBe(`${fx.dir} unset`);
    expect(sh.restored).toBeUndefined();
  });

  it('reports what a replacement shell restored when a step ends the shell', async () => {
    const sh = await open();
    const events: ShellEvent[] = [];
    sh.onEvent((e) => events.push(e));
    await sh.run({ script: 'cd /usr/share && export ONE=1; exit 2' });
    await sh.run({ script: 'true' });
    const reset = events.find((e) => e.type === 'shell-reset');
    expect(reset?.type === 'shell-reset' && reset.restored?.cwd).toBe('/usr/share');
    // ONE; not OLDPWD, which cd set (bash's own, like PWD).
    expect(reset?.type === 'shell-reset' && reset.restored?.exported).toBe(1);
    expect(reset?.type === 'shell-reset' && reset.reason).toContain('in /usr/share with 1 exported variable restored');
  });
});

describe('the typed snapshot', () => {
  it('goes to the shell as short printable lines after the environment: declarations, then the directory', () => {
    const text = configLines('/tmp/d/cmd-x', { A: '1' }, { script: `declare -x BIG="${'é'.repeat(3000)}"\n`, cwd: '/srv/a\nb' });
    const lines = text.split('\n').slice(0, -1);
    expect(lines.map((l) => l.slice(0, 2))).toEqual(['f ', 'e ', 's ', 's ', 's ', 's ', 's ', 's ', 's ', 'w ', '.']);
    for (const line of lines) {
      expect(line.length).toBeLessThan(4095);
      expect(line).toMatch(/^[ -~]*$/);
    }
  });

  it('keeps what steps changed, not what the shell started with', () => {
    const base = [
      { name: 'PATH', declaration: 'declare -x PATH="/usr/bin"' },
      { name: 'HOME', declaration: 'declare -x HOME="/root"' },
    ];
    const now = [
      { name: 'PATH', declaration: 'declare -x PATH="/usr/bin:/opt/x"' },
      { name: 'HOME', declaration: 'declare -x HOME="/root"' },
      { name: 'RELEASE', declaration: 'declare -x RELEASE="abc"' },
    ];
    expect(changedExports(now, base).map((e) => e.name)).toEqual(['PATH', 'RELEASE']);
  });
});

describe('parseSavedExports', () => {
  it('splits declare -p output into one entry per variable and leaves the cd line out', () => {
    const text = 'declare -x A="1"\ndeclare -ax ARR=([0]="x" [1]="y")\ndeclare -x OLD="line one\nline two \\"declare -x FAKE=1\\""\ndeclare -x E=$\'a\\nb\'\nbuiltin cd -- /tmp\n';
    const entries = parseSavedExports(text);
    expect(entries.map((e) => e.name)).toEqual(['A', 'ARR', 'OLD', 'E']);
    expect(entries[2]?.declaration).toBe('declare -x OLD="line one\nline two \\"declare -x FAKE=1\\""');
    expect(restorableExports(entries, ['A']).map((e) => e.name)).toEqual(['ARR', 'OLD', 'E']);
  });

  // bash 5.1 and older (Ubuntu 22.04, RHEL 9) write a newline inside "..." as it is, and escape
  // only \\ " $ ` there: a value's next line may look like a declaration of its own.
  const pwned = path.join(os.tmpdir(), `stepgate-pwned-${process.pid}`);
  const crafted = `/srv/a\ndeclare -x FOO='x'; touch ${pwned} #`;
  const oldBash = (value: string): string => `declare -x PWD="${value.replace(/[\\"$`]/g, (c) => `\\${c}`)}"\n`;

  it('keeps a value that spans lines whole: a line of it that looks like a declaration is not one', () => {
    const state = `declare -x KEEP="1"\n${oldBash(crafted)}builtin cd -- /srv\n`;
    const entries = parseSavedExports(state);
    expect(entries.map((e) => e.name)).toEqual(['KEEP', 'PWD']);
    expect(entries[1]?.declaration).toBe(oldBash(crafted).trimEnd());
  });

  it('never gives a new shell text that runs a command, whatever a value held', () => {
    rmSync(pwned, { force: true });
    const base = parseSavedExports(`declare -x PWD="/srv"\n`);
    const state = parseSavedExports(`${oldBash(crafted)}declare -x NOTE="x" ; touch ${pwned}\ndeclare -x B=$'ok'\n`);
    const script = restoreScript(restorableExports(changedExports(state, base)));
    execFileSync('bash', ['--norc', '--noprofile', '-c', 'eval "$1" 2>/dev/null; :', 'bash', script]);
    expect(existsSync(pwned)).toBe(false);
    expect(script).toBe("declare -x B=$'ok'\n");
  });

  it("takes every declaration bash writes: quoted values, arrays with quoted keys, bare names", () => {
    const script = [
      'export A=\'x"y$z`w\\v\' B=$\'l1\\nl2\\\'q\' E',
      "declare -ax ARR=(1 'two words' $'n\\nl')",
      "declare -Ax M=([k]=v ['a b']=c ['x]y']=$'q\\n' [\\$d]=1)",
      'declare -rx R=ro; declare -ix I=5',
      'declare -p A B E ARR M R I',
    ].join('\n');
    const entries = parseSavedExports(execFileSync('bash', ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' }));
    expect(restorableExports(entries).map((e) => e.name)).toEqual(['A', 'B', 'E', 'ARR', 'M', 'R', 'I']);
  });
});
