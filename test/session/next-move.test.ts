/**
 * The walk's one decision (`nextMove`) on real states of a scripted session, under the
 * policies plain mode and the TUI's run-all use, and the driver (`walk`) performing it.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, nextMove, policyAfter, type WalkPolicy } from '../../src/session/next-move.js';
import { walk } from '../../src/session/walk.js';
import { fail } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';

const FILE = '/rb/deploy.md';
const RUNBOOK = `---
title: Deploy
recovery: "#roll-back"
---
# Deploy

## Prepare

- [ ] announce the deploy

## Pull

\`\`\`bash {name=pull}
git pull
\`\`\`

## Migrate

\`\`\`bash {name=migrate confirm=true}
./migrate
\`\`\`

## Health

\`\`\`check {name=health}
http: http://127.0.0.1:1/healthz
\`\`\`

## Roll back

\`\`\`bash {name=rollback}
./rollback
\`\`\`
`;

const policy = (over: Partial<WalkPolicy> = {}): WalkPolicy => ({ ...DEFAULT_POLICY, ...over });

async function started() {
  const t = fakeSession({ [FILE]: RUNBOOK });
  t.shell.fallback = () => ({ exitCode: 0 });
  t.probes.script('http://127.0.0.1:1/healthz', fail(), fail(), fail(), fail());
  await t.actions.start({ file: FILE });
  return t;
}

describe('nextMove', () => {
  it('a manual item: stop (the TUI), tick (--yes) or ask (plain mode on a terminal)', async () => {
    const t = await started();
    expect(nextMove(t.state(), policy())).toEqual({ kind: 'stop', reason: { kind: 'needs-operator', step: expect.any(String), manual: 'announce the deploy' } });
    expect(nextMove(t.state(), policy({ confirm: 'auto' }))).toEqual({ kind: 'confirm', auto: true });
    expect(nextMove(t.state(), policy({ confirm: 'ask' }))).toMatchObject({ kind: 'ask', manual: 'announce the deploy' });
  });

  it('a command runs; a confirm= step asks; a gate stops, or walks the first recovery path once', async () => {
    const t = await started();
    await t.actions.confirm();
    expect(nextMove(t.state(), policy())).toEqual({ kind: 'run' });
    await t.actions.runStep();
    await t.actions.idle();
    await t.actions.runStep();
    await t.actions.idle();
    expect(t.state().status.kind).toBe('confirm');
    expect(nextMove(t.state(), policy())).toMatchObject({ kind: 'stop', reason: { kind: 'needs-operator', step: 'migrate' } });
    expect(nextMove(t.state(), policy({ confirm: 'ask' }))).toEqual({ kind: 'ask', step: 'migrate' });
    await t.actions.confirm();
    await t.actions.idle();
    await t.actions.runStep();
    await t.actions.idle();
    expect(t.state().status.kind).toBe('blocked');
    expect(nextMove(t.state(), policy())).toEqual({ kind: 'stop', reason: { kind: 'blocked', recoverable: true, paths: 1 } });
    const recover = nextMove(t.state(), policy({ recover: true }));
    expect(recover).toEqual({ kind: 'recover', index: 0 });
    expect(nextMove(t.state(), policyAfter(policy({ recover: true }), recover))).toMatchObject({ kind: 'stop', reason: { kind: 'blocked' } });
    // --recover-path N: the gate's N-th path; one it does not list stops, saying so.
    expect(nextMove(t.state(), policy({ recover: true, recoverPath: 1 }))).toEqual({ kind: 'recover', index: 0 });
    expect(nextMove(t.state(), policy({ recover: true, recoverPath: 2 }))).toEqual({ kind: 'stop', reason: { kind: 'no-progress', error: '--recover-path 2: the gate of health offers one recovery path (1)' } });
    // --skip names the step by id; it is used once.
    const skip = nextMove(t.state(), policy({ skips: new Map([['health', 'known down']]) }));
    expect(skip).toMatchObject({ kind: 'skip', reason: 'known down', step: 'health' });
    expect(policyAfter(policy({ skips: new Map([['health', 'x']]) }), skip).skips.size).toBe(0);
    // --retry: only the block the walk started at.
    const seq = t.state().seq;
    expect(nextMove(t.state(), policy({ retryBlocked: true, startSeq: seq }))).toMatchObject({ kind: 'retry', why: 'blocked-at-start' });
    expect(nextMove(t.state(), policy({ retryBlocked: true, startSeq: seq - 1 }))).toMatchObject({ kind: 'stop' });
  });

  it('a walk that must stay in its checklist stops when a recovery path is entered', async () => {
    const t = await started();
    const end = await walk(t.store, policy({ confirm: 'auto', depth: 1 }));
    expect(end.reason).toEqual({ kind: 'blocked', recoverable: true, paths: 1 });
    await t.actions.chooseRecovery(0);
    await t.actions.idle();
    expect(nextMove(t.state(), policy({ depth: 1 }))).toEqual({ kind: 'stop', reason: { kind: 'left-checklist' } });
  });
});

describe('walk', () => {
  it('asks through the face, and a no stops the walk where it is', async () => {
    const t = await started();
    const asked: string[] = [];
    const end = await walk(t.store, policy({ confirm: 'ask' }), {
      ask: async (move) => {
        asked.push(move.manual ?? move.step);
        return move.manual !== undefined;
      },
    });
    expect(asked).toEqual(['announce the deploy', 'migrate']);
    expect(end.declined).toEqual({ kind: 'ask', step: 'migrate' });
    expect(t.state().status.kind).toBe('confirm');
  });

  it('a face may halt it before any move, and the session is left as it was', async () => {
    const t = await started();
    const seq = t.state().seq;
    const end = await walk(t.store, policy({ confirm: 'auto' }), { halt: () => 'interrupted' });
    expect(end.reason).toEqual({ kind: 'face', why: 'interrupted' });
    expect(t.state().seq).toBe(seq);
  });

  it('under --yes and --recover, walks the recovery path and comes back to the gate', async () => {
    const t = await started();
    const end = await walk(t.store, policy({ confirm: 'auto', recover: true }));
    expect(end.reason).toEqual({ kind: 'blocked', recoverable: true, paths: 1 });
    expect(t.shell.requests.map((r) => r.script)).toEqual(['git pull', './migrate', './rollback']);
    // The check ran again after the path returned: its 5 attempts before it, 5 after.
    expect(t.probes.calls).toHaveLength(10);
  });

  it("stopOnReturn (the TUI's a): a recovery path the walk ran returns to the blocked step, and the walk stops before it runs again", async () => {
    const t = await started();
    await walk(t.store, policy({ confirm: 'auto' }));
    expect(t.state().status.kind).toBe('blocked');
    await t.actions.chooseRecovery(0);
    const end = await walk(t.store, policy({ stopOnReturn: true }));
    expect(end.reason).toEqual({ kind: 'returned', step: 'health', title: 'Roll back' });
    expect(t.shell.requests.map((r) => r.script)).toEqual(['git pull', './migrate', './rollback']);
    expect(t.probes.calls).toHaveLength(5);
    expect(t.state().status.kind).toBe('ready');
    // A walk started there (a again) runs the step.
    expect(nextMove(t.state(), policy({ stopOnReturn: true, startSeq: t.state().seq }))).toEqual({ kind: 'run' });
    await walk(t.store, policy({ stopOnReturn: true }));
    expect(t.probes.calls).toHaveLength(10);
  });
});
