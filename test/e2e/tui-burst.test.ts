/**
 * Keys typed at an interactive step's prompt reach the step however fast they come: typed in
 * one burst as soon as the prompt shows, or pasted, from the moment the step starts. The built
 * CLI in a real pty at 80x24, with `read -r -p`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { journalEvents, startTui, type Tui } from './tui-harness.js';
import type { SessionEvent } from '../../src/session/types.js';

let dir: string;
let tui: Tui | undefined;

const BOOK = `# Ask

Ask the operator.

\`\`\`bash {name=ask interactive}
read -r -p "continue? " answer; echo "got:[$answer]"
\`\`\`

\`\`\`bash {name=after}
echo after
\`\`\`
`;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-burst-'));
  writeFileSync(join(dir, 'ask.md'), BOOK);
});
afterEach(async () => {
  tui?.kill('SIGKILL');
  tui = undefined;
  rmSync(dir, { recursive: true, force: true });
});

function events(): SessionEvent[] {
  return journalEvents<SessionEvent>(join(dir, 'state'));
}

describe('an interactive step gets every key', () => {
  it('typed in one burst as soon as the prompt shows', async () => {
    tui = startTui(['ask.md'], dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\r');
    // The prompt in the output pane (the code in the detail pane says "continue? " too) and ATTACHED.
    await tui.waitFor(/ATTACHED to ask[\s\S]*/);
    await tui.waitFor(/^continue\? *$/m, 60_000);
    tui.press('yes\r');
    const screen = await tui.waitFor('got:[yes]');
    expect(screen).not.toContain('got:[]');
    // The journal follows the screen: wait for the step's end to be written.
    const until = Date.now() + 20_000;
    while (!events().some((e) => e.type === 'step-finished') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(events().filter((e) => e.type === 'step-finished').map((e) => (e.type === 'step-finished' ? e.ok : undefined))).toEqual([true]);
  }, 90_000);

  it('typed right after enter, before the step has started (buffered until it attaches)', async () => {
    tui = startTui(['ask.md'], dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    // enter, then the answer in the same burst: the step has not even started.
    tui.press('\rno way\r');
    await tui.waitFor('got:[no way]', 40_000);
    // Nothing of it was taken as a checklist key ('n', 'o', 'w', 'a', 'y'): no prompt opened.
    expect(tui.screen()).not.toMatch(/reason:|── skip/);
  }, 90_000);

  it('pasted right after ATTACHED shows, before the prompt has been printed', async () => {
    tui = startTui(['ask.md'], dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('ATTACHED to ask');
    tui.press('pasted answer\r');
    await tui.waitFor('got:[pasted answer]', 40_000);
  }, 90_000);
});
