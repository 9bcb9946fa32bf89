/**
 * The shell's saved state lives in a directory the step user owns. Through runuser stepgate is
 * root and reads those files itself: a step of that user must not get it to read a file the
 * user could not (a symlink planted in place of a state file). Real users, real ptys.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER_OSC } from '../../src/exec/marker.js';
import { openShell } from '../../src/exec/shell.js';
import type { Shell } from '../../src/exec/types.js';
import { createUser, isRoot, removeUser } from './helpers.js';

const root = isRoot();
if (!root) console.warn('run-as state file tests skipped: they create a throwaway user and need root');

let service = '';
let rootOnly = '';
let scratch = '';
let shell: Shell | undefined;

beforeAll(() => {
  if (!root) return;
  service = createUser('sgstf');
  scratch = mkdtempSync(path.join(os.tmpdir(), 'stepgate-statefiles-'));
  rootOnly = path.join(scratch, 'root-only');
  writeFileSync(rootOnly, 'ROOT-ONLY-CONTENT\n', { mode: 0o600 });
});

afterAll(async () => {
  await shell?.close();
  if (service) removeUser(service);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(!root)('the saved state read through runuser', () => {
  it('gives the command FIFO, which carries each step\'s env (secrets too), to the step user alone (a review)', async () => {
    const own = await openShell({ user: service, cwd: '/tmp' });
    try {
      const result = await own.run({ script: 'id -un', env: { DB_PASSWORD: 'Sup3rSecretPw' } });
      expect(result.exitCode).toBe(0);
      const fifos = readdirSync(os.tmpdir())
        .filter((n) => n.startsWith(`stepgate-sh-${process.pid}-`))
        .flatMap((d) => readdirSync(path.join(os.tmpdir(), d)).filter((n) => n.startsWith('cmd-')).map((n) => path.join(os.tmpdir(), d, n)));
      expect(fifos.length).toBeGreaterThan(0);
      const uid = Number(execFileSync('id', ['-u', service], { encoding: 'utf8' }).trim());
      for (const fifo of fifos) {
        const st = statSync(fifo);
        expect(st.isFIFO()).toBe(true);
        expect(st.uid).toBe(uid);
        expect(st.mode & 0o777).toBe(0o600);
      }
    } finally {
      await own.close();
    }
  });

  it('is not read through a symlink the step user planted', async () => {
    shell = await openShell({ user: service, cwd: '/tmp' });
    // The user replaces its own state files: cwd by a link to root's file, state by one that
    // holds the NUL the reader cuts at and that the shell (not root) cannot write over.
    const plant = [
      `ln -sfn ${rootOnly} "$__sg_state/cwd"`,
      `rm -f "$__sg_state/state"`,
      `printf 'x\\0' >"$__sg_state/state"`,
      `chmod 444 "$__sg_state/state"`,
    ].join(' && ');
    const result = await shell.run({ script: plant });
    expect(result.exitCode).toBe(0);
    const snap = await shell.snapshot?.();
    expect(JSON.stringify(snap ?? {})).not.toContain('ROOT-ONLY-CONTENT');
  });

  it('keeps the state directory the shell reported at its start: a step cannot point root at another one', async () => {
    const precious = path.join(scratch, 'precious');
    mkdirSync(precious, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(precious, 'keep'), 'root data\n', { mode: 0o600 });
    const forger = await openShell({ user: service, cwd: '/tmp' });
    try {
      // The marker's nonce is in the shell's own functions, which a step of that user can print.
      const forge = [
        `n=$(declare -f __sg_done | grep -o '${MARKER_OSC};[0-9a-f]*;' | head -n 1)`,
        `printf '\\033]%sr;%s;%s;0;0\\007' "$n" "$$" ${precious} >/dev/tty`,
      ].join('; ');
      const result = await forger.run({ script: forge });
      expect(result.exitCode).toBe(0);
      await forger.snapshot?.();
    } finally {
      await forger.close();
    }
    // close() removes the shell's state directory as root.
    expect(existsSync(path.join(precious, 'keep'))).toBe(true);
  });
});

describe.skipIf(!root)("the files of a shell as another user, from root (a review: root chowned and wrote through names the user controlled)", () => {
  it("keeps the shell's own directory root's: the step user can neither rename nor add to it", async () => {
    const sh = await openShell({ user: service, cwd: '/tmp' });
    try {
      // The rcfile's path is on bash's command line, which the user can read.
      const script = [
        `rc=$(tr '\\0' '\\n' </proc/$$/cmdline | grep '/rc-')`,
        'd=${rc%/*}',
        'mv -- "$rc" "$rc.moved" 2>/dev/null; mv=$?',
        'ln -s /etc/passwd "$d/cmd-planted" 2>/dev/null; ln=$?',
        'echo "dir=$d owner=$(stat -c %u:%a "$d") mv=$mv ln=$ln"',
      ].join('\n');
      expect((await sh.run({ script })).exitCode).toBe(0);
      const said = /dir=(\S+) owner=(\S+) mv=(\d+) ln=(\d+)/.exec(sh.screen().lines.join('\n'));
      expect(said?.[2]).toBe('0:711');
      expect(said?.[3]).not.toBe('0');
      expect(said?.[4]).not.toBe('0');
    } finally {
      await sh.close();
    }
  });

  it("removes the shell's state directory as its user, not as root: what the user could not remove stays", async () => {
    const sh = await openShell({ user: service, cwd: '/tmp' });
    let state = '';
    try {
      expect((await sh.run({ script: 'echo "state=$__sg_state"' })).exitCode).toBe(0);
      state = /state=(\/\S+)/.exec(sh.screen().lines.join('\n'))?.[1] ?? '';
      expect(state).toMatch(/stepgate-state-/);
      // Root's own directory inside it: root would remove it, its user cannot.
      mkdirSync(path.join(state, 'roots'), { mode: 0o755 });
      writeFileSync(path.join(state, 'roots', 'file'), 'root\n');
    } finally {
      await sh.close();
    }
    expect(existsSync(path.join(state, 'roots', 'file'))).toBe(true);
    expect(existsSync(path.join(state, 'state'))).toBe(false);
    rmSync(state, { recursive: true, force: true });
  });
});

describe('the setup markers', () => {
  it('are answered once: a step that forges the config request gets no session environment typed at it', async () => {
    const secret = 'sess-9a8b7c6d5e';
    const sh = await openShell({ cwd: '/tmp', env: { DEPLOY_KEY_VALUE: secret } });
    try {
      // Forged, stepgate would type the FIFO path and the environment (hex) at the step, echoed.
      const forge = [
        `n=$(declare -f __sg_done | grep -o '${MARKER_OSC};[0-9a-f]*;' | head -n 1)`,
        `printf '\\033]%sc;\\007' "$n" >/dev/tty`,
        'sleep 1',
      ].join('; ');
      expect((await sh.run({ script: forge })).exitCode).toBe(0);
      const screen = sh.screen().lines.join('\n');
      expect(screen).not.toMatch(/^f \//m);
      expect(screen).not.toContain(Buffer.from(secret).toString('hex').slice(0, 8).replace(/(..)/g, '\\x$1'));
    } finally {
      await sh.close();
    }
  });
});
