/**
 * The vars `fleet run` is given (`--var NAME=VALUE`, `STEPGATE_VAR_NAME`) against the vars its
 * document binds. A `--var` no runbook declares is a typo that would otherwise be dropped
 * without a word while every instance runs with the default. A secret is never taken from
 * here: a value sent with SendCommand is a command parameter, which SSM keeps in clear in the
 * command's history (ListCommands) and CloudTrail logs for anyone with read access to them.
 * Pure: the command reads the runbooks, the flags and the environment.
 */
import type { Runbook } from '../runbooks/model.js';
import { firstDeclarations, runbooksOf } from './documents.js';
import { buildFlow, StepNames, type ExportProblem } from './flow.js';

/** A var the document binds, where it is declared. */
export interface DeclaredVar {
  name: string;
  secret: boolean;
  file: string;
  line: number;
  column: number;
}

/**
 * The vars of `runbook` and of every runbook whose steps its documents run (checklists,
 * recovery runbooks), the first declaration of a name winning, as export binds them.
 */
export function declaredVars(runbook: Runbook, load: (file: string) => Runbook | undefined, user?: string): DeclaredVar[] {
  const { flow } = buildFlow(runbook, load, new StepNames(), user);
  return firstDeclarations(runbooksOf(runbook, flow, load)).map(({ file, spec }) => ({ name: spec.name, secret: spec.secret, file, line: spec.position.line, column: spec.position.column }));
}

/** Where a secret var lives instead, for the advice: the prefix given, or a placeholder. */
function parameterPath(name: string, prefix: string | undefined): string {
  return `${prefix?.replace(/\/+$/, '') ?? '/PATH'}/${name}`;
}

/**
 * What stops `fleet run` before it calls AWS: each `--var` that no runbook declares (naming
 * the ones declared), and each secret var given by `--var`, or by `STEPGATE_VAR_NAME` without
 * --param-store-prefix, at the line that declares it. With the prefix, a secret's
 * `STEPGATE_VAR_NAME` is left out with a note (`ignored`): the document reads that var from
 * Parameter Store and has no parameter to carry it, and the operator's shell may hold it for a
 * local `stepgate run`. A `--var` is still refused: it was typed to be sent, and is not. A
 * `STEPGATE_VAR_` a runbook does not declare is left alone: the environment may carry values
 * for other runbooks.
 */
export function givenVarProblems(
  file: string,
  declared: readonly DeclaredVar[],
  given: { flags: Record<string, string>; env: Record<string, string | undefined>; paramStorePrefix?: string },
): { undeclared: string[]; secrets: ExportProblem[]; ignored: ExportProblem[] } {
  const byName = new Map(declared.map((v) => [v.name, v]));
  const names = declared.map((v) => (v.secret ? `${v.name} (secret)` : v.name));
  const undeclared = Object.keys(given.flags)
    .filter((name) => !byName.has(name))
    .map((name) => `--var ${name}: ${file} declares no var ${name}, nor does a runbook it links to (${names.length > 0 ? `declared: ${names.join(', ')}` : 'they declare none'}); fix the name or drop the flag`);
  const secrets: ExportProblem[] = [];
  const ignored: ExportProblem[] = [];
  const sendsNoSecret = "fleet run sends no secret (a command's parameters stay in clear in SSM's command history and CloudTrail)";
  for (const v of declared) {
    if (!v.secret) continue;
    const at = { file: v.file, line: v.line, column: v.column };
    const path = parameterPath(v.name, given.paramStorePrefix);
    if (given.flags[v.name] === undefined && given.env[`STEPGATE_VAR_${v.name}`] !== undefined && given.paramStorePrefix !== undefined) {
      ignored.push({ ...at, message: `STEPGATE_VAR_${v.name} ignored: var ${v.name} is secret and ${sendsNoSecret}; each instance reads it from Parameter Store as ${path} (--param-store-prefix ${given.paramStorePrefix})` });
      continue;
    }
    const via = given.flags[v.name] !== undefined ? `--var ${v.name}` : given.env[`STEPGATE_VAR_${v.name}`] !== undefined ? `STEPGATE_VAR_${v.name}` : undefined;
    if (via === undefined) continue;
    const where =
      given.paramStorePrefix === undefined
        ? `keep it in Parameter Store as a SecureString ${path} and pass --param-store-prefix /PATH: each instance reads it there`
        : `with --param-store-prefix ${given.paramStorePrefix} each instance reads it from Parameter Store as ${path}`;
    const drop = via.startsWith('--var') ? `drop ${via}` : `unset ${via}`;
    secrets.push({ ...at, message: `${via}: var ${v.name} is secret, and ${sendsNoSecret}; ${where}; ${drop}` });
  }
  return { undeclared, secrets, ignored };
}
