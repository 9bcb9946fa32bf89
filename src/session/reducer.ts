/**
 * The session engine as a pure state machine: `reduce(state, event)` folds one journal event
 * and returns the new state plus the effects the driver must perform. Nothing here touches a
 * clock, a shell or a file, so the live session and a journal replay go through the same code.
 */
import type { Command, FlowItem, Frame, FrameInit, Outcome, Reduction, SessionEvent, SessionState, Status, StepState } from './types.js';
import { matchPlans } from './match.js';
import { looksSecret } from './redact.js';
import { assertNever, currentItem, gateChoices, owedVar, refusal, topFrame } from './decisions.js';
import { stepName } from './step-name.js';

// Its callers read these beside the reducer.
export { assertNever, currentItem, gateChoices, refusal, refusalFor, topFrame } from './decisions.js';

/** The state before `session-started`. */
export function initialState(id = ''): SessionState {
  return { id, status: { kind: 'new' }, frames: [], vars: [], answers: {}, captured: {}, runbooks: [], seq: 0 };
}

/** Fold a whole journal (in order). Commands are dropped: replay performs no effects. */
export function replay(events: readonly SessionEvent[], id = ''): SessionState {
  let state = initialState(id);
  for (const event of events) state = reduce(state, event).state;
  return state;
}

/** Why a task item ticked in the file (`- [x]`) is passed: nobody confirmed it in this session. */
export const TICKED_IN_RUNBOOK = 'ticked in the runbook';

function initialStepState(item: FlowItem): StepState {
  if (item.step.kind === 'manual' && item.step.done) {
    return { status: 'passed', reason: TICKED_IN_RUNBOOK, attempts: 0 };
  }
  return { status: 'pending', attempts: 0 };
}

function makeFrame(init: FrameInit): Frame {
  const frame: Frame = { init, steps: init.items.map(initialStepState), cursor: 0 };
  frame.cursor = nextOpen(frame);
  return frame;
}

function isDone(step: StepState): boolean {
  return step.status === 'passed' || step.status === 'skipped' || step.status === 'overridden';
}

/** First step not yet done; `items.length` when the frame is complete. */
function nextOpen(frame: Frame): number {
  const index = frame.steps.findIndex((s) => !isDone(s));
  return index === -1 ? frame.steps.length : index;
}

/**
 * Derives the status from the data, so that every path (live, replay, resume) agrees:
 * unanswered vars first, then whatever the cursor step is doing.
 */
function settle(state: SessionState): Status {
  if (state.status.kind === 'ended') return state.status;
  const missing = owedVar(state);
  if (missing) return { kind: 'vars', spec: missing };
  const cur = currentItem(state);
  if (!cur) return state.status;
  switch (cur.step.status) {
    case 'running':
      return { kind: 'running' };
    case 'failed':
      return { kind: 'blocked', choices: gateChoices(state) };
    case 'pending':
      return cur.frame.confirming ? { kind: 'confirm' } : { kind: 'ready' };
    case 'passed':
    case 'skipped':
    case 'overridden':
      // advance() never leaves the cursor on a finished step.
      return { kind: 'ready' };
    default:
      return assertNever(cur.step.status, 'step status');
  }
}

function end(state: SessionState, outcome: Outcome, at: number, reason?: string): Command[] {
  state.status = reason === undefined ? { kind: 'ended', outcome } : { kind: 'ended', outcome, reason };
  state.endedAt = at;
  return [{ type: 'ended', outcome }];
}

/**
 * Moves past a finished cursor step. A finished recovery frame pops and returns to the step it
 * was entered from, which waits to run again (pending): the operator reads what the recovery
 * did first, and `enter` (or a walk) runs it. A finished rollback frame or main frame ends the
 * session.
 */
