/**
 * Var values given before a session (`--var`, `STEPGATE_VAR_NAME`) checked against the vars'
 * `pattern:`, for preflight to refuse before anything starts.
 */
import { relative, resolve } from 'node:path';
import type { VarSpec } from '../runbooks/model.js';
import { nearMiss } from '../runbooks/near-miss.js';
import { looksSecretName, varValueProblem } from '../runbooks/vars.js';
import { needsValue } from '../session/answer-vars.js';
import { PlanError, collectRunbooks } from '../session/plan.js';
import { loadRunbookFile } from './load.js';

/** A path as preflight's findings show it: relative to the working directory when under it. */
function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel === '' || rel.startsWith('..') ? path : rel;
}

/**
 * `FILE: --var NAME is not a var ...` for each --var no runbook of the session declares, then
 * `FILE:LINE: --var NAME: ...` for each value given (`--var`, else `STEPGATE_VAR_NAME`) that
 * the session's var would refuse: the var as the session asks it, its first declaration in the
 * runbook, then in the runbooks it links to.
 */
export async function refusedVarValues(file: string, given: Record<string, string>, env: NodeJS.ProcessEnv): Promise<string[]> {
  const lines: string[] = [];
  const declared = await declaredVars(file);
  // A mistyped name went unnoticed: the session took the default (a trial's `--var NOPE=1` ran
  // every step with only a warning), where a mistyped --skip is refused. The environment's
  // STEPGATE_VAR_ names are not checked: a shell may export them for other runbooks.
  const names = declared.map(({ spec }) => spec.name);
  for (const name of Object.keys(given)) {
    if (names.includes(name)) continue;
    const near = nearMiss(name, names);
    lines.push(`${shown(file)}: error: --var ${name} is not a var of this runbook or of the runbooks it links to (${names.length > 0 ? `declared: ${names.join(', ')}` : 'they declare none'})${near !== undefined ? `: did you mean --var ${near}=...?` : ': check the name'}`);
  }
  for (const { path, spec } of declared) {
    const flag = given[spec.name];
    const value = flag ?? env[`STEPGATE_VAR_${spec.name}`];
    const problem = value === undefined ? undefined : varValueProblem({ ...spec, secret: spec.secret || looksSecretName(spec.name) }, value);
    if (problem !== undefined) lines.push(`${shown(path)}:${spec.position.line}: error: ${flag !== undefined ? `--var ${problem}` : `STEPGATE_VAR_${problem}`}`);
  }
  return lines;
}

/**
 * `FILE:LINE: error: var NAME (...) needs a value...` for each var with no value given and no
 * default: what a session without a terminal to ask on would stop at, after its journal was made.
 */
export async function unansweredVars(file: string, given: Record<string, string>, env: NodeJS.ProcessEnv): Promise<string[]> {
  return (await declaredVars(file))
    .filter(({ spec }) => given[spec.name] === undefined && env[`STEPGATE_VAR_${spec.name}`] === undefined && spec.default === undefined)
    .map(({ path, spec }) => `${shown(path)}:${spec.position.line}: error: ${needsValue(spec)}`);
}

/** Each var a session of `file` asks for, at its first declaration: the runbook's own first, then the runbooks it links to. */
async function declaredVars(file: string): Promise<Array<{ path: string; spec: VarSpec }>> {
  const main = resolve(file);
  let books;
  try {
    ({ books } = await collectRunbooks(main, loadRunbookFile));
  } catch (error) {
    if (error instanceof PlanError) return [];
    throw error;
  }
  const seen = new Set<string>();
  const out: Array<{ path: string; spec: VarSpec }> = [];
  for (const [path, book] of [...books.entries()].sort(([a], [b]) => Number(b === main) - Number(a === main))) {
    for (const spec of book.frontMatter.vars) {
      if (seen.has(spec.name)) continue;
      seen.add(spec.name);
      out.push({ path, spec });
    }
  }
  return out;
}
