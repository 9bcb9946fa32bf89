/**
 * The runbook view's `update` without Ink: real session states (the store on fakes, the real
 * parser) and a command in, the view state and intents out.
 */
import { describe, expect, it } from 'vitest';
import type { SessionState } from '../../src/session/types.js';
import { update, type RunbookInput, type UpdateEnv } from '../../src/ui/runbook/update.js';
import { commandFor } from '../../src/ui/keymap.js';
import { initialViewState, syncView, type ViewState } from '../../src/ui/runbook/view-state.js';
import { fail } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';
import { DEPLOY_FILE, FILES, HEALTH_URL } from './runbooks.js';

const ENV: UpdateEnv = { page: 10, overlayRows: 18, width: 80, transcripts: new Map(), now: 10_000, canGoBack: false };

/** Commands applied in turn from the view as the session leaves it; the last update's intents. */
function press(session: SessionState, inputs: RunbookInput[], env: Partial<UpdateEnv> = {}, view: ViewState = initialViewState) {
  let intents: ReturnType<typeof update>['intents'] = [];
  for (const input of inputs) ({ view, intents } = update(view, session, input, { ...ENV, ...env }));
  return { view, intents };
}

async function ready(): Promise<SessionState> {
  const t = fakeSession(FILES);
  await t.actions.start({ file: DEPLOY_FILE });
  return t.state();
}

/** The deploy runbook blocked at its health check (refused every time). */
async function blocked(): Promise<SessionState> {
  const t = fakeSession(FILES);
  t.probes.unknown = fail('connection refused');
  await t.actions.start({ file: DEPLOY_FILE });
  await runToNextBlock(t.store);
  expect(t.state().status.kind).toBe('blocked');
  return t.state();
}

describe('update, at a ready step', () => {
  it('runs the current step on enter, and stops any walk first', async () => {
    expect(press(await ready(), ['run']).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'run-step' }]);
  });

  it('moves without intents, and asks a reason to run a later step out of order', async () => {
    const session = await ready();
    const moved = press(session, ['down']);
    expect(moved.view.selected).toBe(1);
    expect(moved.intents).toEqual([]);
    const { view, intents } = press(session, ['down', 'run']);
    expect(view.overlay).toEqual({ kind: 'reason', purpose: 'out-of-order', index: 1, optional: false });
    expect(intents).toEqual([{ kind: 'halt-walk' }]);
  });

  it('says at a manual item that a stops there, instead of doing nothing', async () => {
    const t = fakeSession({ '/rb/m.md': '# M\n\n- [ ] tell the channel\n\n```bash {name=one}\ntrue\n```\n' });
    await t.actions.start({ file: '/rb/m.md' });
    const atItem = press(t.state(), ['run-all']);
    expect(atItem.view.notice).toBe('a stops at manual items: do this one, tick it with space, then a runs on');
    expect(atItem.intents).toEqual([{ kind: 'halt-walk' }]);
    await t.actions.confirm();
    expect(press(t.state(), ['run-all']).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'run-all' }]);
  });

  it('answers a command that does not apply with a notice, which the next key retires', async () => {
    const session = await ready();
    const toggled = press(session, ['toggle']);
    expect(toggled.view.notice).toBe('space ticks manual items; enter runs a step');
    expect(toggled.intents).toEqual([{ kind: 'halt-walk' }]);
    expect(press(session, ['toggle', 'down']).view.notice).toBeUndefined();
    expect(press(session, ['retry']).view.notice).toMatch(/.+/);
    expect(press(session, ['transcript']).view.notice).toBe('pull has no transcript: it has not run yet');
  });

  it('asks the engine whether a choice bound to no key is allowed', async () => {
    const { view, intents } = press(await ready(), ['override']);
    expect(view.overlay).toBeUndefined();
    expect(view.notice).toMatch(/.+/);
    expect(intents).toEqual([{ kind: 'halt-walk' }]);
  });

  it('quits at once when nothing runs; esc goes back only when the view came from the picker', async () => {
    const session = await ready();
    expect(press(session, ['quit']).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'quit' }]);
    expect(press(session, ['back']).intents).toEqual([{ kind: 'halt-walk' }]);
    expect(press(session, ['back'], { canGoBack: true }).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'back' }]);
  });

  it('opens and closes help, and asks to quit on a second ctrl-c within 2s only', async () => {
    const session = await ready();
    expect(press(session, ['help']).view.overlay).toEqual({ kind: 'help', scroll: 0 });
    expect(press(session, ['help', 'help']).view.overlay).toBeUndefined();
    const once = press(session, ['interrupt']);
    expect(once.view.overlay).toBeUndefined();
    expect(once.view.notice).toBe('nothing is running; ctrl-c again within 2s asks to quit');
    expect(once.intents).toEqual([{ kind: 'halt-walk' }]);
    expect(press(session, ['interrupt', 'interrupt']).view.overlay).toEqual({ kind: 'confirm-quit' });
    const late = update(once.view, session, 'interrupt', { ...ENV, now: ENV.now + 2001 });
    expect(late.view.overlay).toBeUndefined();
  });

  it('asks for a transcript it knows, and for the refs of the selected step', async () => {
    const session = await ready();
    const transcripts = new Map([[session.frames[0]?.init.items[0]?.key ?? '', '/tmp/pull.log']]);
    expect(press(session, ['transcript'], { transcripts }).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'show-transcript', name: 'pull', path: '/tmp/pull.log' }]);
    const refs = press(session, ['open-ref']).intents;
    expect(refs[1]).toMatchObject({ kind: 'find-refs', item: { step: { id: 'pull' } } });
  });
});

