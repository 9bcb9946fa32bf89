/**
 * When the operator's attention is wanted: the session decides, a face rings (the TUI writes a
 * bell and, where the terminal declares it, a desktop notification). Pure: an event and the
 * state it left.
 *
 * Only the results of work the operator may have stopped watching call for attention: a step
 * or its checks finishing (a gate, a manual item or a recovery path's return that waits for
 * them). What follows the operator's own key (a decision, a confirm, a
 * Ctrl-C) never does, nor does opening or resuming a session: the operator is looking.
 */
import { currentItem } from './decisions.js';
import type { SessionEvent, SessionState } from './types.js';
import { stepName } from './step-name.js';

/** A step that ran longer than this and finished is worth a bell: the operator has looked away. */
export const LONG_STEP_MS = 10_000;

export type AttentionWhy = 'gate-blocked' | 'manual-waits' | 'recovery-returned' | 'long-step-finished';

export interface Attention {
  why: AttentionWhy;
  /** The step the attention is about (the blocked one, the manual item, the finished one). */
  step: string;
  /** One line for a notification: what happened, in words. */
  text: string;
}

export function attentionAfter(event: SessionEvent, state: SessionState): Attention | undefined {
  if (event.type !== 'step-finished' || event.interrupted) return undefined;
  const cur = currentItem(state);
  const title = state.frames[0]?.init.title ?? 'stepgate';
  if (state.status.kind === 'blocked' && cur) {
    return { why: 'gate-blocked', step: cur.item.step.id, text: `${title}: ${stepName(cur.item)} is blocked at a gate` };
  }
  if ((state.status.kind === 'ready' || state.status.kind === 'confirm') && cur?.item.step.kind === 'manual') {
    return { why: 'manual-waits', step: cur.item.step.id, text: `${title}: a manual item waits: ${cur.item.step.text}` };
  }
  // The last step of a recovery path passed: the blocked step waits to be run again.
  const back = cur?.frame.returned;
  if (state.status.kind === 'ready' && cur && back?.seq === state.seq) {
    return { why: 'recovery-returned', step: cur.item.step.id, text: `${title}: recovery ${back.frame.init.title} finished; ${stepName(cur.item)} waits to run again` };
  }
  if (event.durationMs > LONG_STEP_MS) {
    const finished = findStep(state, event.depth, event.index) ?? event.key;
    const item = state.frames[event.depth]?.init.items[event.index];
    const seconds = Math.round(event.durationMs / 1000);
    return { why: 'long-step-finished', step: finished, text: `${title}: ${item ? stepName(item) : finished} ${event.ok ? 'passed' : 'failed'} after ${seconds} s` };
  }
  return undefined;
}

function findStep(state: SessionState, depth: number, index: number): string | undefined {
  return state.frames[depth]?.init.items[index]?.step.id;
}
