/**
 * The one driver of a walk: asks `nextMove` what to do, performs it on the store, waits for
 * the session to settle, and goes on until a stop. Plain mode and the TUI's run-all both walk
 * through here; what differs between them is the policy and the hooks, never the walk.
 */
import { nextMove, policyAfter, type Move, type StopReason, type WalkPolicy } from './next-move.js';
import type { SessionStore } from './store-types.js';

export interface WalkHooks {
  /**
   * Before each move (`moves` taken so far; `next` is what `nextMove` says, maybe a stop): a
   * reason from the face to stop instead (interrupted, nobody attached, another intent).
   */
  halt?: (moves: number, next: Move) => string | undefined;
  /** Answers the vars being asked before each move; a message when one cannot be answered. */
  answerVars?: () => Promise<string | undefined>;
  /** Asks the operator about a manual item or a `confirm=` step (policy `ask`); false stops the walk. */
  ask?: (move: Extract<Move, { kind: 'ask' }>) => Promise<boolean>;
  /** Around a move that acts on the session (plain mode forwards the terminal's keys meanwhile). */
  acting?: (move: Move) => (() => void) | undefined;
  /** A move is taken (plain mode says a retry). */
  taking?: (move: Move) => void;
}

export interface WalkEnd {
  reason: StopReason;
  /** The move that stopped the walk, when an `ask` was answered no. */
  declined?: Extract<Move, { kind: 'ask' }>;
}

async function perform(store: SessionStore, move: Exclude<Move, { kind: 'stop' | 'ask' }>): Promise<void> {
  const actions = store.getState().actions;
  switch (move.kind) {
    case 'run':
      return actions.runStep();
    case 'confirm':
      return actions.confirm(move.auto ? { auto: true } : {});
    case 'skip':
      return actions.skip(move.reason);
    case 'retry':
      return actions.retry();
    case 'recover':
      // Only --recover walks into a recovery path: journaled as by it, as --yes is for a tick.
      return actions.chooseRecovery(move.index, { auto: true });
    case 'wait':
      return;
    default: {
      const never: never = move;
      throw new Error(`unknown move ${JSON.stringify(never)}`);
    }
  }
}

/** Walks `store` under `policy` until `nextMove` (or a hook) says stop. */
export async function walk(store: SessionStore, start: WalkPolicy, hooks: WalkHooks = {}): Promise<WalkEnd> {
  const actions = store.getState().actions;
  let policy = start;
  for (let moves = 0; ; moves += 1) {
    const missing = await hooks.answerVars?.();
    if (missing !== undefined) return { reason: { kind: 'face', why: missing } };
    await actions.idle();
    // Where the walk started, once the vars are answered (a resume asks for secret ones again):
    // --retry takes the block the session was resumed at, not a later one.
    if (policy.startSeq === undefined) policy = { ...policy, startSeq: store.getState().session.seq };
    const before = store.getState().session.seq;
    const move = nextMove(store.getState().session, policy);
    const halted = hooks.halt?.(moves, move);
    if (halted !== undefined) return { reason: { kind: 'face', why: halted } };
    if (move.kind === 'stop') return { reason: move.reason };
    policy = policyAfter(policy, move);
    hooks.taking?.(move);
    let done: (() => void) | undefined;
    if (move.kind === 'ask') {
      if (!hooks.ask || !(await hooks.ask(move))) return { reason: { kind: 'face', why: 'declined' }, declined: move };
      // A yes to a confirm= step starts it: the terminal's keys go to it as to any step run.
      done = hooks.acting?.(move);
      await actions.confirm();
    } else {
      done = hooks.acting?.(move);
      await perform(store, move);
    }
    await actions.idle();
    done?.();
    // An intent that was refused moves nothing: say why rather than spin.
    const after = store.getState();
    if (after.session.seq === before && after.session.status.kind !== 'vars') {
      return { reason: after.error !== undefined ? { kind: 'no-progress', error: after.error } : { kind: 'no-progress' } };
    }
  }
}
