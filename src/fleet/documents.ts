/**
 * Runbook -> SSM documents: a Command document (schema 2.2, one `aws:runShellScript` step per
 * runbook step, fail early) and an Automation document (schema 0.3, one `aws:runCommand` of
 * `AWS-RunShellScript` per step on `{{ InstanceId }}`, recovery paths unrolled forward).
 * Pure: the caller reads files and writes the result.
 */
import type { Runbook, Step, VarSpec } from '../runbooks/model.js';
import { buildFlow, executionTimeoutS, refusals, StepNames, userProblem, type ExportProblem, type Flow, type FlowStep } from './flow.js';
import { checkStepBash, commandStepBash, wrapperLines, type VarBinding } from './step-shell.js';
import { validateDocument } from './validate.js';
import { nameProblems } from './names.js';
import { callLines, INSTALL_STEP, ScriptTable } from './installed-scripts.js';
import { unroll, type Run } from './unroll.js';

export type DocumentKind = 'command' | 'automation';

export interface ExportOptions {
  /** Parameter Store path under which secret vars live (`/stepgate/deploy` -> `/stepgate/deploy/TOKEN`). */
  paramStorePrefix?: string;
  /** `SecureString` (default) references `{{ssm-secure:...}}`; `String` references `{{ssm:...}}`. */
  paramStoreType?: 'SecureString' | 'String';
  /** IAM principals for `aws:approve` steps (Automation only); without them manual items are refused. */
  approvers?: string[];
  /** `--as USER`: replaces the front matter's `user` (a step's `user=` still wins). */
  user?: string;
  /** Automation: where the first step installs the step scripts on the instance (default /var/lib/stepgate/ssm). */
  installRoot?: string;
}

export type SsmDocument = Record<string, unknown> & { schemaVersion: string; mainSteps: Array<Record<string, unknown>> };

export type ExportResult = { ok: true; document: SsmDocument } | { ok: false; problems: ExportProblem[] };

/** Default when a step sets no timeout: Run Command's own default for AWS-RunShellScript. */
export const DEFAULT_EXECUTION_TIMEOUT_S = 3600;
/** Run Command's largest execution timeout (48 h). */
export const MAX_EXECUTION_TIMEOUT_S = 172_800;
/** A value of a document parameter is one line: it travels inside a here-document. */
export const ONE_LINE = '^[^\\r\\n]*$';

interface Bindings {
  vars: VarBinding[];
  /** The names among `vars` that are secret: their values come from Parameter Store. */
  secrets: string[];
  parameters: Record<string, Record<string, unknown>>;
  problems: ExportProblem[];
}

/**
 * Every runbook whose steps the flow carries, the main one first, then in the order their steps
 * come (checklists, recovery runbooks; a Command document's too, though it carries no recovery
 * path: what a local session would prompt for is what the document binds).
 */
export function runbooksOf(runbook: Runbook, flow: Flow, load: (file: string) => Runbook | undefined): Runbook[] {
  const files = new Set([runbook.file]);
  for (const g of flow.steps) {
    files.add(g.file);
    for (const r of g.recovery) for (const s of r.steps) files.add(s.file);
  }
  return [...files].map((f) => (f === runbook.file ? runbook : load(f))).filter((b): b is Runbook => b !== undefined);
}

/** Each var name's first declaration among these runbooks, with its file: the one a local session binds. */
export function firstDeclarations(runbooks: readonly Runbook[]): { file: string; spec: VarSpec }[] {
  const out = new Map<string, { file: string; spec: VarSpec }>();
  for (const runbook of runbooks) for (const spec of runbook.frontMatter.vars) if (!out.has(spec.name)) out.set(spec.name, { file: runbook.file, spec });
  return [...out.values()];
}

