/**
 * What would run, in order, without running anything: before checklists, the runbook's main
 * flow, after checklists; each step with its effective user, cwd and recovery paths.
 */
import { describeTarget, resolveTarget } from './links.js';
import type { CrossRef, LinkTarget, Runbook, Section, Step } from './model.js';
import { findSection, mainFlowSteps, recoveryOnlyAnchors, recoveryPaths, stepsInSection } from './sections.js';
import { stepTitle } from './step-title.js';

export type PlannedStep = Step & {
  /**
   * What the TUI calls the step (`stepTitle`): its name, else its own words. Printed beside
   * its id, which is what `--skip ID=REASON` takes and which an unnamed step only has here.
   */
  title: string;
  /** Effective run-as user (`undefined` = whoever runs stepgate) and directory. */
  user?: string;
  cwd?: string;
  /** Resolved recovery paths, most specific first, as `file#anchor`. */
  recovery: string[];
};

export interface PlannedSection {
  anchor: string;
  title: string;
  depth: number;
  steps: PlannedStep[];
}

export interface PlanPart {
  role: 'before' | 'main' | 'after';
  file: string;
  anchor?: string;
  title: string;
  sections: PlannedSection[];
  /** Set when the part's file or anchor could not be found. */
  error?: string;
}

export interface Plan {
  file: string;
  title: string;
  description?: string;
  user?: string;
  cwd?: string;
  vars: Runbook['frontMatter']['vars'];
  env: Record<string, string>;
  parts: PlanPart[];
  /** Same-file sections that run only as recovery paths. */
  recoveryOnly: string[];
  crossRefs: Array<{ text: string; target: string; via: CrossRef['via'] }>;
}

/**
 * @param options.as `--as USER`: the user of every step that names none of its own, as a
 *   session started with it runs them (front matter `user:` gives way).
 */
export function planRunbook(runbook: Runbook, load: (file: string) => Runbook | undefined, options: { as?: string } = {}): Plan {
  const fm = runbook.frontMatter;
  const as = options.as;
  const part = (role: PlanPart['role'], target: LinkTarget): PlanPart => {
    const resolved = resolveTarget(runbook.file, target);
    const other = target.file === undefined ? runbook : load(resolved.file);
    const base: PlanPart = { role, file: resolved.file, title: target.raw, sections: [] };
    if (resolved.anchor !== undefined) base.anchor = resolved.anchor;
    if (!other) return { ...base, error: `file ${resolved.file} not found` };
    if (resolved.anchor !== undefined && !findSection(other, resolved.anchor))
      return { ...base, error: `no heading #${resolved.anchor} in ${resolved.file}` };
    const steps = resolved.anchor === undefined ? mainFlowSteps(other) : stepsInSection(other, resolved.anchor);
    const title = resolved.anchor === undefined ? other.title : (findSection(other, resolved.anchor)?.title ?? other.title);
    return { ...base, title, sections: groupBySection(other, steps, as, fm.user) };
  };
  const plan: Plan = {
    file: runbook.file,
    title: runbook.title,
    vars: fm.vars,
    env: fm.env,
    parts: [
      ...fm.before.map((t) => part('before', t)),
      { role: 'main', file: runbook.file, title: runbook.title, sections: groupBySection(runbook, mainFlowSteps(runbook), as, fm.user) },
      ...fm.after.map((t) => part('after', t)),
    ],
    recoveryOnly: [...recoveryOnlyAnchors(runbook)],
    crossRefs: runbook.crossRefs.map((r) => ({ text: r.text, target: describeTarget(resolveTarget(runbook.file, r.target)), via: r.via })),
  };
  if (runbook.description !== undefined) plan.description = runbook.description;
  const user = as ?? fm.user;
  if (user !== undefined) plan.user = user;
  if (fm.cwd !== undefined) plan.cwd = fm.cwd;
  return plan;
}

function groupBySection(runbook: Runbook, steps: Step[], as: string | undefined, mainUser: string | undefined): PlannedSection[] {
  const out: PlannedSection[] = [];
  let section: Section | undefined;
  for (const step of steps) {
    let group = out[out.length - 1];
    if (!group || group.anchor !== step.section) {
      section = findSection(runbook, step.section);
      group = { anchor: step.section, title: section?.title ?? '(top)', depth: section?.depth ?? 0, steps: [] };
      out.push(group);
    }
    group.steps.push(planStep(runbook, step, section?.title, as, mainUser));
  }
  return out;
}

/**
 * `mainUser`: the main runbook's `user:`, which a session gives the steps of a checklist or
 * recovery runbook that names none (session/step-context.ts): the plan says who runs them.
 */
function planStep(runbook: Runbook, step: Step, sectionTitle: string | undefined, as: string | undefined, mainUser: string | undefined): PlannedStep {
  const fm = runbook.frontMatter;
  const planned: PlannedStep = {
    ...step,
    title: stepTitle(step, sectionTitle),
    recovery: recoveryPaths(runbook, step).map((t) => describeTarget(resolveTarget(runbook.file, t))),
  };
  const user = (step.kind !== 'manual' ? step.attrs.user : undefined) ?? as ?? fm.user ?? mainUser;
  const cwd = (step.kind !== 'manual' ? step.attrs.cwd : undefined) ?? fm.cwd;
  if (user !== undefined) planned.user = user;
  if (cwd !== undefined) planned.cwd = cwd;
  return planned;
}