function advance(state: SessionState, at: number): Command[] {
  for (;;) {
    const frame = topFrame(state);
    if (!frame) return [];
    frame.confirming = false;
    frame.cursor = nextOpen(frame);
    if (frame.cursor < frame.steps.length) return [];
    if (frame.init.rollback) {
      return end(state, 'rolled-back', at, `recovery ${frame.init.title} completed`);
    }
    if (state.frames.length === 1) return end(state, 'completed', at);
    const done = state.frames.pop();
    const parent = topFrame(state);
    const blocked = parent?.steps[parent.cursor];
    if (!done || !parent || !blocked) return [];
    if (blocked.status === 'failed') {
      blocked.status = 'pending';
      // Only the path that returned here is kept, not the ones it returned from in turn.
      const { returned: _nested, ...finished } = done;
      parent.returned = { frame: finished, depth: state.frames.length, index: parent.cursor, seq: state.seq };
      return [];
    }
    // The parent step was settled some other way meanwhile: keep unwinding.
  }
}

function refuse(state: SessionState, notice: string): Reduction {
  state.notice = notice;
  return { state, commands: [] };
}

/** Is the event about the cursor step of the top frame? Stale events are ignored, not fatal. */
function targetsCursor(state: SessionState, depth: number, index: number): boolean {
  const frame = topFrame(state);
  return state.frames.length - 1 === depth && frame !== undefined && frame.cursor === index;
}

function applyDecision(state: SessionState, event: Extract<SessionEvent, { type: 'decision' }>): Reduction {
  const { decision } = event;
  if (!targetsCursor(state, event.depth, event.index)) return refuse(state, 'decision for a step that is not current was ignored');
  const why = refusal(state, decision);
  if (why !== undefined) return refuse(state, why);
  const cur = currentItem(state);
  if (!cur) return { state, commands: [] };
  const { frame, step } = cur;
  let commands: Command[] = [];
  switch (decision.kind) {
    case 'retry':
      step.status = 'pending';
      commands = [{ type: 'start-step', depth: event.depth, index: event.index, confirmed: true }];
      break;
    case 'recover':
      state.frames.push(makeFrame(decision.frame));
      // An empty recovery section completes at once and returns to the blocked step.
      commands = advance(state, event.at);
      break;
    case 'skip':
      step.status = 'skipped';
      step.reason = decision.reason.trim() === '' ? 'optional step' : decision.reason;
      commands = advance(state, event.at);
      break;
    case 'override':
      step.status = 'overridden';
      step.reason = decision.reason;
      commands = advance(state, event.at);
      break;
    case 'abort':
      commands = end(state, 'aborted', event.at, decision.reason);
      break;
    case 'confirm':
      if (cur.item.step.kind === 'manual') {
        step.status = 'passed';
        step.finishedAt = event.at;
        commands = advance(state, event.at);
      } else {
        frame.confirming = false;
        commands = [{ type: 'start-step', depth: event.depth, index: event.index, confirmed: true }];
      }
      break;
    case 'decline':
      frame.confirming = false;
      break;
    case 'jump': {
      frame.confirming = false;
      const target = frame.steps[decision.index];
      if (target) target.status = 'pending';
      frame.cursor = decision.index;
      // A secret dropped by a resume and not asked again (only manual items were left) is
      // owed now that this step is to run: it is asked first, and enter then runs the step.
      commands = owedVar(state) ? [] : [{ type: 'start-step', depth: event.depth, index: decision.index, confirmed: false }];
      break;
    }
    default:
      assertNever(decision, 'decision');
  }
  return { state, commands };
}

function applyFinished(state: SessionState, event: Extract<SessionEvent, { type: 'step-finished' }>): Reduction {
  const cur = currentItem(state);
  if (!cur || !targetsCursor(state, event.depth, event.index) || cur.step.status !== 'running') {
    return refuse(state, 'a result for a step that was not running was ignored');
  }
  const { step, item } = cur;
  step.status = event.ok ? 'passed' : 'failed';
  step.exitCode = event.exitCode;
  step.durationMs = event.durationMs;
  step.finishedAt = event.at;
  step.timedOut = event.timedOut;
  step.interrupted = event.interrupted;
  if (event.signal !== undefined) step.signal = event.signal;
  if (event.reason !== undefined) step.reason = event.reason;
  else delete step.reason;
  if (!event.ok) return { state, commands: [] };
  if (item.step.kind !== 'manual' && item.step.attrs.rollback) {
    return { state, commands: end(state, 'rolled-back', event.at, `rollback step ${stepName(item)} passed`) };
  }
  return { state, commands: advance(state, event.at) };
}

