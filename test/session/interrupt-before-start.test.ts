/**
 * Seen once in a trial: the first step of a session, interrupted with ctrl-c, showed an empty
 * transcript. The first step waits for the session's shell to start (a second or two on a real
 * host); a ctrl-c in that window stops the step before its script runs. The transcript and
 * the gate say so, instead of an empty file that reads as a run that printed nothing.
 */
import { describe, expect, it } from 'vitest';
import type { Shell, ShellOptions } from '../../src/exec/types.js';
import { FakeShell } from '../fakes/fake-shell.js';
import { fakeSession } from '../fakes/session.js';

const FILE = '/rb/first.md';
const RUNBOOK = '# First\n\n## Print\n\n```bash {name=printer}\necho line 1\nsleep 30\n```\n';

async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 2));
  expect(ok()).toBe(true);
}

describe('ctrl-c while the first step waits for its shell', () => {
  it('stops the step before its script runs, and its transcript and reason say nothing ran', async () => {
    const shell = new FakeShell();
    let open: (() => void) | undefined;
    // The shell starts only when the test says: the window a real bash's start-up leaves.
    const slowOpen = (options: ShellOptions): Promise<Shell> =>
      new Promise((resolve) => {
        open = () => void shell.factory(options).then(resolve);
      });
    const t = fakeSession({ [FILE]: RUNBOOK }, { openShell: slowOpen });
    await t.actions.start({ file: FILE });
    // The shell started ahead of the step (SessionShell.prepare) and is still starting.
    expect(open).toBeDefined();
    void t.actions.runStep();
    await until(() => t.state().status.kind === 'running');
    t.actions.interrupt();
    open?.();
    await t.actions.idle();

    expect(shell.requests).toHaveLength(0);
    expect(t.state().status.kind).toBe('blocked');
    const step = t.state().frames[0]?.steps[0];
    expect(step).toMatchObject({ status: 'failed', interrupted: true });
    expect(step?.reason).toBe('ctrl-c by alice, before the step started (its shell was still starting): nothing ran');
    const finished = t.journal.events.find((e) => e.type === 'step-finished');
    expect(finished).toMatchObject({ reason: step?.reason });
    const [transcript] = [...t.journal.transcripts.values()];
    expect(transcript).toBe('[stepgate] stopped before the step started (its shell was still starting): nothing ran\n');
  });

  it('a ctrl-c once the step runs keeps its plain reason and the output in the transcript', async () => {
    const t = fakeSession({ [FILE]: RUNBOOK });
    t.shell.reply({ hold: true, output: 'line 1\n' });
    await t.actions.start({ file: FILE });
    void t.actions.runStep();
    await until(() => t.shell.requests.length > 0);
    t.actions.interrupt();
    await t.actions.idle();
    expect(t.state().frames[0]?.steps[0]?.reason).toBe('ctrl-c by alice');
    expect([...t.journal.transcripts.values()].join('')).toContain('line 1');
  });

  it('the store says whom the shell starts as while the step waits for it, and not once it failed to start', async () => {
    let refuse: (() => void) | undefined;
    const failingOpen = (): Promise<Shell> =>
      new Promise((_resolve, reject) => {
        refuse = () => reject(new Error('sudo: a password is required'));
      });
    const t = fakeSession({ [FILE]: RUNBOOK }, { openShell: failingOpen });
    await t.actions.start({ file: FILE, as: 'ubuntu' });
    // Started ahead of the step, said by nobody: no step waits for it yet.
    expect(refuse).toBeDefined();
    expect(t.store.getState().shellStarting).toBeUndefined();
    void t.actions.runStep();
    await until(() => t.store.getState().shellStarting !== undefined);
    expect(t.store.getState().shellStarting).toBe('ubuntu');
    refuse?.();
    await t.actions.idle();
    expect(t.state().status.kind).toBe('blocked');
    expect(t.store.getState().shellStarting).toBeUndefined();
  });
});

