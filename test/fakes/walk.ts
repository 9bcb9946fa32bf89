/**
 * The walk tests take most: run steps in order until something needs the operator, staying
 * in the current checklist (a recovery path chosen meanwhile is left to the test). `yes`
 * ticks manual items and confirms `confirm=` steps. The one driver (`session/walk.ts`) under
 * that policy.
 */
import { DEFAULT_POLICY } from '../../src/session/next-move.js';
import type { SessionStore } from '../../src/session/store.js';
import { walk, type WalkEnd } from '../../src/session/walk.js';

export function runToNextBlock(store: SessionStore, opts: { yes?: boolean } = {}): Promise<WalkEnd> {
  return walk(store, { ...DEFAULT_POLICY, confirm: opts.yes === true ? 'auto' : 'stop', depth: store.getState().session.frames.length });
}
