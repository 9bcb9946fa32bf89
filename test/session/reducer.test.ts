/**
 * The pure engine: every transition, driven by events built by hand, no store, no fakes.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { matchPlans } from '../../src/session/match.js';
import { diffPlans, planMain, planRecovery } from '../../src/session/plan.js';
import { currentItem, gateChoices, initialState, reduce, replay } from '../../src/session/reducer.js';
import type { Decision, FrameInit, SessionEvent, SessionState } from '../../src/session/types.js';
import { MAX_RECOVERY_DEPTH } from '../../src/session/types.js';

const DEPLOY = `---
title: Deploy
recovery: "#fix-it"
vars:
  REGION: { prompt: Region, default: us-east-2 }
  API_TOKEN: { prompt: Token, secret: true }
---
# Deploy

## Pull

\`\`\`bash {name=pull}
git pull
\`\`\`

\`\`\`bash {name=lint optional}
npm run lint
\`\`\`

\`\`\`bash {name=restart confirm}
pm2 restart all
\`\`\`

- [ ] watch the dashboard
- [x] told the channel

## Fix it

\`\`\`bash {name=fix}
echo fixing
\`\`\`
`;

const book = parseRunbook(DEPLOY, '/rb/deploy.md');
const books = new Map([[book.file, book]]);
const main = planMain(book, books);
const who = { user: 'alice' };
let clock = 1000;
const at = (): number => (clock += 10);

function started(frame: FrameInit = main, vars = book.frontMatter.vars): SessionEvent {
  return {
    type: 'session-started', at: at(), v: 1, id: 's1', version: 't', who, host: 'h', pid: 1, cwd: '/rb',
    runbooks: [{ path: book.file, sha256: 'x' }], frame, vars, options: {},
  };
}

function answered(name: string, secret = false): SessionEvent {
  return secret
    ? { type: 'var-answered', at: at(), name, secret, source: 'flag' }
    : { type: 'var-answered', at: at(), name, secret, value: 'v', source: 'flag' };
}

function cursor(s: SessionState): { depth: number; index: number; key: string } {
  const cur = currentItem(s);
  if (!cur) throw new Error('no cursor');
  return { depth: cur.depth, index: cur.index, key: cur.item.key };
}

function startStep(s: SessionState): SessionEvent {
  const c = cursor(s);
  return { type: 'step-started', at: at(), ...c, attempt: (currentItem(s)?.step.attempts ?? 0) + 1 };
}

function finish(s: SessionState, ok: boolean, extra: Partial<Extract<SessionEvent, { type: 'step-finished' }>> = {}): SessionEvent {
  return { type: 'step-finished', at: at(), ...cursor(s), ok, exitCode: ok ? 0 : 1, durationMs: 5, timedOut: false, interrupted: false, ...extra };
}

function decide(s: SessionState, decision: Decision): SessionEvent {
  return { type: 'decision', at: at(), ...cursor(s), who, decision };
}

/** Folds events, returning the final state and every command. */
function run(events: SessionEvent[], from: SessionState = initialState()) {
  let state = from;
  const commands = [];
  for (const e of events) {
    const r = reduce(state, e);
    state = r.state;
    commands.push(...r.commands);
  }
  return { state, commands };
}

function readyAtPull(): SessionState {
  return run([started(), answered('REGION'), answered('API_TOKEN', true)]).state;
}