/** Folds one event. Never throws on a well-formed event; odd ones leave a notice. */
export function reduce(previous: SessionState, event: SessionEvent): Reduction {
  const state = copyState(previous);
  state.seq += 1;
  delete state.notice;
  const result = fold(state, event);
  for (const frame of result.state.frames) {
    // What a recovery path did stays in view until the operator moves on from its step.
    if (frame.returned && frame.cursor !== frame.returned.index) delete frame.returned;
  }
  result.state.status = settle(result.state);
  return result;
}

/**
 * A copy the reducer may mutate. Frame plans (`init`, the parsed steps) are never mutated, so
 * they are shared: copying them on every event made a 300-step replay quadratic.
 */
function copyState(s: SessionState): SessionState {
  const copy: SessionState = {
    ...s,
    status: structuredClone(s.status),
    frames: s.frames.map((f) => ({
      ...f,
      steps: f.steps.map((step) => (step.checks ? { ...step, checks: step.checks.map((c) => ({ ...c })) } : { ...step })),
    })),
    answers: Object.fromEntries(Object.entries(s.answers).map(([k, v]) => [k, { ...v }])),
    // Journals from before captures existed fold into a state without them.
    captured: { ...(s.captured ?? {}) },
    runbooks: [...s.runbooks],
  };
  if (s.who) copy.who = { ...s.who };
  return copy;
}

