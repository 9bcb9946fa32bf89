/** `stepgate lint PATH... [--json]`: compiler-style diagnostics; exit 0 without errors, 2 with. */
import { formatDiagnostic, type Diagnostic } from '../runbooks/index.js';
import { collectMarkdownFiles, createRunbookCache, readRunbookFileSync } from './load.js';
import { setTrustPolicy } from './trust.js';
import { lintWithReached } from './lint-gate.js';
import { parseFiles } from './parse-files.js';
import { parseCommand } from './parse-command.js';
import { LINT } from './specs.js';
import { EXIT } from './exit-codes.js';
import { displayText, terminalJson } from '../session/printable.js';

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(LINT, argv);
  if (typeof parsed === 'number') return parsed;
  const paths = parsed.positionals.length > 0 ? parsed.positionals : ['runbooks'];
  // lint reports untrusted files (another owner, group/other-writable, a link out of the tree) as warnings.
  setTrustPolicy('warn');
  const { files, missing } = collectMarkdownFiles(paths);
  const runbooks = await parseFiles(files);
  // A file linked from another is one of these more often than not: parsed once.
  const load = createRunbookCache(runbooks);
  const diagnostics: Diagnostic[] = missing.map((path) => ({
    file: path, line: 1, column: 1, severity: 'error', code: 'read-error', message: `${path}: no such file or directory`,
  }));
  // And every runbook a session of one of them can reach (its checklists and recovery paths),
  // as the gate before a run lints them: `run` refuses a deploy for an error in its recovery
  // runbook and says "stepgate lint deploy.md", which must then show it (a trial saw 0 errors).
  const given = files.map((file) => runbooks.get(file)?.runbook ?? readRunbookFileSync(file).runbook);
  const linted = lintWithReached(given, load);
  diagnostics.push(...linted.diagnostics);
  const checked = new Set([...files, ...linted.files]);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (parsed.values.json === true) {
    process.stdout.write(`${terminalJson({ files: checked.size, errors, warnings, diagnostics }, 2)}\n`);
  } else {
    // A diagnostic quotes the runbook (a YAML error, a name): printable only.
    for (const d of diagnostics) process.stdout.write(`${displayText(formatDiagnostic(d))}\n`);
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    process.stdout.write(`${plural(checked.size, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  }
  return errors > 0 ? EXIT.usage : EXIT.completed;
}
