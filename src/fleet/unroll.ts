/**
 * The Automation graph of a flow, before any step is written: Automation rejects cycles, so
 * the gate's loop (fail, walk a recovery path, run the step again) is unrolled forward. Attempt
 * k of a gated step fails over to recovery path k, which flows into attempt k+1; the last
 * attempt aborts. What stepgate's engine does decides each edge (test/fleet/automation-walk
 * walks both on every outcome pattern up to a bound):
 * - a `confirm=` step asks before every run of it, a re-run after a recovery path included;
 * - an empty recovery path returns to the step at once: the next attempt follows directly;
 * - a rollback step that passes, or the end of a path from a `rollback: true` runbook, ends the
 *   run as rolled back: a step that fails the execution on purpose; nothing after it runs, so
 *   the paths after a rollback path and the steps after a rollback step are not carried.
 */
import type { Step } from '../runbooks/model.js';
import type { FlowStep, GatedStep, StepNames } from './flow.js';

/** One run of a step in the graph. */
export interface Run {
  name: string;
  f: FlowStep;
  /** The aws:approve step before it (a `confirm=` step). */
  confirm?: string;
  /** Where a jump to this run goes: its question first, if any. */
  entry: string;
}

export interface UnrolledPath {
  label: string;
  steps: Run[];
  /** The marker step that fails the execution after this path (a rollback path). */
  rolledBack?: string;
}

export interface UnrolledGate {
  gate: GatedStep;
  attempts: Run[];
  /** Path k follows a failure of attempt k. */
  paths: UnrolledPath[];
  /** Where the step goes when it passes: the next gate's first run; undefined at the end. */
  next?: string;
  /** A rollback step: the marker its pass leads to. */
  rolledBack?: string;
}

const isRollback = (step: Step): boolean => step.kind !== 'manual' && step.attrs.rollback;
const asks = (step: Step): boolean => step.kind !== 'manual' && step.attrs.confirm;

export function unroll(flowSteps: readonly GatedStep[], names: StepNames): UnrolledGate[] {
  const run = (name: string, f: FlowStep): Run => {
    const confirm = asks(f.step) ? names.name(`${name}_confirm`) : undefined;
    return confirm === undefined ? { name, f, entry: name } : { name, f, confirm, entry: confirm };
  };
  let gates = flowSteps.filter((g) => !(g.step.kind === 'manual' && g.step.done));
  const lastStep = gates.findIndex((g) => isRollback(g.step));
  if (lastStep >= 0) gates = gates.slice(0, lastStep + 1);
  // Every name is taken before any step points at it, so a clash renames both ends alike.
  const plans = gates.map((gate): UnrolledGate => {
    if (gate.step.kind === 'manual') return { gate, attempts: [run(gate.name, gate)], paths: [] };
    const firstRollback = gate.recovery.findIndex((r) => r.rollback);
    const recoveries = firstRollback < 0 ? gate.recovery : gate.recovery.slice(0, firstRollback + 1);
    const attempts = [run(gate.name, gate)];
    const paths = recoveries.map((r, k): UnrolledPath => {
      const steps = r.steps.map((s) => run(s.name, s));
      const path: UnrolledPath = r.rollback ? { label: r.label, steps, rolledBack: names.name(`${gate.name}_rolled_back_${k + 1}`) } : { label: r.label, steps };
      if (!r.rollback) attempts.push(run(names.name(`${gate.name}_attempt_${k + 2}`), gate));
      return path;
    });
    const plan: UnrolledGate = { gate, attempts, paths };
    if (isRollback(gate.step)) plan.rolledBack = names.name(`${gate.name}_rolled_back`);
    return plan;
  });
  plans.forEach((plan, i) => {
    const next = plans[i + 1]?.attempts[0]?.entry;
    if (next !== undefined) plan.next = next;
  });
  return plans;
}
