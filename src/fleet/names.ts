/**
 * Names an export refuses in `env:` and `vars:`, at the entry: a secret-looking env entry (its
 * value would be written in clear into the document) and a name the exported shell sets for
 * itself (SHELL_NAMES). A local session takes both: the first stays on the host, the second
 * meets no shell of ours there.
 */
import type { Runbook } from '../runbooks/model.js';
import { looksSecretName } from '../runbooks/vars.js';
import type { ExportProblem } from './flow.js';
import { SHELL_NAMES } from './step-shell.js';

function reserved(kind: 'env' | 'var', name: string): string {
  return `${kind} ${name}: the exported shell sets ${name} for itself (sg_user picks the run-as user, a check keeps its URL in sg_url), so its value would clobber it or be clobbered: rename it (a name without the lower-case sg_ never meets the shell's own)`;
}

/**
 * The problems of the `env:` and `vars:` entries of `runbooks` (every runbook whose steps a
 * document carries). `varNames`: the vars every runbook declares; an env: entry of such a name
 * never reaches the document (the var wins, as in a local session), so its value is no leak.
 */
export function nameProblems(runbooks: readonly Runbook[], varNames: ReadonlySet<string>): ExportProblem[] {
  const out: ExportProblem[] = [];
  for (const runbook of runbooks) {
    const fm = runbook.frontMatter;
    for (const [name, value] of Object.entries(fm.env)) {
      const at = { file: runbook.file, ...(fm.envPositions?.[name] ?? { line: 1, column: 1 }) };
      if (SHELL_NAMES.has(name)) out.push({ ...at, message: reserved('env', name) });
      // An empty value gives nothing away (it clears the variable).
      else if (value !== '' && looksSecretName(name) && !varNames.has(name))
        out.push({
          ...at,
          message: `env ${name} looks secret, and an env: value is written in clear into the SSM document, which anyone allowed ssm:GetDocument reads: declare it under vars: instead (a secret var, by its name) and export with --param-store-prefix /PATH, keeping the value in Parameter Store as /PATH/${name}`,
        });
    }
    for (const v of fm.vars) if (SHELL_NAMES.has(v.name)) out.push({ file: runbook.file, ...v.position, message: reserved('var', v.name) });
  }
  return out;
}
