/**
 * What AWS Automation does with a document's step graph, for one execution: which steps run,
 * in what order, and how the execution ends, given whether each step succeeds. Pure, and
 * only the graph: `nextStep`, `isEnd`, `onFailure` (Abort, Continue, step:NAME) and
 * `isCritical` as the Automation documentation states them. The tests walk exported documents
 * through it against stepgate's own engine (test/fleet/automation-walk.test.ts).
 */
import type { SsmDocument } from './documents.js';

export interface WalkedStep {
  name: string;
  action: string;
  ok: boolean;
}

export interface AutomationWalk {
  steps: WalkedStep[];
  /** `Failed`: a step failed with onFailure Abort, or a critical step failed on the way. */
  status: 'Success' | 'Failed';
}

type DocStep = Record<string, unknown>;

const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const flag = (v: unknown): boolean | undefined => (v === true || v === 'true' ? true : v === false || v === 'false' ? false : undefined);

/**
 * Walks `document` from its first step. `succeeds` answers for each step as it is reached
 * (a step reached twice is asked twice). A jump to a missing step or a walk longer than
 * `maxSteps` (a cycle, which Automation would have rejected) throws.
 */
export function walkAutomation(document: SsmDocument, succeeds: (step: DocStep, index: number) => boolean, maxSteps = 10_000): AutomationWalk {
  const steps = document.mainSteps;
  const byName = new Map(steps.map((s, i) => [text(s.name) ?? '', i]));
  const at = (name: string, from: string): number => {
    const i = byName.get(name);
    if (i === undefined) throw new Error(`step ${from} goes to ${name}, which the document does not have`);
    return i;
  };
  const walked: WalkedStep[] = [];
  let criticalFailed = false;
  let i: number | undefined = steps.length > 0 ? 0 : undefined;
  while (i !== undefined) {
    if (walked.length >= maxSteps) throw new Error(`the walk passed ${maxSteps} steps: the graph has a cycle`);
    const step = steps[i] as DocStep;
    const name = text(step.name) ?? `#${i + 1}`;
    const ok = succeeds(step, i);
    walked.push({ name, action: text(step.action) ?? '', ok });
    const onFailure = text(step.onFailure) ?? 'Abort';
    if (!ok) {
      // isCritical defaults to false with Continue, to true otherwise.
      if (flag(step.isCritical) ?? onFailure !== 'Continue') criticalFailed = true;
      if (onFailure === 'Abort') return { steps: walked, status: 'Failed' };
      if (onFailure.startsWith('step:')) {
        i = at(onFailure.slice(5), name);
        continue;
      }
    }
    if (flag(step.isEnd) === true) break;
    const next = text(step.nextStep);
    i = next !== undefined ? at(next, name) : i + 1 < steps.length ? i + 1 : undefined;
  }
  return { steps: walked, status: criticalFailed ? 'Failed' : 'Success' };
}
