/**
 * The shell's state across a crash, end to end with the built CLI and real ptys: a step's `cd`
 * and `export` survive a SIGKILL of stepgate (mid-step in plain mode, and at a gate in the
 * TUI), secret-looking exports do not, the kept state file is private and goes when the
 * session ends, and every replacement of the shell is in the journal and in `stepgate log`.
 */
import { existsSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTui, type Tui } from './tui-harness.js';
import { CLI } from '../helpers/paths.js';
import { Workspace, collect, waitForOutput } from './plain-harness.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

/**
 * Step 1 changes directory and exports; step 2 hangs (or fails) the first time; step 3 prints
 * what the shell has. `second` is step 2's first-time behaviour.
 */
function release(target: string, flag: string, second: 'hang' | 'fail'): string {
  const first = second === 'hang' ? 'echo "ship started"; sleep 30' : 'echo "ship failed"; false';
  return `---
title: Release
---
# Release

## Prepare

\`\`\`bash {name=prepare}
mkdir -p '${target}' && cd '${target}' && export RELEASE=abc SECRET_TOKEN=zzz
\`\`\`

## Ship

\`\`\`bash {name=ship}
if [ -f '${flag}' ]; then echo shipped; else touch '${flag}'; ${first}; fi
\`\`\`

## Verify

\`\`\`bash {name=verify}
echo "pwd=$PWD release=$RELEASE token=\${SECRET_TOKEN:-unset}"
\`\`\`
`;
}

function shellStateFile(id: string): string {
  return join(ws.sessionsDir(), `${id}.shell.json`);
}

/** The kept state is private, names the directory and holds no secret-looking export. */
function expectPrivateState(id: string, target: string): void {
  const file = shellStateFile(id);
  expect(existsSync(file)).toBe(true);
  expect(statSync(file).mode & 0o777).toBe(0o600);
  const text = ws.stateFiles().find((f) => f.path === file)?.text ?? '';
  expect(text).toContain(target);
  expect(text).toContain('RELEASE');
  expect(text).not.toContain('zzz');
  expect(text).not.toContain('SECRET_TOKEN');
}

describe('the shell state across stepgate resume', () => {
  it('after SIGKILL mid-step, resume restores cwd and exports, not secret-looking ones; the state file is 0600 and goes with the session', async () => {
    const target = join(ws.dir, 'x');
    ws.write('release.md', release(target, join(ws.dir, 'flag'), 'hang'));
    const child = ws.spawn(['run', 'release.md']);
    const done = collect(child);
    await waitForOutput(child, 'ship started');
    child.kill('SIGKILL');
    expect((await done).signal).toBe('SIGKILL');
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    expectPrivateState(id, target);

    const r = await ws.run(['resume', id, '--yes', '--rerun-interrupted']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[stepgate\] resumed in a new shell: restored cwd .*\/x and \d+ exported variables?; functions, aliases and unexported variables are gone/);
    expect(r.stdout).toContain(`pwd=${target} release=abc token=unset`);
    expect(r.stdout).not.toContain('zzz');
    expect(existsSync(shellStateFile(id))).toBe(false);

    const resets = ws.events(id).filter((e) => e.type === 'shell-reset');
    expect(resets).toEqual([expect.objectContaining({ cause: 'resumed', restored: { cwd: target, exported: expect.any(Number) } })]);
    const log = await ws.run(['log', id]);
    expect(log.stdout).toMatch(new RegExp(`shell replaced \\(resume\\): restored cwd ${target.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} and \\d+ exported variables?`));
  });

  it('a session from before the state was kept resumes with the old notice', async () => {
    const target = join(ws.dir, 'x');
    ws.write('release.md', release(target, join(ws.dir, 'flag'), 'fail'));
    const first = await ws.run(['run', 'release.md']);
    expect(first.code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    rmSync(shellStateFile(id));
    const r = await ws.run(['resume', id, '--retry']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('[stepgate] resumed in a fresh shell: directories and variables that earlier steps set with cd or export are gone');
    expect(r.stdout).toMatch(/pwd=\S+ release= token=unset/);
    const log = await ws.run(['log', id]);
    expect(log.stdout).toContain('shell replaced (resume): nothing restored');
  });

  it('when the kept directory is gone by the resume, the exports still come back and the operator is told', async () => {
    const target = join(ws.dir, 'x');
    ws.write('release.md', release(target, join(ws.dir, 'flag'), 'fail'));
    expect((await ws.run(['run', 'release.md'])).code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    rmSync(target, { recursive: true });
    const r = await ws.run(['resume', id, '--retry']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(`[stepgate] the kept directory ${target} cannot be entered any more, so the shell starts in its default directory`);
    expect(r.stdout).toContain(`pwd=${ws.dir} release=abc token=unset`);
    const reset = ws.events(id).find((e) => e.type === 'shell-reset');
    expect(reset).toMatchObject({ cause: 'resumed', restored: { exported: expect.any(Number) } });
    expect(reset?.type === 'shell-reset' && reset.restored?.cwd).toBeUndefined();
  });

  it('a step that ends the shell is journaled as a shell reset and shown by stepgate log', async () => {
    ws.write('leave.md', '# Leave\n\nSet up.\n\n```bash {name=setup}\ncd /usr/share && export KEPT=yes\n```\n\nLeave.\n\n```bash {name=leave}\nexit 0\n```\n\nLook.\n\n```bash {name=look}\necho "at=$PWD kept=$KEPT"\n```\n');
    const r = await ws.run(['run', 'leave.md']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('at=/usr/share kept=yes');
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    const types = ws.events(id).map((e) => e.type);
    expect(types.filter((t) => t === 'shell-reset')).toHaveLength(1);
    expect(ws.events(id).find((e) => e.type === 'shell-reset')).toMatchObject({ cause: 'shell-ended', restored: { cwd: '/usr/share' } });
    const log = await ws.run(['log', id]);
    expect(log.stdout).toMatch(/step leave passed exit 0[^\n]*\n[\s\S]*step look started[^\n]*\n[^\n]*shell replaced \(the shell ended\): restored cwd \/usr\/share and \d+ exported variables?\n\s+the shell exited with status 0/);
    expect(existsSync(shellStateFile(id))).toBe(false);
  });
});

/** The TUI in a real pty at 80x24 in the workspace. */
function startWsTui(args: string[]): Tui {
  return startTui(args, ws.dir, ws.state);
}

describe('the shell state across a TUI killed at a gate', () => {
  it('SIGKILL at a gate in the TUI, then stepgate resume: the retried step and the next see the cwd and exports', async () => {
    const target = join(ws.dir, 'x');
    ws.write('release.md', release(target, join(ws.dir, 'flag'), 'fail'));
    const tui = startWsTui(['release.md']);
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('[x] prepare');
    tui.press('\r');
    await tui.waitFor('BLOCKED at ship');
    tui.kill('SIGKILL');
    await tui.exited;
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    expectPrivateState(id, target);

    // No terminal here: resume walks on in plain mode.
    const r = await ws.run(['resume', id, '--retry']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[stepgate\] resumed in a new shell: restored cwd \S+\/x and \d+ exported variables?/);
    expect(r.stdout).toContain('shipped');
    expect(r.stdout).toContain(`pwd=${target} release=abc token=unset`);
    expect(existsSync(shellStateFile(id))).toBe(false);
  });
});
