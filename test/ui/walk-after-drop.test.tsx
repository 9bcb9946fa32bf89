/**
 * `a` walks steps for the terminal that pressed it. When that terminal goes away while a step
 * runs and someone attaches before it ends, the walk stops there: whoever attached did not ask
 * for it, and saw only RUNNING (a trial: after an SSM drop and an attach, the next step started
 * with no key pressed). Who is attached comes through the services, as Presence gives it.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { renderSession } from './helpers.js';

afterEach(() => cleanup());

const FILE = '/rb/two.md';
const TWO = '# Two\n\n## Steps\n\n```bash {name=long}\nsleep 30\n```\n\n```bash {name=after}\necho after\n```\n\n```bash {name=last}\necho last\n```\n';

/** Whether an operator is attached, as the TUI's services report it, switched by the test. */
function presence() {
  const listeners = new Set<() => void>();
  let here = true;
  return {
    services: {
      attended: () => here,
      onAttachChange: (listener: () => void) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    },
    set(attended: boolean): void {
      here = attended;
      for (const listener of listeners) listener();
    },
  };
}

describe('a walk whose terminal left mid-step', () => {
  it('stops before the next step once someone is back, saying why; a goes on', async () => {
    const who = presence();
    const r = await renderSession({ [FILE]: TWO }, FILE, { services: who.services, before: (t) => t.shell.reply({ hold: true, output: 'sleeping\n' }) });
    await r.waitForFrame('enter run');
    r.press('a');
    await r.waitForFrame('RUNNING long');
    who.set(false); // the SSM session drops
    who.set(true); // someone attaches before the step ends
    r.t.shell.release();
    await r.waitForFrame('walk stopped at after: its terminal left mid-step; a goes on');
    expect(r.t.shell.requests).toHaveLength(1);
    r.press('a');
    await r.waitForFrame('ENDED');
    expect(r.t.shell.requests).toHaveLength(3);
  });

  it('goes on through every step while its terminal stays', async () => {
    const who = presence();
    const r = await renderSession({ [FILE]: TWO }, FILE, { services: who.services, before: (t) => t.shell.reply({ hold: true, output: 'sleeping\n' }) });
    await r.waitForFrame('enter run');
    r.press('a');
    await r.waitForFrame('RUNNING long');
    r.t.shell.release();
    await r.waitForFrame('ENDED');
    expect(r.t.shell.requests).toHaveLength(3);
  });
});