describe('reduce', () => {
  it('walks the main flow without the recovery-only section, asking vars first', () => {
    expect(main.items.map((i) => i.step.id).slice(0, 3)).toEqual(['pull', 'lint', 'restart']);
    expect(main.items.map((i) => i.step.kind)).toEqual(['command', 'command', 'command', 'manual', 'manual']);
    let s = run([started()]).state;
    expect(s.status).toMatchObject({ kind: 'vars', spec: { name: 'REGION' } });
    s = reduce(s, answered('REGION')).state;
    expect(s.status).toMatchObject({ kind: 'vars', spec: { name: 'API_TOKEN' } });
    s = reduce(s, answered('API_TOKEN', true)).state;
    expect(s.status.kind).toBe('ready');
    expect(s.answers['API_TOKEN']).toEqual({ secret: true, source: 'flag' });
    expect(s.frames[0]?.steps[4]).toMatchObject({ status: 'passed', reason: 'ticked in the runbook' });
  });

  it('runs a step: started -> execute command -> passed -> cursor moves', () => {
    let s = readyAtPull();
    const r = reduce(s, startStep(s));
    expect(r.state.status.kind).toBe('running');
    expect(r.commands).toEqual([expect.objectContaining({ type: 'execute', depth: 0, index: 0, attempt: 1 })]);
    s = reduce(r.state, finish(r.state, true)).state;
    expect(s.frames[0]?.steps[0]).toMatchObject({ status: 'passed', exitCode: 0, attempts: 1 });
    expect(cursor(s).index).toBe(1);
    expect(s.status.kind).toBe('ready');
  });

  it('blocks a failed step and offers retry, each recovery path, skip, override, abort', () => {
    let s = readyAtPull();
    s = run([startStep(s)], s).state;
    s = reduce(s, finish(s, false, { exitCode: 2 })).state;
    expect(s.status.kind).toBe('blocked');
    expect(gateChoices(s).map((c) => c.kind)).toEqual(['retry', 'recover', 'skip', 'override', 'abort']);
    expect(gateChoices(s)[2]).toEqual({ kind: 'skip', reasonRequired: true });
    // Nothing past the gate can start.
    const refused = reduce(s, { type: 'step-started', at: at(), depth: 0, index: 1, key: 'x', attempt: 1 });
    expect(refused.state.notice).toMatch(/not current/);
    expect(refused.commands).toEqual([]);
  });

  it('retry re-runs the same step and counts attempts', () => {
    let s = readyAtPull();
    s = run([startStep(s)], s).state;
    s = reduce(s, finish(s, false)).state;
    const r = reduce(s, decide(s, { kind: 'retry' }));
    expect(r.commands).toEqual([{ type: 'start-step', depth: 0, index: 0, confirmed: true }]);
    s = reduce(r.state, startStep(r.state)).state;
    expect(s.frames[0]?.steps[0]).toMatchObject({ status: 'running', attempts: 2 });
  });

  it('a required step needs a reason to be skipped; an optional one does not', () => {
    let s = readyAtPull();
    s = run([startStep(s)], s).state;
    s = reduce(s, finish(s, false)).state;
    const refused = reduce(s, decide(s, { kind: 'skip', reason: '  ' }));
    expect(refused.state.notice).toBe('skipping a required step needs a reason');
    expect(refused.state.frames[0]?.steps[0]?.status).toBe('failed');
    s = reduce(s, decide(s, { kind: 'skip', reason: 'pulled by hand' })).state;
    expect(s.frames[0]?.steps[0]).toMatchObject({ status: 'skipped', reason: 'pulled by hand' });
    expect(cursor(s).key).toBe('/rb/deploy.md#lint');
    s = reduce(s, decide(s, { kind: 'skip', reason: '' })).state;
    expect(s.frames[0]?.steps[1]).toMatchObject({ status: 'skipped', reason: 'optional step' });
  });

  it('override needs a reason and counts as done', () => {
    let s = readyAtPull();
    s = run([startStep(s)], s).state;
    s = reduce(s, finish(s, false)).state;
    expect(reduce(s, decide(s, { kind: 'override', reason: '' })).state.notice).toBe('an override needs a reason');
    s = reduce(s, decide(s, { kind: 'override', reason: 'known flaky' })).state;
    expect(s.frames[0]?.steps[0]).toMatchObject({ status: 'overridden', reason: 'known flaky' });
  });

  it('a confirm step asks first; decline goes back, confirm starts it', () => {
    let s = readyAtPull();
    s = run([decide(s, { kind: 'skip', reason: 'x' })], s).state;
    s = run([decide(s, { kind: 'skip', reason: '' })], s).state;
    expect(cursor(s).key).toBe('/rb/deploy.md#restart');
    s = reduce(s, { type: 'confirm-requested', at: at(), ...cursor(s) }).state;
    expect(s.status.kind).toBe('confirm');
    expect(reduce(s, decide(s, { kind: 'decline' })).state.status.kind).toBe('ready');
    const r = reduce(s, decide(s, { kind: 'confirm' }));
    expect(r.commands).toEqual([{ type: 'start-step', depth: 0, index: 2, confirmed: true }]);
  });

  it('a manual item is confirmed by a decision, and the last one completes the session', () => {
    let s = readyAtPull();
    for (let i = 0; i < 3; i += 1) s = reduce(s, decide(s, { kind: 'skip', reason: 'r' })).state;
    expect(currentItem(s)?.item.step.kind).toBe('manual');
    const r = reduce(s, decide(s, { kind: 'confirm' }));
    expect(r.state.status).toEqual({ kind: 'ended', outcome: 'completed' });
    expect(r.commands).toEqual([{ type: 'ended', outcome: 'completed' }]);
  });

  it('recovery pushes a frame; completing it pops and returns to the blocked step, which waits to run again', () => {
    let s = readyAtPull();
    s = run([startStep(s)], s).state;
    s = reduce(s, finish(s, false)).state;
    const path = currentItem(s)?.item.recoveries[0];
    if (!path) throw new Error('no recovery path');
    const frame = planRecovery(path, books);
    s = reduce(s, decide(s, { kind: 'recover', path, frame })).state;
    expect(s.frames).toHaveLength(2);
    expect(cursor(s)).toEqual({ depth: 1, index: 0, key: '/rb/deploy.md#fix' });
    s = reduce(s, startStep(s)).state;
    const r = reduce(s, finish(s, true));
    expect(r.state.frames).toHaveLength(1);
    expect(r.state.frames[0]?.steps[0]?.status).toBe('pending');
    // Nothing starts by itself: the operator reads what the recovery did, then runs the step.
    expect(r.commands).toEqual([]);
    expect(r.state.status).toEqual({ kind: 'ready' });
    // The finished path is kept under the step it returned to, with its steps' states.
    const back = r.state.frames[0]?.returned;
    expect(back).toMatchObject({ depth: 1, index: 0, seq: r.state.seq, frame: { init: { title: frame.title } } });
    expect(back?.frame.steps.map((st) => st.status)).toEqual(['passed']);
    // Until the operator moves on: the step runs again and passes, and the path is dropped.
    s = reduce(r.state, startStep(r.state)).state;
    expect(s.frames[0]?.returned).toBeDefined();
    s = reduce(s, finish(s, true)).state;
    expect(s.frames[0]?.returned).toBeUndefined();
  });

  it('refuses recursion past the depth limit with a clear message', () => {
    let s = readyAtPull();
    const path = main.items[0]?.recoveries[0];
    if (!path) throw new Error('no recovery path');
    const frame = planRecovery(path, books);
    for (let depth = 0; depth < MAX_RECOVERY_DEPTH; depth += 1) {
      s = run([startStep(s)], s).state;
      s = reduce(s, finish(s, false)).state;
      s = reduce(s, decide(s, { kind: 'recover', path, frame })).state;
    }
    expect(s.frames).toHaveLength(MAX_RECOVERY_DEPTH + 1);
    s = run([startStep(s)], s).state;
    s = reduce(s, finish(s, false)).state;
    expect(gateChoices(s).find((c) => c.kind === 'recover')).toMatchObject({ disabled: expect.stringMatching(/depth limit/) });
    const r = reduce(s, decide(s, { kind: 'recover', path, frame }));
    expect(r.state.notice).toMatch(/recovery depth limit reached: 3 recovery procedures/);
    expect(r.state.frames).toHaveLength(MAX_RECOVERY_DEPTH + 1);
  });

  it('a rollback frame or a rollback step ends the session as rolled back', () => {
    let s = readyAtPull();
    s = run([startStep(s)], s).state;
    s = reduce(s, finish(s, false)).state;
    const path = currentItem(s)?.item.recoveries[0];
    if (!path) throw new Error('no recovery path');
    const frame = { ...planRecovery(path, books), rollback: true };
    s = reduce(s, decide(s, { kind: 'recover', path, frame })).state;
    s = reduce(s, startStep(s)).state;
    const r = reduce(s, finish(s, true));
    expect(r.state.status).toMatchObject({ kind: 'ended', outcome: 'rolled-back' });

    const rb = parseRunbook('# R\n\n```bash {name=undo rollback}\ngit reset --hard HEAD@{1}\n```\n', '/rb/r.md');
    let t = run([started(planMain(rb, new Map([[rb.file, rb]])), [])]).state;
    t = reduce(t, startStep(t)).state;
    expect(reduce(t, finish(t, true)).state.status).toMatchObject({ kind: 'ended', outcome: 'rolled-back' });
  });

  it('abort ends the session with the reason; nothing is possible afterwards', () => {
    const s = readyAtPull();
    const r = reduce(s, decide(s, { kind: 'abort', reason: 'wrong host' }));
    expect(r.state.status).toEqual({ kind: 'ended', outcome: 'aborted', reason: 'wrong host' });
    expect(reduce(r.state, startStep(s)).state.status.kind).toBe('ended');
  });

  it('on resume a running step becomes interrupted and blocks; secret vars are asked again', () => {
    let s = readyAtPull();
    s = reduce(s, startStep(s)).state;
    s = reduce(s, { type: 'session-resumed', at: at(), who, pid: 2, host: 'h' }).state;
    expect(s.frames[0]?.steps[0]).toMatchObject({ status: 'failed', interrupted: true, exitCode: null });
    expect(s.status).toMatchObject({ kind: 'vars', spec: { name: 'API_TOKEN' } });
    s = reduce(s, answered('API_TOKEN', true)).state;
    expect(s.status.kind).toBe('blocked');
  });

  it('plan-replaced keeps unchanged steps, resets edited ones, adds and drops', () => {
    let s = readyAtPull();
    s = reduce(s, startStep(s)).state;
    s = reduce(s, finish(s, true)).state;
    const edited = parseRunbook(DEPLOY.replace('npm run lint', 'npm run lint:all').replace('- [ ] watch the dashboard\n', ''), book.file);
    const fresh = planMain(edited, new Map([[edited.file, edited]]));
    const diff = diffPlans(main, fresh);
    // Manual items have derived ids, so which one counts as edited depends on the parser.
    expect(diff.edited).toContain('/rb/deploy.md#lint');
    expect(diff.removed).toHaveLength(1);
    expect(diff.added).toEqual([]);
    s = reduce(s, { type: 'plan-replaced', at: at(), depth: 0, frame: fresh, diff, runbooks: [] }).state;
    expect(s.frames[0]?.init.items.map((i) => i.step.id).slice(0, 3)).toEqual(['pull', 'lint', 'restart']);
    expect(s.frames[0]?.init.items).toHaveLength(4);
    expect(s.frames[0]?.steps.map((x) => x.status)).toEqual(['passed', 'pending', 'pending', 'passed']);
    expect(cursor(s).index).toBe(1);
  });

  it('plan-replaced: a moved step keeps its state, an edited failed step stays failed, an edited passed one runs again', () => {
    let s = readyAtPull();
    s = reduce(s, startStep(s)).state;
    s = reduce(s, finish(s, true)).state;
    s = reduce(s, startStep(s)).state;
    s = reduce(s, finish(s, false)).state;
    expect(s.frames[0]?.steps.map((x) => x.status).slice(0, 2)).toEqual(['passed', 'failed']);
    // lint (failed) is edited; restart moves above pull, into its own section.
    const edited = parseRunbook(
      DEPLOY.replace('npm run lint', 'npm run lint:all')
        .replace('```bash {name=restart confirm}\npm2 restart all\n```\n', '')
        .replace('## Pull\n', '## Restart\n\n```bash {name=restart confirm}\npm2 restart all\n```\n\n## Pull\n'),
      book.file,
    );
    const fresh = planMain(edited, new Map([[edited.file, edited]]));
    expect(fresh.items.map((i) => i.step.id).slice(0, 3)).toEqual(['restart', 'pull', 'lint']);
    const diff = diffPlans(main, fresh);
    expect(diff).toEqual({ added: [], removed: [], edited: ['/rb/deploy.md#lint'] });
    s = reduce(s, { type: 'plan-replaced', at: at(), depth: 0, frame: fresh, diff, runbooks: [] }).state;
    expect(s.frames[0]?.steps.map((x) => x.status).slice(0, 3)).toEqual(['pending', 'passed', 'failed']);
    expect(s.frames[0]?.steps[2]?.attempts).toBe(1);
    // The first open step is restart (never run); lint's gate is still there after it.
    expect(cursor(s).key).toBe('/rb/deploy.md#restart');

    // An edited step that had passed runs again with its new text.
    const again = parseRunbook(DEPLOY.replace('git pull', 'git pull --ff-only'), book.file);
    let t = readyAtPull();
    t = reduce(t, startStep(t)).state;
    t = reduce(t, finish(t, true)).state;
    const plan2 = planMain(again, new Map([[again.file, again]]));
    t = reduce(t, { type: 'plan-replaced', at: at(), depth: 0, frame: plan2, diff: diffPlans(main, plan2), runbooks: [] }).state;
    expect(t.frames[0]?.steps[0]?.status).toBe('pending');
    expect(cursor(t).key).toBe('/rb/deploy.md#pull');
  });

  it('matches identical unnamed steps by their order among equals', () => {
    const text = '# T\n\n## W\n\n```bash\necho same\n```\n\n```bash\necho same\n```\n';
    const one = parseRunbook(text, '/rb/t.md');
    const before = planMain(one, new Map([[one.file, one]]));
    const two = parseRunbook(text.replace('## W\n\n', '## W\n\n```bash\necho other\n```\n\n'), '/rb/t.md');
    const after = planMain(two, new Map([[two.file, two]]));
    const m = matchPlans(before, after);
    expect(m).toEqual({ from: [undefined, 0, 1], edited: [false, false, false], removed: [] });
  });

  it('replay of the same events gives the same state', () => {
    const events: SessionEvent[] = [started(), answered('REGION'), answered('API_TOKEN', true)];
    let s = run(events).state;
    events.push(startStep(s));
    s = run(events.slice(-1), s).state;
    events.push(finish(s, false));
    s = run(events.slice(-1), s).state;
    expect(replay(events, 's1')).toEqual(s);
  });

  it('never throws and keeps its invariants under any sequence of operator decisions', () => {
    const decisionArb = fc.oneof(
      fc.constant<Decision>({ kind: 'retry' }),
      fc.constant<Decision>({ kind: 'confirm' }),
      fc.constant<Decision>({ kind: 'decline' }),
      fc.string({ maxLength: 3 }).map<Decision>((reason) => ({ kind: 'skip', reason })),
      fc.string({ maxLength: 3 }).map<Decision>((reason) => ({ kind: 'override', reason })),
      fc.constant<Decision>({ kind: 'abort' }),
    );
    const actionArb = fc.oneof(
      decisionArb.map((d) => ({ d })),
      fc.boolean().map((ok) => ({ ok })),
      fc.constant({ start: true }),
    );
    fc.assert(
      fc.property(fc.array(actionArb, { maxLength: 40 }), (actions) => {
        let s = readyAtPull();
        for (const a of actions) {
          if (s.status.kind === 'ended') break;
          const e = 'd' in a ? decide(s, a.d) : 'ok' in a ? finish(s, a.ok) : startStep(s);
          s = reduce(s, e).state;
          const cur = currentItem(s);
          if (s.status.kind !== 'ended') {
            // The cursor never rests on a finished step.
            expect(cur && ['pending', 'running', 'failed'].includes(cur.step.status)).toBe(true);
          }
          if (s.status.kind === 'blocked') expect(cur?.step.status).toBe('failed');
          if (s.status.kind === 'running') expect(cur?.step.status).toBe('running');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('running a step out of order', () => {
  it('needs a reason, is refused past a gate, and returns the cursor to the first open step', () => {
    let s = readyAtPull();
    expect(reduce(s, decide(s, { kind: 'jump', index: 2, reason: '' })).state.notice).toBe('running a step out of order needs a reason');
    const r = reduce(s, decide(s, { kind: 'jump', index: 2, reason: 'restart first, pull is slow' }));
    expect(r.commands).toEqual([{ type: 'start-step', depth: 0, index: 2, confirmed: false }]);
    s = r.state;
    expect(cursor(s).key).toBe('/rb/deploy.md#restart');
    s = reduce(s, startStep(s)).state;
    s = reduce(s, finish(s, true)).state;
    expect(cursor(s).key).toBe('/rb/deploy.md#pull');
    s = reduce(s, startStep(s)).state;
    s = reduce(s, finish(s, false)).state;
    expect(reduce(s, decide(s, { kind: 'jump', index: 1, reason: 'x' })).state.notice).toMatch(/nothing past a gate can run: decide on pull first/);
  });
});
