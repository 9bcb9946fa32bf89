/**
 * The TUI on a shared screen during an incident: its output pane and the attached view of an
 * interactive step show secrets redacted, also one a step prints in two pieces (two pty chunks)
 * and one typed at a prompt. The built CLI in a real pty at 80x24, a real shell for the steps;
 * every screen polled while they run is checked, not only the last.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startTui, type Tui } from './tui-harness.js';

const TOKEN = 'tok-81f2c9-shared-screen';

const BOOK = `---
title: Shared screen
vars:
  API_TOKEN: { prompt: API token, secret: true }
---
# Shared screen

Print the token in two pieces, a second apart.

\`\`\`bash {name=split}
printf 'split: %s' "\${API_TOKEN:0:9}"; sleep 1; printf '%s\\n' "\${API_TOKEN:9}"; echo "split done"
\`\`\`

Ask for it, and print it from inside the attached step.

\`\`\`bash {name=ask interactive}
read -r -p "token? " typed; echo "typed: $typed"; echo "own: $API_TOKEN"
\`\`\`
`;

let dir: string;
let tui: Tui | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-secret-'));
  writeFileSync(join(dir, 'shared.md'), BOOK);
});
afterEach(() => {
  tui?.kill('SIGKILL');
  tui = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Polls the screen until `text` shows, failing at once if any screen on the way shows a piece of the token. */
async function watchUntil(t: Tui, text: string | RegExp, timeoutMs = 60_000): Promise<string> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = t.screen();
    for (const piece of [TOKEN.slice(0, 9), TOKEN.slice(9)]) expect(s, 'a piece of the token on the screen').not.toContain(piece);
    if (typeof text === 'string' ? s.includes(text) : text.test(s)) return s;
    if (Date.now() > until) throw new Error(`no ${String(text)} on the screen:\n${s}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the TUI shows secrets redacted', () => {
  it('in the output pane (one split across chunks) and in the attached view (printed, and typed at a prompt)', async () => {
    tui = startTui(['shared.md'], dir, join(dir, 'state'), { env: { STEPGATE_VAR_API_TOKEN: TOKEN } });
    await watchUntil(tui, 'enter run');
    tui.press('\r');
    // Its output's own line: the step's code, wrapped whole in the pane, says `echo "split done"` too.
    let s = await watchUntil(tui, /^split done/m);
    expect(s).toContain('split: [REDACTED]');
    await watchUntil(tui, /enter run/);
    tui.press('\r');
    await watchUntil(tui, /^token\? *$/m);
    tui.press(`${TOKEN}\r`);
    s = await watchUntil(tui, /own: \[REDACTED\]/);
    expect(s).toContain('token? [REDACTED]');
    expect(s).toContain('typed: [REDACTED]');
  }, 120_000);
});
