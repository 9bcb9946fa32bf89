/**
 * Which step of a re-planned frame continues which step of the frame it replaces (resume after
 * the runbook was edited). Steps are matched by what they do before where they sit: an unnamed
 * step's id is positional (`deploy-2`), so inserting a step above it changes its id and key but
 * not its content. Pure and deterministic: the reducer recomputes it when it folds
 * `plan-replaced`, and the diff shown to the operator comes from the same match.
 */
import type { FrameInit } from './types.js';

/** How the items of a new plan relate to the old one. */
export interface PlanMatch {
  /** For each new item, the index of the old item it continues; undefined for an added step. */
  from: Array<number | undefined>;
  /** For each new item, true when it continues an old item whose content changed. */
  edited: boolean[];
  /** Indexes of old items that nothing continues. */
  removed: number[];
}

/**
 * 1. Same file and same content hash, the n-th such step of the new plan taking the n-th of the
 *    old (a step that is unchanged keeps its identity wherever it moved);
 * 2. what is left, by step key (`file#id`): a named step whose text changed is an edit;
 * 3. the rest of the new plan is added, the rest of the old removed.
 */
export function matchPlans(before: FrameInit, after: FrameInit): PlanMatch {
  const byContent = new Map<string, number[]>();
  before.items.forEach((item, i) => {
    const id = `${item.file}\u0000${item.hash}`;
    const list = byContent.get(id);
    if (list) list.push(i);
    else byContent.set(id, [i]);
  });
  const taken = new Set<number>();
  const from: Array<number | undefined> = after.items.map((item) => {
    const old = byContent.get(`${item.file}\u0000${item.hash}`)?.shift();
    if (old !== undefined) taken.add(old);
    return old;
  });
  const byKey = new Map<string, number>();
  before.items.forEach((item, i) => {
    if (!taken.has(i)) byKey.set(item.key, i);
  });
  const edited = after.items.map((item, i) => {
    if (from[i] !== undefined) return false;
    const old = byKey.get(item.key);
    if (old === undefined) return false;
    byKey.delete(item.key);
    taken.add(old);
    from[i] = old;
    return before.items[old]?.hash !== item.hash;
  });
  const removed = before.items.map((_, i) => i).filter((i) => !taken.has(i));
  return { from, edited, removed };
}
