/**
 * The session's shell starts ahead of the first step that runs in it, while the operator reads
 * that step (on a real host `sudo -i` as the service user takes a second or two, which the
 * first step used to wait for). These tests hold the shell's start open to see each moment.
 */
import { describe, expect, it } from 'vitest';
import type { Shell, ShellOptions } from '../../src/exec/types.js';
import { FakeShell } from '../fakes/fake-shell.js';
import { fakeSession } from '../fakes/session.js';

const FILE = '/rb/ahead.md';
const RUNBOOK = '# Ahead\n\n## Restart\n\n```bash {name=restart}\nsystemctl restart app\n```\n';
const MANUAL_ONLY = '# Checklist\n\n- [ ] Tell the team\n- [ ] Open the dashboard\n';
const WITH_VAR = `---
vars:
  RELEASE:
    prompt: Release to deploy
---
# Ahead

\`\`\`bash {name=deploy}
echo "$RELEASE"
\`\`\`
`;

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(ok()).toBe(true);
}

/** An openShell whose start the test finishes (or fails) when it says. */
function heldOpen(shell: FakeShell): { openShell: (options: ShellOptions) => Promise<Shell>; calls: ShellOptions[]; finish: () => void; refuse: (why: string) => void } {
  const calls: ShellOptions[] = [];
  const waiting: Array<{ options: ShellOptions; resolve: (s: Shell) => void; reject: (e: Error) => void }> = [];
  return {
    calls,
    openShell: (options) =>
      new Promise((resolve, reject) => {
        calls.push(options);
        waiting.push({ options, resolve, reject });
      }),
    finish: () => {
      const next = waiting.shift();
      if (next) void shell.factory(next.options).then(next.resolve);
    },
    refuse: (why) => waiting.shift()?.reject(new Error(why)),
  };
}

describe('the session shell starts ahead of the first step', () => {
  it('starts when the session starts, unannounced, and the first step runs in that very shell', async () => {
    const shell = new FakeShell();
    const held = heldOpen(shell);
    const t = fakeSession({ [FILE]: RUNBOOK }, { openShell: held.openShell });
    await t.actions.start({ file: FILE, as: 'ubuntu' });
    expect(held.calls).toHaveLength(1);
    expect(held.calls[0]?.user).toBe('ubuntu');
    // No step waits for it: the faces do not say a shell is starting.
    expect(t.store.getState().shellStarting).toBeUndefined();
    expect(t.state().status.kind).toBe('ready');

    held.finish();
    void t.actions.runStep();
    await t.actions.idle();
    expect(held.calls).toHaveLength(1);
    expect(shell.requests.map((r) => r.script)).toEqual(['systemctl restart app']);
    expect(t.state().frames[0]?.steps[0]?.status).toBe('passed');
  });

  it('a step started while the shell is still starting waits for it and says so', async () => {
    const shell = new FakeShell();
    const held = heldOpen(shell);
    const t = fakeSession({ [FILE]: RUNBOOK }, { openShell: held.openShell });
    await t.actions.start({ file: FILE, as: 'ubuntu' });
    void t.actions.runStep();
    await until(() => t.store.getState().shellStarting !== undefined);
    expect(t.store.getState().shellStarting).toBe('ubuntu');
    expect(shell.requests).toHaveLength(0);
    held.finish();
    await t.actions.idle();
    expect(t.store.getState().shellStarting).toBeUndefined();
    expect(shell.requests).toHaveLength(1);
    expect(held.calls).toHaveLength(1);
  });

  it('a start that failed ahead fails the step that needed it, and its retry starts a new shell', async () => {
    const shell = new FakeShell();
    const held = heldOpen(shell);
    const t = fakeSession({ [FILE]: RUNBOOK }, { openShell: held.openShell });
    await t.actions.start({ file: FILE, as: 'ubuntu' });
    held.refuse('sudo: a password is required');
    await new Promise((resolve) => setTimeout(resolve, 5));
    // Nothing is said before a step needs the shell.
    expect(t.store.getState().error).toBeUndefined();
    await t.actions.runStep();
    await t.actions.idle();
    expect(t.state().status.kind).toBe('blocked');
    expect(JSON.stringify(t.journal.events.find((e) => e.type === 'step-finished'))).toContain('sudo: a password is required');
    expect(held.calls).toHaveLength(1);

    await t.actions.retry();
    await until(() => held.calls.length === 2);
    held.finish();
    await t.actions.idle();
    expect(t.state().frames[0]?.steps[0]?.status).toBe('passed');
  });

  it('a checklist of manual items starts no shell', async () => {
    const t = fakeSession({ [FILE]: MANUAL_ONLY });
    await t.actions.start({ file: FILE });
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(t.shell.opened).toHaveLength(0);
  });

  it('waits for the vars: the shell starts with the answer in its environment', async () => {
    const t = fakeSession({ [FILE]: WITH_VAR });
    await t.actions.start({ file: FILE });
    expect(t.state().status.kind).toBe('vars');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(t.shell.opened).toHaveLength(0);
    await t.actions.answerVar('1.4.2');
    await until(() => t.shell.opened.length === 1);
    expect(t.shell.opened[0]?.env).toMatchObject({ RELEASE: '1.4.2' });
  });

  it('takes the size the face asked for while it was starting', async () => {
    const shell = new FakeShell();
    const held = heldOpen(shell);
    const t = fakeSession({ [FILE]: RUNBOOK }, { openShell: held.openShell });
    await t.actions.start({ file: FILE });
    expect(held.calls[0]).toMatchObject({ cols: 80, rows: 24 });
    t.actions.resize(100, 30);
    held.finish();
    await until(() => shell.size.cols === 100);
    expect(shell.size).toEqual({ cols: 100, rows: 30 });
  });

  it('is closed with the session when no step ever ran in it, even while it is still starting', async () => {
    const shell = new FakeShell();
    const held = heldOpen(shell);
    const t = fakeSession({ [FILE]: RUNBOOK }, { openShell: held.openShell });
    await t.actions.start({ file: FILE });
    const closed = t.actions.close();
    held.finish();
    await closed;
    expect(shell.closed).toBe(1);
    expect(shell.requests).toHaveLength(0);
  });

  it('with shellAtStart false (the TUI, whose first frame comes first), starts when a face asks, and from then on after a var', async () => {
    const t = fakeSession({ [FILE]: WITH_VAR }, { shellAtStart: false });
    await t.actions.start({ file: FILE });
    await t.actions.answerVar('1.4.2');
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(t.shell.opened).toHaveLength(0);
    t.actions.prepareShell();
    await until(() => t.shell.opened.length === 1);

    const u = fakeSession({ [FILE]: WITH_VAR }, { shellAtStart: false });
    await u.actions.start({ file: FILE });
    // Asked while a var is still to answer: the shell waits for it, then starts.
    u.actions.prepareShell();
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect(u.shell.opened).toHaveLength(0);
    await u.actions.answerVar('1.4.3');
    await until(() => u.shell.opened.length === 1);
    expect(u.shell.opened[0]?.env).toMatchObject({ RELEASE: '1.4.3' });
  });
});
