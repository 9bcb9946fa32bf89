/**
 * The TUI asks for the operator's attention with the terminal bell: when a manual item waits
 * after a step and when a gate blocks, not after the operator's own keys, and never with
 * --quiet. OSC 9 goes only to a terminal that declares it reads it. The built CLI in a real pty;
 * the bell is counted by the headless terminal that reads what the pty carries.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startTui, type Tui } from './tui-harness.js';

const RUNBOOK = `---
title: Ring deploy
---
# Ring deploy

## Build

Print what was built.

\`\`\`bash {name=build}
echo "built release 7"
\`\`\`

## Look

- [ ] The dashboard is green

## Migrate

The migration fails on this host.

\`\`\`bash {name=migrate}
echo "migration 12 failed"; exit 3
\`\`\`
`;

/** The terminal declares nothing, whatever the test's own terminal is. */
const PLAIN_TERMINAL = { TERM_PROGRAM: '', LC_TERMINAL: '', STEPGATE_OSC9: '' };
const OSC9 = '\u001b]9;';

const dirs: string[] = [];
const tuis: Tui[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`build first (npm run build): ${CLI} is missing`);
});

afterEach(() => {
  for (const tui of tuis.splice(0)) tui.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(args: string[], env: Record<string, string>): Tui {
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-ring-'));
  dirs.push(dir);
  const file = join(dir, 'deploy.md');
  writeFileSync(file, RUNBOOK);
  const tui = startTui([file, ...args], dir, join(dir, 'state'), { env });
  tuis.push(tui);
  return tui;
}

async function untilBells(tui: Tui, count: number): Promise<void> {
  const until = Date.now() + 20_000;
  while (tui.bells() < count) {
    if (Date.now() > until) throw new Error(`${tui.bells()} bells, not ${count}; the screen:\n${tui.screen()}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Build, then the manual item, then the failing step: the walk every test takes. */
async function walkToGate(tui: Tui, onManual: () => Promise<void>, onGate: () => Promise<void>): Promise<void> {
  await tui.waitFor('enter run');
  expect(tui.bells()).toBe(0);
  tui.press('\r');
  await tui.waitFor('[x] build');
  await tui.waitFor(/>\[ \] The dashboard is green/);
  await onManual();
  tui.press(' ');
  await tui.waitFor(/>\[ \] migrate/);
  tui.press('\r');
  await tui.waitFor('BLOCKED at migrate');
  await onGate();
  tui.press('q');
}

describe('the TUI rings when it matters', () => {
  it('rings when a manual item waits after a step and when a gate blocks; not for the operator ticking the item; no OSC 9 for a terminal that does not declare it', async () => {
    const tui = open([], PLAIN_TERMINAL);
    await walkToGate(
      tui,
      () => untilBells(tui, 1),
      async () => {
        await untilBells(tui, 2);
        // The bell is written before the frame that shows the gate: none is still on its way.
        expect(tui.bells()).toBe(2);
      },
    );
    await tui.exited;
    expect(tui.output()).not.toContain(OSC9);
  }, 60_000);

  it('--quiet: the same walk rings nothing', async () => {
    const tui = open(['--quiet'], PLAIN_TERMINAL);
    await walkToGate(
      tui,
      async () => {
        expect(tui.bells()).toBe(0);
      },
      async () => {
        // The bell would have come before this frame (it is written as the step's end is journaled).
        expect(tui.bells()).toBe(0);
      },
    );
    await tui.exited;
    expect(tui.bells()).toBe(0);
    expect(tui.output()).not.toContain(OSC9);
  }, 60_000);

  it('a terminal that declares OSC 9 (TERM_PROGRAM=WezTerm) gets the notification, naming the runbook and the step, with the bell', async () => {
    const tui = open([], { ...PLAIN_TERMINAL, TERM_PROGRAM: 'WezTerm' });
    await walkToGate(
      tui,
      () => untilBells(tui, 1),
      () => untilBells(tui, 2),
    );
    await tui.exited;
    const notes = tui.output().split(OSC9).slice(1).map((rest) => rest.slice(0, rest.indexOf('\u0007')));
    expect(notes).toEqual(['stepgate: Ring deploy: a manual item waits: The dashboard is green', 'stepgate: Ring deploy: migrate is blocked at a gate']);
  }, 60_000);
});
