/**
 * After a resume the TUI says, for a few seconds, that a new shell replaced the old one. A
 * secret var is asked again on a resume (its value was never journaled), and a new-operator
 * trial found that notice inside the secret's prompt, where a refused value is said, instead of
 * on the status line. The built CLI in a real pty, resumed with `stepgate resume`.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startTui } from './tui-harness.js';

const dirs: string[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`build first (npm run build): ${CLI} is missing`);
});

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const BOOK = `---
title: Secret resume
vars:
  API_TOKEN: { prompt: API token, secret: true }
---
# Secret resume

## One

\`\`\`bash {name=one}
cd /tmp && export SG_AREA=east && echo one
\`\`\`

## Two

\`\`\`bash {name=two}
echo two
\`\`\`
`;

describe('the resume notice', () => {
  it('is on the status line, not inside the secret prompt asked again', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-resume-notice-'));
    dirs.push(dir);
    writeFileSync(join(dir, 'sec.md'), BOOK);
    const stateDir = join(dir, 'state');
    let tui = startTui(['sec.md'], dir, stateDir);
    await tui.waitFor('variable API_TOKEN');
    tui.press('tok-value-1234\r');
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('[x] one');
    tui.press('q');
    expect(await tui.exited).toBe(1);

    tui = startTui(['resume'], dir, stateDir);
    // The status bar: the notice on the left, the prompt's keys on the right.
    const screen = await tui.waitFor((s) => s.includes('variable API_TOKEN') && /\[stepgate\] new shell: cwd \/tmp, 1 export restored +enter submits · esc quit/.test(s));
    const rows = screen.split('\n');
    expect(rows.filter((row) => row.includes('new shell'))).toHaveLength(1);
    expect(rows.findIndex((row) => row.includes('new shell'))).toBe(rows.findLastIndex((row) => row.trim() !== ''));
    tui.press('tok-value-1234\r');
    await tui.waitFor('READY 2/2 two');
    tui.press('\r');
    await tui.waitFor('ENDED: completed');
    tui.press('q');
    expect(await tui.exited).toBe(0);
  });
});