/** The vars of every runbook the document runs steps of, bound as a local session would (firstDeclarations). */
function bindVars(runbooks: Runbook[], opts: ExportOptions): Bindings {
  const out: Bindings = { vars: [], secrets: [], parameters: {}, problems: [] };
  const prefix = opts.paramStorePrefix?.replace(/\/+$/, '');
  const scheme = opts.paramStoreType === 'String' ? 'ssm' : 'ssm-secure';
  for (const { file, spec: v } of firstDeclarations(runbooks)) {
    if (v.secret) {
      if (prefix === undefined) {
        out.problems.push({ file, line: v.position.line, column: v.position.column, message: `var ${v.name} is secret: give --param-store-prefix /PATH and keep its value in Parameter Store as /PATH/${v.name}; a document never carries a secret` });
        continue;
      }
      out.vars.push({ name: v.name, reference: `{{${scheme}:${prefix}/${v.name}}}` });
      out.secrets.push(v.name);
      continue;
    }
    // The var's own pattern holds in SSM too (a fleet run cannot pass PORT=abc), on one line.
    const allowedPattern = v.pattern === undefined ? ONE_LINE : `^(?=[^\\r\\n]*$)(?:${v.pattern})$`;
    const parameter: Record<string, unknown> = { type: 'String', description: v.prompt.replace(/\{\{|\}\}/g, ''), allowedPattern };
    if (v.default !== undefined) parameter.default = v.default;
    out.parameters[v.name] = parameter;
    out.vars.push({ name: v.name, reference: `{{ ${v.name} }}` });
  }
  return out;
}

/**
 * A local session gives a step the front matter's env: with the vars over it (session
 * step-context.ts), for checks too. In a document the vars arrive before the step's own bash,
 * whose prologue exports env:, so an env: entry of a var's name is left out of it: it would
 * win over the var. Each step is told the secret vars, whose values its checks' messages hide
 * (they go to the SSM output and fleet's journal, where nothing redacts them).
 */
function varsOverEnv(flow: Flow, { vars, secrets }: Bindings): void {
  const bound = new Set(vars.map((v) => v.name));
  const without = (f: FlowStep): void => {
    f.context = { ...f.context, env: Object.fromEntries(Object.entries(f.context.env).filter(([name]) => !bound.has(name))) };
    if (secrets.length > 0) f.context.secrets = secrets;
  };
  for (const g of flow.steps) {
    without(g);
    for (const r of g.recovery) r.steps.forEach(without);
  }
}

function header(f: FlowStep): string {
  return `stepgate step ${f.step.id} from ${f.file}:${f.step.position.line}${f.context.user ? `, run as ${f.context.user}` : ''}`;
}

/** The bash of a command or check step (as its user, in its cwd) and its execution timeout (seconds). */
function bashOf(f: FlowStep): { bash: string; timeoutS?: number } {
  const step = f.step;
  if (step.kind === 'manual') throw new Error(`step ${step.id} is a manual item: it has no shell`);
  const bash = step.kind === 'command' ? commandStepBash(step, f.context) : checkStepBash(step, f.context);
  const timeoutS = executionTimeoutS(step);
  return timeoutS === undefined ? { bash } : { bash, timeoutS };
}

/** The runCommand lines and the execution timeout (seconds) of a command or check step. */
function shellOf(f: FlowStep, vars: VarBinding[]): { lines: string[]; timeoutS?: number } {
  const { bash, timeoutS } = bashOf(f);
  const lines = wrapperLines(header(f), bash, f.context.user, vars);
  return timeoutS === undefined ? { lines } : { lines, timeoutS };
}

function describe(step: Step, max = 500): string {
  const text = step.kind === 'manual' ? step.text : step.description || step.id;
  const flat = text.replace(/\{\{|\}\}/g, '').replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
}

function prepare(runbook: Runbook, load: (file: string) => Runbook | undefined, opts: ExportOptions, kind: DocumentKind) {
  const names = new StepNames();
  const { flow, problems } = buildFlow(runbook, load, names, opts.user);
  const runbooks = runbooksOf(runbook, flow, load);
  const bindings = bindVars(runbooks, opts);
  varsOverEnv(flow, bindings);
  const noUser = userProblem(runbook, flow, kind);
  if (noUser) problems.push(noUser);
  problems.push(...nameProblems(runbooks, new Set(runbooks.flatMap((b) => b.frontMatter.vars.map((v) => v.name)))), ...bindings.problems, ...refusals(flow, { approvals: (opts.approvers?.length ?? 0) > 0, kind }));
  return { flow, bindings, problems, names };
}

