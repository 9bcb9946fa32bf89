/**
 * Our own checks on every exported document, before anyone uploads it: what SSM would reject
 * (names, jump targets, size, timeouts) and what it would accept but run wrongly (a cycle, a
 * step that can never be reached, a timeout shorter than the command it waits for).
 */
import type { DocumentKind, SsmDocument } from './documents.js';

export const STEP_NAME = /^[A-Za-z0-9_]{1,128}$/;
/** SSM's limit on a document's content. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
/** Run Command's largest executionTimeout for aws:runShellScript (48 h); Automation's steps are held to it too. */
export const MAX_TIMEOUT_S = 172_800;

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function asTimeout(value: unknown): number | undefined {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
}

/** Where a step may go next: on success (nextStep, else the following step unless isEnd) and on failure. */
export function successors(steps: ReadonlyArray<Record<string, unknown>>, i: number): string[] {
  const step = steps[i] ?? {};
  const out: string[] = [];
  const next = str(step.nextStep);
  const end = step.isEnd === true || step.isEnd === 'true';
  if (next !== undefined) out.push(next);
  else if (!end && steps[i + 1]) out.push(str(steps[i + 1]?.name) ?? '');
  const failure = str(step.onFailure);
  if (failure?.startsWith('step:')) out.push(failure.slice(5));
  return out;
}

export function validateDocument(document: SsmDocument, kind: DocumentKind, serialized?: string): string[] {
  const errors: string[] = [];
  const text = serialized ?? JSON.stringify(document);
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_DOCUMENT_BYTES)
    errors.push(`the document is ${bytes} bytes; SSM takes at most ${MAX_DOCUMENT_BYTES} (64 KB): split the runbook, or move long scripts into files the runbook calls`);
  const steps = document.mainSteps;
  if (steps.length === 0) errors.push('the document has no steps (the runbook has no command or check steps to run)');
  const names = new Map<string, number>();
  steps.forEach((step, i) => {
    const name = str(step.name) ?? '';
    if (!STEP_NAME.test(name)) errors.push(`step ${i + 1}: name "${name}" is not 1-128 letters, digits or _`);
    if (names.has(name)) errors.push(`step name ${name} is used twice (steps ${(names.get(name) ?? 0) + 1} and ${i + 1})`);
    names.set(name, i);
  });
  steps.forEach((step, i) => {
    const name = str(step.name) ?? `#${i + 1}`;
    const failure = str(step.onFailure);
    const jumps = [str(step.nextStep), failure?.startsWith('step:') ? failure.slice(5) : undefined];
    for (const target of jumps) if (target !== undefined && !names.has(target)) errors.push(`step ${name} jumps to ${target}, which does not exist`);
    if (failure !== undefined && !/^(Abort|Continue|step:[A-Za-z0-9_]+)$/.test(failure) && kind === 'automation')
      errors.push(`step ${name}: onFailure "${failure}" is not Abort, Continue or step:NAME`);
    errors.push(...timeoutErrors(step, name, kind));
  });
  errors.push(...graphErrors(steps, names));
  return errors;
}

function timeoutErrors(step: Record<string, unknown>, name: string, kind: DocumentKind): string[] {
  const errors: string[] = [];
  const inputs = (step.inputs ?? {}) as Record<string, unknown>;
  const check = (what: string, value: unknown): number | undefined => {
    if (value === undefined) return undefined;
    const n = asTimeout(value);
    if (n === undefined || n < 1 || n > MAX_TIMEOUT_S) {
      errors.push(`step ${name}: ${what} ${String(value)} is not a whole number of seconds from 1 to ${MAX_TIMEOUT_S}`);
      return undefined;
    }
    return n;
  };
  if (kind === 'command') {
    check('timeoutSeconds', inputs.timeoutSeconds);
    if (!Array.isArray(inputs.runCommand) || inputs.runCommand.length === 0) errors.push(`step ${name} has no runCommand`);
  } else {
    const outer = check('timeoutSeconds', step.timeoutSeconds);
    const parameters = (inputs.Parameters ?? {}) as Record<string, unknown>;
    const inner = check('executionTimeout', parameters.executionTimeout);
    if (outer !== undefined && inner !== undefined && outer < inner)
      errors.push(`step ${name}: the step's timeoutSeconds (${outer}) is shorter than its command's executionTimeout (${inner}): Automation would give up on a command still running`);
  }
  return errors;
}

/** Automation rejects cycles; a step nothing reaches is an export bug. */
function graphErrors(steps: ReadonlyArray<Record<string, unknown>>, names: Map<string, number>): string[] {
  const errors: string[] = [];
  const state = new Array<number>(steps.length).fill(0); // 0 new, 1 on the stack, 2 done
  const edges = steps.map((_, i) => successors(steps, i).map((t) => names.get(t)).filter((j): j is number => j !== undefined));
  const visit = (start: number): void => {
    // Iterative DFS: a long runbook must not overflow the stack.
    const stack: Array<{ node: number; edge: number }> = [{ node: start, edge: 0 }];
    state[start] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      if (!top) break;
      const next = edges[top.node]?.[top.edge++];
      if (next === undefined) {
        state[top.node] = 2;
        stack.pop();
      } else if (state[next] === 1) {
        errors.push(`the steps form a cycle through ${str(steps[next]?.name) ?? next} (Automation rejects cycles)`);
      } else if (state[next] === 0) {
        state[next] = 1;
        stack.push({ node: next, edge: 0 });
      }
    }
  };
  if (steps.length > 0) visit(0);
  state.forEach((s, i) => {
    if (s === 0) errors.push(`step ${str(steps[i]?.name) ?? i} can never be reached`);
  });
  return errors;
}
