/**
 * What a recovery path would walk, for its row in the gate's menu: how many steps, and whether
 * it ends the session rolled back. A link to a whole recovery runbook walks every section of it
 * (a trial's "recover: recovery.md" ran its service-down steps, then its roll back, and ended
 * the session rolled back after the restart had fixed things): the row says so before the
 * choice, not after.
 */
import { planRecovery, type RunbookSet } from './plan.js';
import type { RecoveryPath } from './types.js';

export interface RecoveryShape {
  steps: number;
  /** The path ends the session as rolled back (a rollback runbook, or a `rollback` step in it). */
  rollsBack: boolean;
}

/** The shape of `path`, or undefined when its runbook is not loaded or does not plan. */
export function recoveryShape(path: RecoveryPath, books: RunbookSet): RecoveryShape | undefined {
  if (!books.has(path.file)) return undefined;
  try {
    const frame = planRecovery(path, books);
    const rollsBack = frame.rollback || frame.items.some((item) => item.step.kind !== 'manual' && item.step.attrs.rollback === true);
    return { steps: frame.items.length, rollsBack };
  } catch {
    return undefined;
  }
}

/**
 * What a recovery path walks, beside its row: ` (whole file: 4 steps, rolls back)`, or ''
 * when its shape is not known. A whole runbook walks every section of it, which its name alone
 * does not say.
 */
export function recoveryShapeText(path: RecoveryPath, shape: RecoveryShape | undefined): string {
  if (shape === undefined) return '';
  const steps = `${shape.steps} step${shape.steps === 1 ? '' : 's'}`;
  return ` (${path.anchor === undefined ? 'whole file: ' : ''}${steps}${shape.rollsBack ? ', rolls back' : ''})`;
}