function fold(state: SessionState, event: SessionEvent): Reduction {
  switch (event.type) {
    case 'session-started': {
      state.id = event.id;
      state.frames = [makeFrame(event.frame)];
      // Journals written before names decided secrecy: a secret-looking name is secret.
      state.vars = event.vars.map((v) => (v.secret || !looksSecret(v.name) ? v : { ...v, secret: true }));
      state.answers = {};
      state.runbooks = event.runbooks;
      state.who = event.who;
      if (event.options.as !== undefined) state.as = event.options.as;
      state.startedAt = event.at;
      state.status = { kind: 'ready' };
      if (state.frames[0]?.cursor === event.frame.items.length && event.vars.length === 0) {
        return { state, commands: end(state, 'completed', event.at) };
      }
      return { state, commands: [] };
    }
    case 'var-answered': {
      const answer: SessionState['answers'][string] = { secret: event.secret, source: event.source };
      if (!event.secret && event.value !== undefined) answer.value = event.value;
      state.answers[event.name] = answer;
      const frame = state.frames[0];
      if (frame && frame.cursor >= frame.steps.length && state.vars.every((v) => v.name in state.answers)) {
        return { state, commands: end(state, 'completed', event.at) };
      }
      return { state, commands: [] };
    }
    case 'var-captured': {
      // Written once: a re-run of the step (a retry, a recovery that returned) cannot replace it.
      if (!(event.name in state.captured)) state.captured[event.name] = { value: event.value, key: event.key, at: event.at };
      return { state, commands: [] };
    }
    case 'confirm-requested': {
      const cur = currentItem(state);
      if (!cur || !targetsCursor(state, event.depth, event.index) || cur.step.status !== 'pending') {
        return refuse(state, 'confirmation for a step that is not current was ignored');
      }
      cur.frame.confirming = true;
      return { state, commands: [] };
    }
    case 'step-started': {
      const cur = currentItem(state);
      if (!cur || !targetsCursor(state, event.depth, event.index)) {
        return refuse(state, 'start of a step that is not current was ignored');
      }
      // A failed step runs again only through a journaled decision (retry) that makes it pending.
      if (cur.step.status !== 'pending') {
        return refuse(state, `step ${stepName(cur.item, 30)} is ${cur.step.status}`);
      }
      cur.frame.confirming = false;
      const step: StepState = { status: 'running', attempts: event.attempt, startedAt: event.at };
      if (cur.item.step.kind === 'check') step.checks = [];
      cur.frame.steps[cur.index] = step;
      return {
        state,
        commands: [{ type: 'execute', depth: event.depth, index: event.index, attempt: event.attempt, item: cur.item }],
      };
    }
    case 'check-attempt': {
      const cur = currentItem(state);
      if (!cur || !targetsCursor(state, event.depth, event.index) || cur.step.status !== 'running') {
        return refuse(state, 'a check attempt for a step that is not running was ignored');
      }
      const checks = (cur.step.checks ??= []);
      const progress: NonNullable<StepState['checks']>[number] = {
        target: event.target,
        attempt: event.attempt,
        of: event.of,
        ok: event.ok,
        latencyMs: event.latencyMs,
      };
      if (event.name !== undefined) progress.name = event.name;
      if (event.status !== undefined) progress.status = event.status;
      if (event.error !== undefined) progress.error = event.error;
      if (event.why !== undefined) progress.why = event.why;
      if (event.nextDelayMs !== undefined) {
        progress.nextDelayMs = event.nextDelayMs;
        progress.nextAt = event.at + event.nextDelayMs;
      }
      checks[event.check] = progress;
      return { state, commands: [] };
    }
    case 'step-finished':
      return applyFinished(state, event);
    case 'decision':
      return applyDecision(state, event);
    case 'session-resumed': {
      if (event.as !== undefined) state.as = event.as;
      // Secret values were never journaled: ask for them again.
      for (const [name, answer] of Object.entries(state.answers)) {
        if (!answer.secret) continue;
        state.secretsBefore = { ...state.secretsBefore, [name]: answer.source };
        delete state.answers[name];
      }
      const cur = currentItem(state);
      if (cur) cur.frame.confirming = false;
      if (cur && cur.step.status === 'running') {
        cur.step.status = 'failed';
        cur.step.interrupted = true;
        cur.step.exitCode = null;
        cur.step.reason = 'stepgate stopped while this step ran (killed, hung up or crashed); its outcome is unknown';
      }
      return { state, commands: [] };
    }
    case 'plan-replaced': {
      const old = state.frames[event.depth];
      if (!old) return refuse(state, `no frame at depth ${event.depth} to replace`);
      state.frames[event.depth] = carryOver(old, event.frame);
      state.runbooks = event.runbooks;
      return { state, commands: [] };
    }
    case 'session-discarded': {
      if (state.status.kind === 'ended') return refuse(state, `the session has already ended (${state.status.outcome})`);
      const cur = currentItem(state);
      // A step journaled as running was cut short by a crash: its outcome stays unknown.
      if (cur && cur.step.status === 'running') {
        cur.step.status = 'failed';
        cur.step.interrupted = true;
        cur.step.exitCode = null;
      }
      if (cur) cur.frame.confirming = false;
      return { state, commands: end(state, 'discarded', event.at, event.reason) };
    }
    case 'preflight':
      // Preflight decides before the walk, not in it: kept only to be shown.
      return { state: { ...state, preflight: { findings: event.findings, ms: event.ms, ...(event.skipped ? { skipped: event.skipped } : {}) } }, commands: [] };
    case 'shell-reset':
    case 'terminal-closed':
    case 'terminal-attached':
    case 'terminal-detached':
    case 'lock-taken-over':
      // Only the shell or the operator's terminal changed: the walk, its steps and the decisions stay as they were.
      return { state, commands: [] };
    default:
      return assertNever(event, 'event');
  }
}

/**
 * A runbook edited between crash and resume. Steps are matched by content first (`matchPlans`),
 * so an unchanged step keeps its state wherever it moved. An edited step that was done runs
 * again with its new text; an edited step that failed (or was interrupted) stays failed, so its
 * gate, and resume's guard for interrupted steps, still hold. Added steps start pending,
 * removed ones go. The match is recomputed here from the two plans, never taken from the event.
 */
function carryOver(old: Frame, init: FrameInit): Frame {
  const match = matchPlans(old.init, init);
  const frame: Frame = {
    init,
    steps: init.items.map((item, i) => {
      const j = match.from[i];
      const prior = j === undefined ? undefined : old.steps[j];
      if (!prior) return initialStepState(item);
      if (!match.edited[i] || prior.status === 'failed' || prior.status === 'running') return prior;
      return initialStepState(item);
    }),
    cursor: 0,
  };
  frame.cursor = nextOpen(frame);
  return frame;
}
