/**
 * An idle TUI does not redraw every second: the header's elapsed time ticks to the second only
 * while a step runs, and to the minute while the session waits for the operator. The header is
 * rendered over a real session store on the fakes; timers and Date are vitest's fake ones, so
 * the renders are counted over a minute of time that passes at once.
 */
import { Profiler } from 'react';
import { cleanup, render } from 'ink-testing-library';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Header } from '../../src/ui/components/header.js';
import { ServicesProvider, StoreProvider } from '../../src/ui/context.js';
import { fakeSession, type FakeSession } from '../fakes/session.js';
import { DEPLOY_FILE, FILES } from './runbooks.js';

/** The fake clock's start: the session starts at the same moment the UI's Date.now reads. */
const EPOCH = Date.UTC(2025, 0, 1, 12, 0, 0);

beforeEach(() => {
  vi.useFakeTimers({ now: EPOCH, toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
});

afterEach(() => {
  cleanup();
  vi.useRealTimers();
});

/**
 * Moves time on by `steps` of `ms`, one step at a time, and lets React render what each step's
 * timers asked for (its scheduler runs on the real setImmediate) before the next.
 */
async function pass(steps: number, ms: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    vi.advanceTimersByTime(ms);
    for (let j = 0; j < 3; j++) await new Promise((resolve) => setImmediate(resolve));
  }
}

async function settle(t: FakeSession, kind: string): Promise<void> {
  for (let i = 0; i < 1000 && t.state().status.kind !== kind; i++) await Promise.resolve();
  expect(t.state().status.kind).toBe(kind);
}

/** The header over `t`'s store, and how many times React has rendered it. */
function header(t: FakeSession): { frame: () => string; renders: () => number } {
  let renders = 0;
  const ink = render(
    <Profiler id="header" onRender={() => renders++}>
      <ServicesProvider services={{ now: () => Date.now(), color: false }}>
        <StoreProvider store={t.store}>
          <Header width={80} runAs="ubuntu" host="test-host" crumb={false} />
        </StoreProvider>
      </ServicesProvider>
    </Profiler>,
  );
  return { frame: () => ink.lastFrame() ?? '', renders: () => renders };
}

describe('the header clock', () => {
  it('is not redrawn while the session waits for the operator, except once a minute', async () => {
    const t = fakeSession(FILES);
    await t.actions.start({ file: DEPLOY_FILE });
    await settle(t, 'ready');
    const h = header(t);
    const first = h.renders();
    await pass(59, 1_000);
    expect(h.renders()).toBe(first);
    expect(h.frame()).toContain('ubuntu@test-host · <1 min · depth 0');
    await pass(1, 1_000);
    expect(h.renders()).toBe(first + 1);
    expect(h.frame()).toContain('ubuntu@test-host · 1 min · depth 0');
    await pass(62, 60_000);
    // At most once a minute (a loaded machine may fold two minutes into one render: CI once saw
    // 63 for 64); every second would be 3,720.
    expect(h.renders() - first).toBeGreaterThan(1);
    expect(h.renders() - first).toBeLessThanOrEqual(63);
    expect(h.frame()).toContain('ubuntu@test-host · 1 h 03 min · depth 0');
  });

  it('ticks every second while a step runs, and stops ticking when it ends', async () => {
    const t = fakeSession(FILES);
    t.shell.reply({ hold: true, output: 'pulling\n' });
    await t.actions.start({ file: DEPLOY_FILE });
    const h = header(t);
    void t.actions.runStep();
    await settle(t, 'running');
    await pass(3, 1_000);
    expect(h.frame()).toContain('ubuntu@test-host · 00:03 · depth 0');
    const running = h.renders();
    await pass(2, 1_000);
    // Each second (or, on a loaded machine, two folded into one render).
    expect(h.renders() - running).toBeGreaterThanOrEqual(1);
    expect(h.renders() - running).toBeLessThanOrEqual(2);
    expect(h.frame()).toContain('· 00:05 ·');

    t.shell.release();
    await settle(t, 'ready');
    await pass(1, 0);
    const idle = h.renders();
    await pass(50, 1_000);
    expect(h.renders()).toBe(idle);
    expect(h.frame()).toContain('· <1 min ·');
  });
});
