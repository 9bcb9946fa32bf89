/**
 * What an export carries: the steps `stepgate run` would walk (before checklists, the main
 * flow, after checklists), each with its SSM step name, where it runs, and the recovery paths
 * a gate would offer, resolved to their steps. Pure: other runbooks come through `load`.
 */
import { basename, dirname, relative } from 'node:path';
import { planRunbook } from '../runbooks/plan.js';
import { resolveTarget, describeTarget } from '../runbooks/links.js';
import { findSection, mainFlowSteps, recoveryPaths, stepsInSection } from '../runbooks/sections.js';
import type { Runbook, Step } from '../runbooks/model.js';
import { checkWorstCaseMs, type StepContext } from './step-shell.js';
import { seconds } from './shell-text.js';
import { MAX_TIMEOUT_S } from './validate.js';

/** A problem that stops an export, with the place in the runbook that causes it. */
export interface ExportProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

export function formatProblem(p: ExportProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

export interface FlowStep {
  /** SSM step name: `[A-Za-z0-9_]{1,128}`, unique in the document. */
  name: string;
  step: Step;
  file: string;
  context: StepContext;
}

export interface RecoveryFlow {
  /** `file#anchor`, as a gate shows it. */
  label: string;
  steps: FlowStep[];
  /** Walking it to the end ends the run as rolled back (front matter `rollback`, or a rollback step). */
  rollback: boolean;
}

export interface GatedStep extends FlowStep {
  recovery: RecoveryFlow[];
}

export interface Flow {
  title: string;
  steps: GatedStep[];
  vars: Runbook['frontMatter']['vars'];
}

/** Step ids to SSM names: `-` and other characters become `_`; a clash gets a number. */
export class StepNames {
  private readonly taken = new Set<string>();

  name(wanted: string): string {
    let base = wanted.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '') || 'step';
    base = base.slice(0, 120);
    let name = base;
    for (let n = 2; this.taken.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    return name;
  }
}

/**
 * As a local session runs a step of a linked runbook (a checklist, a recovery path): its own
 * `user=`/`cwd=`, then `--as` for the user, then its runbook's front matter, then the main
 * runbook's (the session shell it runs in was started there). Env: the main runbook's, its
 * runbook's entries over it. Without the main runbook's fallback a linked step ran as root.
 */
function contextOf(main: Runbook, runbook: Runbook, step: Step, user?: string): StepContext {
  const fm = runbook.frontMatter;
  const ctx: StepContext = { env: { ...main.frontMatter.env, ...fm.env } };
  const u = (step.kind !== 'manual' ? step.attrs.user : undefined) ?? user ?? fm.user ?? main.frontMatter.user;
  const cwd = (step.kind !== 'manual' ? step.attrs.cwd : undefined) ?? fm.cwd ?? main.frontMatter.cwd;
  if (u !== undefined) ctx.user = u;
  if (cwd !== undefined) ctx.cwd = cwd;
  return ctx;
}

/**
 * The flow of `runbook` as an export sees it. `user` is `--as`: it replaces the front matter's
 * user (a step's own `user=` still wins), as in `stepgate run`.
 */
export function buildFlow(runbook: Runbook, load: (file: string) => Runbook | undefined, names: StepNames, user?: string): { flow: Flow; problems: ExportProblem[] } {
  const problems: ExportProblem[] = [];
  const plan = planRunbook(runbook, load);
  const byFile = (file: string): Runbook | undefined => (file === runbook.file ? runbook : load(file));
  const steps: GatedStep[] = [];
  for (const part of plan.parts) {
    if (part.error) {
      problems.push({ file: runbook.file, line: 1, column: 1, message: `${part.role} ${part.title}: ${part.error}` });
      continue;
    }
    const owner = byFile(part.file);
    if (!owner) continue;
    for (const section of part.sections)
      for (const planned of section.steps) {
        const step = owner.steps.find((s) => s.id === planned.id) ?? planned;
        const recovery = step.kind === 'manual' ? [] : recoveryFlows(runbook, owner, step, byFile, names, problems, user);
        steps.push({ name: names.name(step.id), step, file: owner.file, context: contextOf(runbook, owner, step, user), recovery });
      }
  }
  return { flow: { title: runbook.title, steps, vars: runbook.frontMatter.vars }, problems };
}

function recoveryFlows(
  main: Runbook,
  owner: Runbook,
  gate: Step,
  byFile: (file: string) => Runbook | undefined,
  names: StepNames,
  problems: ExportProblem[],
  user?: string,
): RecoveryFlow[] {
  const flows: RecoveryFlow[] = [];
  const labels = new Set<string>();
  for (const target of recoveryPaths(owner, gate)) {
    const resolved = resolveTarget(owner.file, target);
    // Two links to one place (`#fix` and `deploy.md#fix`) are one path, as a gate lists them.
    const place = describeTarget(resolved);
    if (labels.has(place)) continue;
    labels.add(place);
    // Named from the main runbook's directory: the exporting machine's absolute path said
    // nothing on an instance, and its length decided whether the shipped deploy fit in 64 KB.
    const label = describeTarget({ ...resolved, file: relative(dirname(main.file), resolved.file) || basename(resolved.file) });
    const other = byFile(resolved.file);
    if (!other || (resolved.anchor !== undefined && !findSection(other, resolved.anchor))) {
      problems.push({ file: owner.file, line: target.position.line, column: target.position.column, message: `recovery path ${label} of step ${gate.id} does not resolve (see stepgate lint)` });
      continue;
    }
    // An item already ticked (`- [x]`) is not asked again. An empty path is kept: walking it
    // returns to the step at once (a retry), or ends the run when its runbook is a rollback.
    let steps = (resolved.anchor === undefined ? mainFlowSteps(other) : stepsInSection(other, resolved.anchor)).filter((s) => !(s.kind === 'manual' && s.done));
    // A rollback step that passes ends the run: what follows it in the path never runs.
    const stop = steps.findIndex((s) => s.kind !== 'manual' && s.attrs.rollback);
    if (stop >= 0) steps = steps.slice(0, stop + 1);
    // As stepgate walks it: any path into a `rollback: true` runbook, a whole file or a section.
    const rollback = other.frontMatter.rollback || stop >= 0;
    flows.push({
      label,
      rollback,
      steps: steps.map((step) => ({ name: names.name(`${gate.id}_recover_${flows.length + 1}_${step.id}`), step, file: other.file, context: contextOf(main, other, step, user) })),
    });
  }
  return flows;
}

/**
 * The execution timeout (whole seconds) a document gives a step: its `timeout=`, or for a check
 * the worst case of its poll loop plus a minute, so the document never cuts the loop short.
 * Undefined: no timeout of its own (Run Command's default applies).
 */
export function executionTimeoutS(step: Step): number | undefined {
  if (step.kind === 'check') return seconds(checkWorstCaseMs(step)) + 60;
  if (step.kind === 'command' && step.attrs.timeoutMs !== undefined) return seconds(step.attrs.timeoutMs);
  return undefined;
}

/** A step whose timeout SSM would refuse (or cap), said at the step: where the author can fix it. */
function timeoutProblem(step: Step): string | undefined {
  const s = executionTimeoutS(step);
  if (s === undefined || s <= MAX_TIMEOUT_S) return undefined;
  if (step.kind === 'check')
    return `check step ${step.id} can poll for ${s} s (every attempt timing out, every backoff wait, and a minute), longer than SSM runs a command (${MAX_TIMEOUT_S} s, 48 h): lower retries:, timeout: or backoff:`;
  return `step ${step.id} has timeout=${s}s, longer than SSM runs a command (${MAX_TIMEOUT_S} s, 48 h, aws:runShellScript's largest executionTimeout): give a timeout of at most 48h, or split the step`;
}

const isRollbackStep = (step: Step): boolean => step.kind !== 'manual' && step.attrs.rollback;

/**
 * The steps a document of `kind` carries: nothing after a rollback step (the run ends there),
 * no path after a rollback path; a Command document carries no recovery paths (it fails early).
 */
function carriedSteps(flow: Flow, kind: 'command' | 'automation'): FlowStep[] {
  const stop = flow.steps.findIndex((g) => isRollbackStep(g.step));
  const carried = stop < 0 ? flow.steps : flow.steps.slice(0, stop + 1);
  const pathsOf = (g: GatedStep): RecoveryFlow[] => {
    const last = g.recovery.findIndex((r) => r.rollback);
    return last < 0 ? g.recovery : g.recovery.slice(0, last + 1);
  };
  return kind === 'command' ? carried : carried.flatMap((g) => [g, ...pathsOf(g).flatMap((r) => r.steps)]);
}

/**
 * A runbook that names no user (no `user:`, no `--as`, a step without `user=`): stepgate on a
 * host runs it as whoever starts stepgate, an SSM document as root. Said once, at the main
 * runbook's front matter (line 1, where `user:` goes), naming the first such step.
 */
export function userProblem(runbook: Runbook, flow: Flow, kind: 'command' | 'automation'): ExportProblem | undefined {
  const rootStep = carriedSteps(flow, kind).find((f) => f.step.kind !== 'manual' && f.context.user === undefined);
  if (!rootStep) return undefined;
  return {
    file: runbook.file,
    line: 1,
    column: 1,
    message: `no user to run as: without user: in the front matter or --as, SSM runs step ${rootStep.step.id}${rootStep.file === runbook.file ? '' : ` of ${rootStep.file}`} (and every step without user=) as root, where stepgate on a host runs it as whoever starts stepgate; add user: ubuntu (the service user) to the front matter, or pass --as USER (user: root if root is meant)`,
  };
}

/** Steps no unattended run can carry: interactive ones always; manual items without approvers. */
export function refusals(flow: Flow, opts: { approvals: boolean; kind: 'command' | 'automation' }): ExportProblem[] {
  const out: ExportProblem[] = [];
  const all = carriedSteps(flow, opts.kind);
  const seen = new Set<Step>();
  for (const { step, file } of all) {
    if (seen.has(step)) continue;
    seen.add(step);
    const at = { file, line: step.position.line, column: step.position.column };
    const tooLong = timeoutProblem(step);
    if (tooLong !== undefined) out.push({ ...at, message: tooLong });
    if (step.kind === 'command' && step.attrs.interactive)
      out.push({ ...at, message: `step ${step.id} is interactive: it needs an operator at a terminal, and an SSM document runs unattended; run it with stepgate on the host, or drop interactive=` });
    const human = (step.kind === 'manual' && !step.done) || (step.kind !== 'manual' && step.attrs.confirm);
    if (!human) continue;
    const what = step.kind === 'manual' ? `manual item "${step.text.replace(/\s+/g, ' ')}"` : `step ${step.id} (confirm=)`;
    if (opts.kind === 'command')
      out.push({ ...at, message: `${what} needs a person, and a Command document cannot wait for one: export --ssm automation --approvers ARN,... (an aws:approve step), or walk it with stepgate` });
    else if (!opts.approvals)
      out.push({ ...at, message: `${what} needs a person: give --approvers ARN,... to make it an aws:approve step (an unattended fleet run must not skip a human check)` });
  }
  return out;
}
