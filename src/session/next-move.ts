/**
 * The walk's one decision: given the session and how this walk may act (its policy), what to
 * do next, or why to stop. Pure: plain mode and the TUI's run-all both walk through
 * `walk.ts`'s driver, which performs what this returns; neither face decides the walk itself.
 */
import { currentItem, gateChoices } from './reducer.js';
import type { SessionState } from './types.js';

/** How a manual item or a `confirm=` step is answered on this walk. */
export type ConfirmPolicy =
  /** Stop there: someone decides (the TUI shows the prompt; plain mode with no terminal). */
  | 'stop'
  /** Tick or confirm it, journaled as by --yes. */
  | 'auto'
  /** Ask the operator (plain mode on a terminal). */
  | 'ask';

export interface WalkPolicy {
  confirm: ConfirmPolicy;
  /** At the first gate with a recovery path, walk the first one (once: `recovered` is then set). */
  recover: boolean;
  /** `--recover-path N`: walk the gate's N-th recovery path (1 first) instead of the first open one. */
  recoverPath?: number;
  recovered: boolean;
  /** `--skip STEP=REASON`: skip these steps (by id or key) when reached or blocked; each once. */
  skips: ReadonlyMap<string, string>;
  /** `resume --retry`: the step blocked at `startSeq` (where the walk started) is retried once. */
  retryBlocked: boolean;
  startSeq?: number;
  /**
   * A step that was running when stepgate died: `stop` the walk there, `rerun` it, or treat it
   * as any gate (`gate`, which the walk returns to after its first move).
   */
  interruptedStep: 'stop' | 'rerun' | 'gate';
  /**
   * Nobody can type into a running step (plain mode without any terminal): an `interactive`
   * step is not started, since it would wait for keys until killed.
   */
  unattended?: boolean;
  /** Stay in the checklist this deep: a recovery path chosen or finished meanwhile ends the walk. */
  depth?: number;
  /**
   * A recovery path this walk ran returned to the blocked step: stop there (`returned`) before
   * the step runs again, so the operator reads what the path's steps printed first (the TUI,
   * whose screen shows one step's output at a time). Plain mode has printed every line already
   * and goes on. A walk started at the return runs the step.
   */
  stopOnReturn?: boolean;
}

export const DEFAULT_POLICY: WalkPolicy = { confirm: 'stop', recover: false, recovered: false, skips: new Map(), retryBlocked: false, interruptedStep: 'gate' };

/** Why a walk stopped. The face words it. */
export type StopReason =
  | { kind: 'ended' }
  | { kind: 'not-started' }
  /** At a gate nobody decided for; `recoverable`: a recovery path is open; `paths`: how many it lists. */
  | { kind: 'blocked'; recoverable: boolean; paths: number }
  /** At a step that was running when stepgate stopped (`interruptedStep: 'stop'`). */
  | { kind: 'interrupted-step'; step: string }
  /** A manual item or a `confirm=` step the policy does not answer. */
  | { kind: 'needs-operator'; step: string; manual?: string }
  /** An `interactive` step, and nobody to type into it (`unattended`). */
  | { kind: 'needs-terminal'; step: string }
  | { kind: 'vars' }
  /** A recovery path was chosen or finished: a different checklist (`depth`). */
  | { kind: 'left-checklist' }
  /** A recovery path (`title`) this walk ran returned to the blocked step (`stopOnReturn`). */
  | { kind: 'returned'; step: string; title: string }
  /** Stopped by the face (its own reasons: declined, unattended, interrupted, missing vars...). */
  | { kind: 'face'; why: string }
  /** The move was refused and nothing moved; `error` is the store's word for why. */
  | { kind: 'no-progress'; error?: string };

export type Move =
  | { kind: 'run' }
  | { kind: 'confirm'; auto: boolean }
  /** Ask the operator about a manual item (`manual` is its text) or a `confirm=` step. */
  | { kind: 'ask'; step: string; manual?: string }
  | { kind: 'skip'; reason: string; step: string; key: string }
  | { kind: 'retry'; why: 'blocked-at-start' | 'interrupted'; step: string }
  | { kind: 'recover'; index: number }
  /** A step runs: wait for it. */
  | { kind: 'wait' }
  | { kind: 'stop'; reason: StopReason };

const stop = (reason: StopReason): Move => ({ kind: 'stop', reason });

