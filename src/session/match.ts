/**
 * Which step of a re-planned frame continues which step of the frame it replaces (resume after
 * the runbook was edited). Steps are matched by what they do before where they sit: an unnamed
 * step's id is positional (`deploy-2`), so inserting a step above it changes its id and key but
 * not its content. Pure and deterministic: the reducer recomputes it when it folds
 * `plan-replaced`, and the diff shown to the operator comes from the same match.
 */
import type { FlowItem, FrameInit } from './types.js';

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
 * 1. Same file and same content hash, in order: the longest run of such pairs that keeps both
 *    plans' order. Matching the n-th copy of a step to the n-th copy took order for granted: with
 *    two identical restarts around a migration and the first deleted, the restart after the
 *    migration took the first one's "passed" and never ran (a review). Of equal matches, a step
 *    is matched to the later of identical old ones, the one less likely to have run;
 * 2. a step moved past others, by its content when no other step of either plan has it: an
 *    unchanged step keeps its identity wherever it moved, a step with twins only in order;
 * 3. what is left, by step key (`file#id`): a named step whose text changed is an edit;
 * 4. the rest of the new plan is added, the rest of the old removed.
 */
export function matchPlans(before: FrameInit, after: FrameInit): PlanMatch {
  const plans: Contents = { a: before.items.map(contentOf), b: after.items.map(contentOf) };
  const inA = copiesOf(plans.a);
  const inB = copiesOf(plans.b);
  // A step once in each plan has no twin to choose between.
  const single = (content: string): boolean => inA.get(content) === 1 && inB.get(content) === 1;
  const from = inOrderByContent(plans, single);
  const taken = new Set(from.filter((i): i is number => i !== undefined));
  const onlyOld = new Map(plans.a.flatMap((content, i) => (single(content) ? [[content, i] as const] : [])));
  plans.b.forEach((content, i) => {
    const old = onlyOld.get(content);
    if (from[i] !== undefined || old === undefined || taken.has(old)) return;
    from[i] = old;
    taken.add(old);
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

const contentOf = (item: FlowItem): string => `${item.file}\u0000${item.hash}`;

/** Each plan's steps by content (`a` the old plan, `b` the new). */
interface Contents {
  a: string[];
  b: string[];
}

function copiesOf(list: readonly string[]): Map<string, number> {
  const copies = new Map<string, number>();
  for (const content of list) copies.set(content, (copies.get(content) ?? 0) + 1);
  return copies;
}

/**
 * For each new item, the old item of the same content it continues, by a longest common
 * subsequence. The ends both plans share are matched first, so the table covers only what an
 * edit changed (a full table of a 10,000-step plan was 900 MB, a review): only steps without
 * twins, which the table would match alike.
 */
function inOrderByContent({ a, b }: Contents, settled: (content: string) => boolean): Array<number | undefined> {
  const from: Array<number | undefined> = new Array<number | undefined>(b.length).fill(undefined);
  let endA = a.length;
  let endB = b.length;
  while (endA > 0 && endB > 0 && a[endA - 1] === b[endB - 1] && settled(a[endA - 1]!)) from[--endB] = --endA;
  let start = 0;
  while (start < endA && start < endB && a[start] === b[start] && settled(a[start]!)) {
    from[start] = start;
    start++;
  }
  const n = endA - start;
  const m = endB - start;
  // longest[i][j]: the longest common run of a[start + i..endA] and b[start + j..endB].
  const longest = Array.from({ length: n + 1 }, () => new Int32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    const row = longest[i]!;
    const next = longest[i + 1]!;
    for (let j = m - 1; j >= 0; j--) row[j] = a[start + i] === b[start + j] ? next[j + 1]! + 1 : Math.max(next[j]!, row[j + 1]!);
  }
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    const here = longest[i]![j]!;
    // Passing over old step i loses nothing: a later old step matches instead.
    if (longest[i + 1]![j] === here) i++;
    else if (a[start + i] === b[start + j]) {
      from[start + j] = start + i;
      i++;
      j++;
    } else j++;
  }
  return from;
}