/** `stepgate export --ssm command`: a Command document (schema 2.2). */
export function exportCommandDocument(runbook: Runbook, load: (file: string) => Runbook | undefined, opts: ExportOptions = {}): ExportResult {
  const { flow, bindings, problems, names } = prepare(runbook, load, opts, 'command');
  if (problems.length > 0) return { ok: false, problems };
  // A rollback step that passes ends the run rolled back (as in stepgate): nothing after it runs.
  const stop = flow.steps.findIndex((g) => g.step.kind !== 'manual' && g.step.attrs.rollback);
  const carried = stop < 0 ? flow.steps : flow.steps.slice(0, stop + 1);
  const mainSteps: Array<Record<string, unknown>> = carried
    .filter((g) => g.step.kind !== 'manual')
    .map((g) => {
      const { lines, timeoutS } = shellOf(g, bindings.vars);
      const inputs: Record<string, unknown> = { runCommand: lines, onFailure: 'exit' };
      if (timeoutS !== undefined) inputs.timeoutSeconds = timeoutS;
      return { action: 'aws:runShellScript', name: g.name, precondition: { StringEquals: ['platformType', 'Linux'] }, inputs };
    });
  if (stop >= 0) {
    // ... and the host must not report success: this step fails the command, on purpose.
    const why = `rollback step ${flow.steps[stop]?.step.id ?? ''} passed: the run ends rolled back`;
    const marker = rolledBackStep(names.name('stepgate_rolled_back'), why);
    const { commands } = (marker.inputs as { Parameters: { commands: string[] } }).Parameters;
    mainSteps.push({ action: 'aws:runShellScript', name: marker.name, precondition: { StringEquals: ['platformType', 'Linux'] }, inputs: { runCommand: commands, onFailure: 'exit', timeoutSeconds: 60 } });
  }
  const document: SsmDocument = {
    schemaVersion: '2.2',
    description: `${flow.title} (exported by stepgate from ${runbook.file}; fails at the first failing step)`.replace(/\{\{|\}\}/g, ''),
    parameters: bindings.parameters,
    mainSteps,
  };
  return checked(document, 'command', runbook.file);
}

/** `stepgate export --ssm automation`: an Automation document (schema 0.3) for one instance. */
export function exportAutomationDocument(runbook: Runbook, load: (file: string) => Runbook | undefined, opts: ExportOptions = {}): ExportResult {
  const { flow, bindings, problems, names } = prepare(runbook, load, opts, 'automation');
  if (problems.length > 0) return { ok: false, problems };
  const parameters: Record<string, Record<string, unknown>> = {
    InstanceId: { type: 'String', description: 'The managed instance this execution runs on (--target-parameter-name InstanceId).', allowedPattern: '^(i|mi)-[0-9a-f]{8,17}$' },
    AutomationAssumeRole: { type: 'String', description: '(Optional) The role Automation assumes to send the commands.', default: '' },
    ...bindings.parameters,
  };
  const steps: Array<Record<string, unknown>> = [];
  const table = new ScriptTable(opts.installRoot);
  const calls: Array<{ step: Record<string, unknown>; script: number; user?: string }> = [];
  const runCommandStep = (name: string, f: FlowStep): Record<string, unknown> => {
    const { bash, timeoutS } = bashOf(f);
    const known = table.size();
    const script = table.add(`# ${header(f).replace(/[\r\n]+/g, ' ')}\n${bash}`);
    const execution = timeoutS ?? DEFAULT_EXECUTION_TIMEOUT_S;
    const s: Record<string, unknown> = {
      name,
      action: 'aws:runCommand',
      // A copy of a step (another attempt, a recovery path linked from another gate) says which step it repeats by its name.
      ...(script > known ? { description: describe(f.step, 120) } : {}),
      // Run Command's own timeout is the step's; Automation waits a minute longer for delivery,
      // within the 48 h it allows a step (refusals() keeps the command itself within it).
      timeoutSeconds: Math.min(execution + 60, MAX_EXECUTION_TIMEOUT_S),
      onFailure: 'Abort',
      inputs: { DocumentName: 'AWS-RunShellScript', InstanceIds: ['{{ InstanceId }}'], Parameters: { commands: [] as string[], executionTimeout: String(execution) } },
    };
    calls.push({ step: s, script, ...(f.context.user !== undefined ? { user: f.context.user } : {}) });
    return s;
  };
  for (const plan of unroll(flow.steps, names)) {
    const emit = (run: Run, after: string | undefined): Record<string, unknown> => {
      if (run.confirm !== undefined) steps.push(approveStep(run.confirm, run.f, opts.approvers ?? [], run.name));
      const s = run.f.step.kind === 'manual' ? approveStep(run.name, run.f, opts.approvers ?? []) : runCommandStep(run.name, run.f);
      if (after === undefined) s.isEnd = true;
      else s.nextStep = after;
      steps.push(s);
      return s;
    };
    plan.attempts.forEach((attempt, k) => {
      // A rollback step that passes ends the run as rolled back, as in stepgate.
      const s = emit(attempt, plan.rolledBack ?? plan.next);
      const path = plan.paths[k];
      if (!path) return;
      const afterPath = path.rolledBack ?? plan.attempts[k + 1]?.entry ?? '';
      s.onFailure = `step:${path.steps[0]?.entry ?? afterPath}`;
      s.isCritical = false;
      path.steps.forEach((r, j) => emit(r, path.steps[j + 1]?.entry ?? afterPath));
      if (path.rolledBack !== undefined) steps.push(rolledBackStep(path.rolledBack, `step ${plan.gate.step.id} failed; rolled back by ${path.label}`));
    });
    if (plan.rolledBack !== undefined) steps.push(rolledBackStep(plan.rolledBack, `rollback step ${plan.gate.step.id} passed: the run ends rolled back`));
  }
  // The scripts are known only now: the steps call them from where the first step installs them.
  const dir = table.dir();
  for (const c of calls) ((c.step.inputs as { Parameters: { commands: string[] } }).Parameters.commands = callLines(dir, c.script, c.user, bindings.vars));
  if (table.size() > 0) steps.unshift({
    name: names.name(INSTALL_STEP),
    action: 'aws:runCommand',
    description: `Installs the ${table.size()} step scripts this document runs (each carried once) in ${dir}.`,
    timeoutSeconds: 180,
    onFailure: 'Abort',
    nextStep: String(steps[0]?.name ?? ''),
    inputs: { DocumentName: 'AWS-RunShellScript', InstanceIds: ['{{ InstanceId }}'], Parameters: { commands: table.installLines(), executionTimeout: '120' } },
  });
  const document: SsmDocument = {
    schemaVersion: '0.3',
    description: `${flow.title} (exported by stepgate from ${runbook.file}; one instance per execution: --target-parameter-name InstanceId)`.replace(/\{\{|\}\}/g, ''),
    assumeRole: '{{ AutomationAssumeRole }}',
    parameters,
    mainSteps: steps,
  };
  return checked(document, 'automation', runbook.file);
}

