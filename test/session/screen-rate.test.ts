/**
 * How often the running step's screen reaches the store (and so the TUI's output pane): at
 * the store's interval for ordinary output, three times less often during a flood (issue 14:
 * every screen costs a snapshot of the scrollback and a render of the pane), and the latest
 * lines are on the last screen either way. Fake timers: counts, not timings.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeSession, type FakeSession } from '../fakes/session.js';

const RUNBOOK = '# Flood\n\n## Print\n\nPrints a lot.\n\n```bash {name=flood}\nyes | head -n 5000000\n```\n';

async function running(): Promise<FakeSession> {
  const t = fakeSession({ '/rb/flood.md': RUNBOOK }, { screenIntervalMs: 33 });
  await t.actions.start({ file: '/rb/flood.md' });
  vi.useFakeTimers();
  t.shell.reply({ hold: true });
  await t.actions.runStep();
  expect(t.state().status.kind).toBe('running');
  return t;
}

/** Screens pushed to the store while the step prints `chunk(i)` every `everyMs` for `forMs` of fake time. */
async function screensWhile(t: FakeSession, everyMs: number, forMs: number, chunk: (i: number) => string): Promise<number> {
  let pushed = 0;
  const off = t.store.subscribe((state, previous) => {
    if (state.screen !== previous.screen) pushed += 1;
  });
  for (let i = 0; i * everyMs < forMs; i += 1) {
    t.shell.emit(chunk(i));
    await vi.advanceTimersByTimeAsync(everyMs);
  }
  await vi.advanceTimersByTimeAsync(500);
  off();
  return pushed;
}

afterEach(() => {
  vi.useRealTimers();
});

describe('the running step screen', () => {
  it('reaches the store three times less often during a flood, and ends on the latest lines', async () => {
    const t = await running();
    // 4 KB every 5 ms for 3 s (2.4 MB): 33 ms apart would be 90 screens.
    const lines = (i: number): string => Array.from({ length: 80 }, (_, j) => `flood line 0123456789 abcdefghijklmnopqrstuvwxyz ${i * 80 + j}`).join('\n') + '\n';
    const pushed = await screensWhile(t, 5, 3_000, lines);
    expect(pushed).toBeGreaterThan(20);
    expect(pushed).toBeLessThan(50);
    const shown = t.store.getState().screen?.lines ?? [];
    expect(shown[shown.length - 1]).toBe(`flood line 0123456789 abcdefghijklmnopqrstuvwxyz ${600 * 80 - 1}`);
  });

  it('keeps its interval for typed keys and slow output: every echo is shown', async () => {
    const t = await running();
    // A key echoed every 50 ms for 3 s: a screen for each (and its trailing one).
    const pushed = await screensWhile(t, 50, 3_000, (i) => String.fromCharCode(97 + (i % 26)));
    expect(pushed).toBeGreaterThanOrEqual(60);
    const shown = t.store.getState().screen?.lines ?? [];
    expect(shown[shown.length - 1]?.endsWith('h')).toBe(true);
  });
});
