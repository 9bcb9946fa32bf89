/**
 * What the operator may decide now, read from the state alone: the cursor step, what a gate
 * offers, and why a decision would be refused. The reducer refuses with these words, and the
 * faces ask them before they offer or ask for anything. Pure.
 */
import type { Choice, Decision, FlowItem, Frame, SessionState, StepState } from './types.js';
import { MAX_RECOVERY_DEPTH } from './types.js';
import { stepName } from './step-name.js';
import type { VarSpec } from '../runbooks/model.js';

/** For the `default` of an exhaustive switch: a member the switch missed fails loudly. */
export function assertNever(value: never, what = 'value'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/** The checklist being walked: the innermost recovery path, else the main flow. */
export function topFrame(state: SessionState): Frame | undefined {
  return state.frames[state.frames.length - 1];
}

/**
 * Nothing ran and nobody decided anything yet (vars answered at most): such a session is not
 * resumable (`resume` says "nothing ran"), so quitting it must not point there.
 */
export function nothingRan(state: SessionState): boolean {
  return state.frames.length <= 1 && state.frames.every((frame) => frame.steps.every((step) => step.status === 'pending' && step.attempts === 0));
}

/** The step under the cursor of the top frame. */
export function currentItem(state: SessionState): { frame: Frame; item: FlowItem; step: StepState; depth: number; index: number } | undefined {
  const frame = topFrame(state);
  if (!frame) return undefined;
  const item = frame.init.items[frame.cursor];
  const step = frame.steps[frame.cursor];
  if (!item || !step) return undefined;
  return { frame, item, step, depth: state.frames.length - 1, index: frame.cursor };
}

/**
 * Whether a step that reads vars (a command or a check, in any frame) is still to run, or to
 * run again: a manual item reads none.
 */
export function varsStillRead(state: SessionState): boolean {
  const open = (step: StepState | undefined): boolean => step?.status !== 'passed' && step?.status !== 'skipped' && step?.status !== 'overridden';
  return state.frames.some((frame) => frame.init.items.some((item, i) => item.step.kind !== 'manual' && open(frame.steps[i])));
}

/**
 * The var to ask for now: the first unanswered one, while a step that could read it is left.
 * A resume drops secret answers (never journaled); with only manual items left, asking again
 * would hold the operator for a value nothing uses.
 */
export function owedVar(state: SessionState): VarSpec | undefined {
  const missing = state.vars.find((v) => !(v.name in state.answers));
  return missing !== undefined && varsStillRead(state) ? missing : undefined;
}

export function isOptional(item: FlowItem): boolean {
  return item.step.kind !== 'manual' && item.step.attrs.optional;
}

/** What a gate offers, in the order the UI lists them. */
export function gateChoices(state: SessionState): Choice[] {
  const cur = currentItem(state);
  if (!cur) return [];
  const choices: Choice[] = [{ kind: 'retry' }];
  const atLimit = state.frames.length - 1 >= MAX_RECOVERY_DEPTH;
  cur.item.recoveries.forEach((path, index) => {
    const choice: Choice = { kind: 'recover', index, path };
    if (atLimit) choice.disabled = `recovery depth limit (${MAX_RECOVERY_DEPTH}) reached`;
    choices.push(choice);
  });
  choices.push({ kind: 'skip', reasonRequired: !isOptional(cur.item) });
  choices.push({ kind: 'override' });
  choices.push({ kind: 'abort' });
  return choices;
}

/** Why a decision cannot be taken now, or undefined when it can. */
export function refusal(state: SessionState, decision: Decision): string | undefined {
  const why = refusalFor(state, decision.kind);
  if (why !== undefined) return why;
  const cur = currentItem(state);
  if (!cur) return 'there is no step to decide on';
  switch (decision.kind) {
    case 'skip':
      return !isOptional(cur.item) && decision.reason.trim() === '' ? 'skipping a required step needs a reason' : undefined;
    case 'override':
      return decision.reason.trim() === '' ? 'an override needs a reason' : undefined;
    case 'jump': {
      const target = cur.frame.init.items[decision.index];
      if (!target) return `there is no step ${decision.index + 1}`;
      if (target.step.kind === 'manual') return `${stepName(target, 30)} is a manual item: confirm it when the cursor reaches it`;
      if (decision.index === cur.index) return `${stepName(target, 30)} is already the next step: just run it`;
      return decision.reason.trim() === '' ? 'running a step out of order needs a reason' : undefined;
    }
    case 'retry':
    case 'recover':
    case 'abort':
    case 'confirm':
    case 'decline':
      return undefined;
    default:
      return assertNever(decision, 'decision');
  }
}

/**
 * Why a decision of this kind cannot be made now, whatever its details (a reason, a path);
 * undefined when it can. The UI asks this before it offers or asks for anything.
 */
export function refusalFor(state: SessionState, kind: Decision['kind']): string | undefined {
  const status = state.status.kind;
  const cur = currentItem(state);
  if (status === 'ended') return 'the session has ended';
  if (!cur) return 'there is no step to decide on';
  // A trial pressed `c` while a check re-ran after a recovery path that had not helped (30 s
  // of backoff) and was told only where recovery is offered: say how to get there.
  const atGateOnly = (what: string, offered: string): string => (status === 'running' ? `a step is running: ctrl-c stops it, then its gate offers ${offered}` : `${what} offered only at a gate`);
  switch (kind) {
    case 'retry':
      return status === 'blocked' ? undefined : atGateOnly('retry is', 'retry');
    case 'recover':
      if (status !== 'blocked') return atGateOnly('a recovery path is', 'recovery');
      if (state.frames.length - 1 >= MAX_RECOVERY_DEPTH) {
        return `recovery depth limit reached: ${MAX_RECOVERY_DEPTH} recovery procedures are already stacked; finish, skip or abort one first`;
      }
      return undefined;
    case 'skip':
      return status !== 'blocked' && status !== 'ready' && status !== 'confirm' ? 'nothing to skip now' : undefined;
    case 'override':
      return status !== 'blocked' ? atGateOnly('override is', 'override') : undefined;
    case 'abort':
      return status === 'running' ? 'abort is not possible while a step runs; interrupt it first' : undefined;
    case 'confirm':
      if (status === 'confirm') return undefined;
      if (status === 'ready' && cur.item.step.kind === 'manual') return undefined;
      return 'nothing to confirm';
    case 'decline':
      return status === 'confirm' ? undefined : 'nothing to decline';
    case 'jump':
      if (status === 'blocked') return `nothing past a gate can run: decide on ${stepName(cur.item, 30)} first`;
      if (status !== 'ready' && status !== 'confirm') return 'a step can be run out of order only when none is running';
      return undefined;
    default:
      return assertNever(kind, 'decision kind');
  }
}
