/**
 * The key bar while only watchers (`stepgate attach --watch`) are attached: their keys are
 * dropped by tmux but the detach key, so the bar lists that key, not the gate's (a trial's
 * watcher read `r retry · s skip` and pressed r). Who is attached comes through the services,
 * as Presence gives it in stepgate's own tmux; the view follows each change.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { fail } from '../fakes/fake-probe.js';
import { renderSession } from './helpers.js';
import { DEPLOY_FILE, FILES, HEALTH_URL } from './runbooks.js';

afterEach(() => cleanup());

const lastLine = (frame: string): string => frame.split('\n').at(-1) ?? '';

/** Who is attached, as the TUI's services report it, switched by the test. */
function attachments() {
  const listeners = new Set<() => void>();
  let only = false;
  return {
    services: {
      watchedOnly: () => only,
      onAttachChange: (listener: () => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    set(watchersOnly: boolean): void {
      only = watchersOnly;
      for (const listener of listeners) listener();
    },
  };
}

describe('the key bar for watchers', () => {
  it('lists only the detach key while watchers alone are attached, and the gate keys again once the owner is back', async () => {
    const who = attachments();
    const r = await renderSession(FILES, DEPLOY_FILE, { services: who.services, before: (t) => t.probes.script(HEALTH_URL, fail('connection refused')) });
    await r.waitForFrame('enter run');
    r.press('a');
    await r.waitForFrame(/BLOCKED at healthz.*r retry/);
    expect(lastLine(r.frame())).toContain('s skip');

    who.set(true);
    await r.waitForFrame(/BLOCKED at healthz +ctrl-\\ leaves \(read-only\)$/);
    expect(lastLine(r.frame())).not.toMatch(/retry|skip|help|enter/);

    who.set(false);
    await r.waitForFrame(/BLOCKED at healthz.*r retry/);
  });
});