describe('update, at a gate', () => {
  it('has the gate menu focused, and takes a numbered choice', async () => {
    const session = await blocked();
    expect(syncView(initialViewState, session).focus).toBe('gate');
    expect(press(session, [{ choice: 0 }]).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'retry' }]);
    expect(press(session, [{ choice: 1 }]).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'choose-recovery', index: 0 }]);
    const skip = press(session, [{ choice: 2 }]);
    expect(skip.view.overlay).toEqual({ kind: 'reason', purpose: 'skip', index: 1, optional: false });
    // Past the menu's end: nothing, and the walk goes on.
    expect(press(session, [{ choice: 7 }]).intents).toEqual([]);
  });

  it('moves through the menu and takes the highlighted choice on enter', async () => {
    const session = await blocked();
    const { view, intents } = press(session, ['down', 'down', 'down', 'pick']);
    expect(view.gateIndex).toBe(3);
    expect(view.overlay).toEqual({ kind: 'reason', purpose: 'override', index: 1, optional: false });
    expect(intents).toEqual([{ kind: 'halt-walk' }]);
  });

  it('takes the one open recovery path on c; esc leaves the menu and enter returns to it', async () => {
    const session = await blocked();
    expect(press(session, ['recover']).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'choose-recovery', index: 0 }]);
    expect(press(session, ['back']).view.focus).toBe('list');
    expect(press(session, ['back', 'run']).view.focus).toBe('gate');
    // Short enough to sit beside the status bar's keys at 80 columns.
    expect(press(session, ['back', 'run-all']).view.notice).toBe('a waits for the gate: r retry, c recover, s skip');
    // On the gate's menu too (a trial pressed a there and heard nothing).
    expect(commandFor('gate', 'a')).toBe('run-all');
    expect(press(session, ['run-all']).view.notice).toBe('a waits for the gate: r retry, c recover, s skip');
  });
});

describe('update, an interactive step', () => {
  it('holds the keys that follow the one that starts it', async () => {
    const t = fakeSession({ '/rb/ask.md': '# Ask\n\n## Ask\n\n```bash {name=ask interactive}\nread -p "go? " x\n```\n' });
    await t.actions.start({ file: '/rb/ask.md' });
    expect(press(t.state(), ['run']).intents).toEqual([{ kind: 'halt-walk' }, { kind: 'run-step' }, { kind: 'hold-keys' }]);
    expect(press(t.state(), ['toggle']).intents).toEqual([{ kind: 'halt-walk' }]);
  });
});