export function nextMove(state: SessionState, policy: WalkPolicy): Move {
  const status = state.status;
  if (policy.depth !== undefined && state.frames.length !== policy.depth && status.kind !== 'ended') return stop({ kind: 'left-checklist' });
  const cur = currentItem(state);
  switch (status.kind) {
    case 'new':
      return stop({ kind: 'not-started' });
    case 'ended':
      return stop({ kind: 'ended' });
    case 'vars':
      return stop({ kind: 'vars' });
    case 'running':
      return { kind: 'wait' };
    case 'ready':
    case 'confirm':
    case 'blocked':
      break;
    default: {
      const never: never = status;
      throw new Error(`unknown status ${JSON.stringify(never)}`);
    }
  }
  if (!cur) return stop({ kind: 'no-progress', error: 'there is no step to run' });
  const step = cur.item.step.id;
  const skip = policy.skips.get(step) ?? policy.skips.get(cur.item.key);
  if (skip !== undefined) return { kind: 'skip', reason: skip, step, key: cur.item.key };
  if (status.kind === 'blocked') {
    if (policy.retryBlocked && state.seq === policy.startSeq && !cur.step.interrupted) return { kind: 'retry', why: 'blocked-at-start', step };
    if (policy.interruptedStep !== 'gate' && cur.step.interrupted) {
      return policy.interruptedStep === 'stop' ? stop({ kind: 'interrupted-step', step }) : { kind: 'retry', why: 'interrupted', step };
    }
    const paths = gateChoices(state).filter((c) => c.kind === 'recover');
    const first = paths.find((c) => c.disabled === undefined);
    if (policy.recover && !policy.recovered && policy.recoverPath !== undefined) {
      const asked = paths[policy.recoverPath - 1];
      if (asked === undefined) return stop({ kind: 'no-progress', error: `--recover-path ${policy.recoverPath}: the gate of ${step} offers ${paths.length === 0 ? 'no recovery path' : paths.length === 1 ? 'one recovery path (1)' : `recovery paths 1 to ${paths.length}`}` });
      if (asked.disabled !== undefined) return stop({ kind: 'no-progress', error: `--recover-path ${policy.recoverPath}: ${asked.disabled}` });
      return { kind: 'recover', index: asked.index };
    }
    if (policy.recover && !policy.recovered && first?.kind === 'recover') return { kind: 'recover', index: first.index };
    return stop({ kind: 'blocked', recoverable: first !== undefined, paths: paths.length });
  }
  const back = cur.frame.returned;
  if (policy.stopOnReturn && back !== undefined && back.index === cur.index && policy.startSeq !== undefined && back.seq > policy.startSeq) {
    return stop({ kind: 'returned', step, title: back.frame.init.title });
  }
  const manual = cur.item.step.kind === 'manual' ? cur.item.step.text : undefined;
  if (manual !== undefined || status.kind === 'confirm') {
    switch (policy.confirm) {
      case 'auto':
        return { kind: 'confirm', auto: true };
      case 'ask':
        return manual !== undefined ? { kind: 'ask', step, manual } : { kind: 'ask', step };
      case 'stop':
        return stop(manual !== undefined ? { kind: 'needs-operator', step, manual } : { kind: 'needs-operator', step });
      default: {
        const never: never = policy.confirm;
        throw new Error(`unknown confirm policy ${JSON.stringify(never)}`);
      }
    }
  }
  if (policy.unattended && cur.item.step.kind === 'command' && cur.item.step.attrs.interactive) return stop({ kind: 'needs-terminal', step });
  return { kind: 'run' };
}

/** The policy after `move` was taken: skips are used once, the recovery once, an interrupted step is a gate again. */
export function policyAfter(policy: WalkPolicy, move: Move): WalkPolicy {
  switch (move.kind) {
    case 'skip': {
      const skips = new Map(policy.skips);
      skips.delete(move.step);
      skips.delete(move.key);
      return { ...policy, skips };
    }
    case 'recover':
      return { ...policy, recovered: true };
    case 'retry':
      return move.why === 'interrupted' ? { ...policy, interruptedStep: 'gate' } : policy;
    case 'run':
    case 'confirm':
    case 'ask':
      return { ...policy, interruptedStep: 'gate' };
    case 'wait':
    case 'stop':
      return policy;
    default: {
      const never: never = move;
      throw new Error(`unknown move ${JSON.stringify(never)}`);
    }
  }
}
