/**
 * When the session asks for the operator's attention (the TUI rings for it): a gate that
 * blocks, a manual item the walk reached, a long step that finished; never after the
 * operator's own key.
 */
import { describe, expect, it } from 'vitest';
import { attentionAfter, type Attention } from '../../src/session/attention.js';
import { fakeSession, type FakeSession } from '../fakes/session.js';

const FILE = '/rb/deploy.md';
const DEPLOY = `---
title: Deploy
---
# Deploy

## Build

Build it.

\`\`\`bash {name=build}
make
\`\`\`

## Look

- [ ] The dashboard is green

## Migrate

Migrate.

\`\`\`bash {name=migrate}
./migrate
\`\`\`
`;

async function session(): Promise<{ t: FakeSession; rung: Attention[] }> {
  const t = fakeSession({ [FILE]: DEPLOY });
  const rung: Attention[] = [];
  t.actions.onEvent((event, state) => {
    const a = attentionAfter(event, state);
    if (a) rung.push(a);
  });
  await t.actions.start({ file: FILE });
  await t.actions.idle();
  return { t, rung };
}

async function step(t: FakeSession, run: () => Promise<void>): Promise<void> {
  await run();
  await t.actions.idle();
}

describe('attentionAfter', () => {
  it('a quick step that leads to a manual item: the manual item waits; confirming it (the operator) rings nothing; a failing step: the gate', async () => {
    const { t, rung } = await session();
    t.shell.reply({ exitCode: 0, durationMs: 200 }, { exitCode: 1, durationMs: 300 });
    await step(t, () => t.actions.runStep());
    expect(rung.map((a) => a.why)).toEqual(['manual-waits']);
    expect(rung[0]?.text).toBe('Deploy: a manual item waits: The dashboard is green');
    await step(t, () => t.actions.confirm());
    expect(rung).toHaveLength(1);
    await step(t, () => t.actions.runStep());
    expect(t.state().status.kind).toBe('blocked');
    expect(rung.map((a) => a.why)).toEqual(['manual-waits', 'gate-blocked']);
    expect(rung[1]).toMatchObject({ step: 'migrate', text: 'Deploy: migrate is blocked at a gate' });
    // The operator retries: the decision rings nothing, the second failure rings again.
    t.shell.reply({ exitCode: 1, durationMs: 300 });
    await step(t, () => t.actions.retry());
    expect(rung.map((a) => a.why)).toEqual(['manual-waits', 'gate-blocked', 'gate-blocked']);
  });

  it('a step longer than 10 s that passes rings once it ends; one of 10 s does not; a gate wins over the long step', async () => {
    const { t, rung } = await session();
    t.shell.reply({ exitCode: 0, durationMs: 10_000 });
    await step(t, () => t.actions.runStep());
    // 10 s is not longer than 10 s; the manual item after it rings.
    expect(rung.map((a) => a.why)).toEqual(['manual-waits']);
    await step(t, () => t.actions.confirm());
    t.shell.reply({ exitCode: 0, durationMs: 12_400 });
    await step(t, () => t.actions.runStep());
    expect(t.state().status).toMatchObject({ kind: 'ended', outcome: 'completed' });
    expect(rung[1]).toEqual({ why: 'long-step-finished', step: 'migrate', text: 'Deploy: migrate passed after 12 s' });
  });

  it('a long step that fails rings for its gate (once); a step the operator interrupts rings nothing', async () => {
    const { t, rung } = await session();
    t.shell.reply({ exitCode: 1, durationMs: 60_000 });
    await step(t, () => t.actions.runStep());
    expect(rung.map((a) => a.why)).toEqual(['gate-blocked']);
    t.shell.reply({ hold: true });
    await t.actions.retry();
    for (let i = 0; i < 500 && !t.shell.running; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(t.shell.running).toBe(true);
    t.actions.interrupt();
    await t.actions.idle();
    expect(t.state().status.kind).toBe('blocked');
    expect(rung.map((a) => a.why)).toEqual(['gate-blocked']);
  });
});

describe('attentionAfter a recovery path', () => {
  it('the last step of a recovery path passes: the blocked step waits to run again, and that rings', async () => {
    const t = fakeSession({
      [FILE]: `---\ntitle: Deploy\nrecovery: "#fix"\n---\n# Deploy\n\n## Run\n\n\`\`\`bash {name=migrate}\n./migrate\n\`\`\`\n\n## Fix\n\n\`\`\`bash {name=fix}\n./fix\n\`\`\`\n`,
    });
    const rung: Attention[] = [];
    t.actions.onEvent((event, state) => {
      const a = attentionAfter(event, state);
      if (a) rung.push(a);
    });
    await t.actions.start({ file: FILE });
    t.shell.reply({ exitCode: 1 }, { exitCode: 0 });
    await step(t, () => t.actions.runStep());
    await step(t, () => t.actions.chooseRecovery(0));
    await step(t, () => t.actions.runStep());
    expect(t.state().status.kind).toBe('ready');
    expect(rung.map((a) => a.why)).toEqual(['gate-blocked', 'recovery-returned']);
    expect(rung[1]).toEqual({ why: 'recovery-returned', step: 'migrate', text: 'Deploy: recovery Fix finished; migrate waits to run again' });
  });
});
