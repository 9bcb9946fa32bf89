/** `stepgate lint PATH... [--json]`: compiler-style diagnostics; exit 0 without errors, 2 with. */
import { formatDiagnostic, lintRunbook, type Diagnostic } from '../runbooks/index.js';
import { collectMarkdownFiles, createRunbookCache, readRunbookFileSync, whyUnreadable } from './load.js';
import { setTrustPolicy } from './trust.js';
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
  for (const file of files) {
    diagnostics.push(...lintRunbook((runbooks.get(file) ?? readRunbookFileSync(file)).runbook, { load, env: process.env, whyUnreadable }));
  }
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = diagnostics.length - errors;
  if (parsed.values.json === true) {
    process.stdout.write(`${terminalJson({ files: files.length, errors, warnings, diagnostics }, 2)}\n`);
  } else {
    // A diagnostic quotes the runbook (a YAML error, a name): printable only.
    for (const d of diagnostics) process.stdout.write(`${displayText(formatDiagnostic(d))}\n`);
    const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;
    process.stdout.write(`${plural(files.length, 'file')} checked: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}\n`);
  }
  return errors > 0 ? EXIT.usage : EXIT.completed;
}