/** An aws:approve step: a manual item, or (`confirms`: the step it lets run) a `confirm=` step's question. */
function approveStep(name: string, f: FlowStep, approvers: string[], confirms?: string): Record<string, unknown> {
  // The approver is told which step of which runbook asks (file#step), then what it says.
  const where = `${f.file.slice(f.file.lastIndexOf('/') + 1)}#${f.step.id}`.replace(/\{\{|\}\}/g, '');
  const what = confirms === undefined ? describe(f.step) : `confirm before it runs: ${describe(f.step)}`;
  return {
    name,
    action: 'aws:approve',
    description: what.slice(0, 500),
    onFailure: 'Abort',
    ...(confirms === undefined ? {} : { nextStep: confirms }),
    inputs: { Approvers: approvers, MinRequiredApprovals: 1, Message: `stepgate: ${where}: ${what} (on {{ InstanceId }})`.slice(0, 4096) },
  };
}

/** After a rollback the execution must not report success: this step fails it, on purpose. */
function rolledBackStep(name: string, why: string): Record<string, unknown> {
  const text = `stepgate: ${why}`.replace(/'/g, '');
  return {
    name,
    action: 'aws:runCommand',
    description: `Marks the execution failed: ${why}.`.replace(/\{\{|\}\}/g, ''),
    timeoutSeconds: 120,
    onFailure: 'Abort',
    isEnd: true,
    inputs: {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: ['{{ InstanceId }}'],
      Parameters: { commands: [`echo '${text}' >&2`, 'exit 1'], executionTimeout: '60' },
    },
  };
}

function checked(document: SsmDocument, kind: DocumentKind, file: string): ExportResult {
  const errors = validateDocument(document, kind);
  if (errors.length > 0) return { ok: false, problems: errors.map((message) => ({ file, line: 1, column: 1, message: `exported ${kind} document is invalid: ${message}` })) };
  return { ok: true, document };
}
