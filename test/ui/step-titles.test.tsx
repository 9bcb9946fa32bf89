/**
 * A new-user trial: ids the parser makes up (`pre-deploy-1`, `work-2`) reached the screen, and
 * long titles did not fit 80 columns. Unnamed steps are shown by their own words, cut at a word,
 * with the checklist they belong to, and the key hints stay on the status line.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { cellWidth } from '../../src/session/cells.js';
import { enter, renderSession, type SessionRender } from './helpers.js';

afterEach(() => cleanup());

const FILE = '/rb/unnamed.md';

/** No step is named: every id in it is made up by the parser. */
const UNNAMED = `# Redeploy without names

## Pre-deploy

- [ ] The team in the deploy channel knows that a redeploy of the payments service is starting now.

## Work

Stop the payments service and wait until its last worker has drained the queue completely.

\`\`\`bash
./stop-and-drain.sh
\`\`\`

\`\`\`bash
./start.sh
\`\`\`
`;

/** A frame none of whose lines is wider than 80 columns. */
const FITS_80 = /^(?![\s\S]*(?:^|\n)[^\n]{81})/;

const lastLine = (frame: string): string => frame.split('\n').at(-1) ?? '';

function expectFits(frame: string): void {
  const lines = frame.split('\n');
  expect(lines.length).toBeLessThanOrEqual(23);
  for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
}

/** The rule over the detail pane: the line that starts with `── [`. */
const rule = (frame: string): string => frame.split('\n').find((l) => l.startsWith('── [')) ?? '';

async function open(before?: (t: SessionRender['t']) => void): Promise<SessionRender> {
  const r = await renderSession({ [FILE]: UNNAMED }, FILE, before ? { before } : {});
  await r.waitForFrame('MANUAL 1/3');
  // The first frame may be drawn before the 80-column resize reaches the app.
  await r.waitForFrame(FITS_80);
  return r;
}

describe('step titles at 80 columns', () => {
  it('heads a manual item with its own words and its checklist, never its made-up id', async () => {
    const r = await open();
    const f = r.frame();
    expectFits(f);
    expect(f).not.toMatch(/pre-deploy-1|work-2|work-3/);
    const head = rule(f);
    expect(head).toMatch(/^── \[ \] The team in the deploy channel knows that a… · manual · Pre-deploy ─+$/);
    expect(lastLine(f)).toMatch(/space tick · a all · s skip · \? help · q quit$/);
  });

  it('names an unnamed command step by its prose in the list, the rule and the status line, keeping every key hint', async () => {
    const r = await open();
    r.press(' ');
    await r.waitForFrame('READY 2/3');
    const f = r.frame();
    expectFits(f);
    expect(f).not.toMatch(/work-2|work-3|pre-deploy-1/);
    expect(f).toMatch(/^>\[ \] Stop the payments service and wait until its last worker has drained the…$/m);
    // The path gives way to the file's name, which leaves the title its 40 columns.
    expect(rule(f)).toMatch(/^── \[ \] Stop the payments service and wait until… · bash · Work · unnamed\.md:11 ─$/);
    // The title gives way to the keys, cut at a word.
    expect(lastLine(f)).toMatch(/^READY 2\/3 Stop the payments… +enter run · a all · s skip · \? help · q quit$/);
    // A step with no prose at all is known by its command.
    r.press('j');
    await r.waitForFrame('>[ ] ./start.sh');
    expect(rule(r.frame())).toMatch(/^── \[ \] \.\/start\.sh · bash · Work · \/rb\/unnamed\.md:\d+ ─+$/);
  });

  it('says where a session is blocked by the step title, in the gate and the status line', async () => {
    const r = await open((t) => t.shell.reply({ output: 'queue not drained\n', exitCode: 3 }));
    r.press(' ');
    await r.waitForFrame('READY 2/3');
    r.press(enter);
    await r.waitForFrame('BLOCKED at "Stop the payments service');
    const f = await r.waitForFrame('queue not drained');
    expectFits(f);
    expect(f).not.toMatch(/work-2|pre-deploy-1/);
    expect(rule(f.replace(/^── BLOCKED/m, '── [BLOCKED'))).toBe('── [BLOCKED at "Stop the payments service and wait until its last…" (attempt 1) ─');
    expect(lastLine(f)).toMatch(/^BLOCKED at Stop the payments… +↑↓ enter · r retry · s skip · \? help · esc list$/);
    // The skip prompt names it too.
    r.press('s');
    await r.waitForFrame('reason:');
    expect(r.frame()).toContain('Skip "Stop the payments service and wait…"?');
    expect(r.frame()).not.toContain('work-2');
  });

  it('a title and a step with wide characters (✅, 部署) keep the columns after them on the screen', async () => {
    const wide = `# Odd output ✅ with a very long title that goes on and on past the eighty column limit

## Deploy 部署 with wide characters ✅ and a long section name that runs on and on

Print wide characters and emoji ✅ 部署 in the description too, which is long enough to be cut.

\`\`\`bash
echo ✅ 部署
\`\`\`
`;
    const r = await renderSession({ [FILE]: wide }, FILE);
    await r.waitForFrame('READY 1/1');
    // Drawn at 80 columns once the title is cut where 80 columns cut it.
    const f = await r.waitForFrame(/^stepgate · Odd output ✅ with a very long t… ubuntu@test-host/m);
    r.press(enter);
    const done = await r.waitForFrame(/ ok \d+ms$/m);
    for (const frame of [f, done]) {
      for (const line of frame.split('\n')) expect(cellWidth(line), line).toBeLessThanOrEqual(80);
      expect(frame.split('\n')[0]).toMatch(/^stepgate · Odd output ✅ with a very [^·]*… ubuntu@test-host · .* · depth 0$/);
    }
    expect(done).toMatch(/^ \[x\] Print wide characters and emoji ✅ 部署 in the description too…\s+ok \d+ms$/m);
    expect(rule(f)).toMatch(/ ─+$/);
  });
});
