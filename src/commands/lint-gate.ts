/**
 * The lint gate before anything runs: a new session (run, the TUI) and a resume refuse a
 * runbook with lint errors, in it or in a runbook it can reach (its before and after
 * checklists, every recovery path, transitively). A recovery runbook broken by an edit must be
 * found before the deploy, not when the health check has already failed and the path is
 * needed. Warnings never refuse.
 */
import { formatDiagnostic, lintRunbook } from '../runbooks/index.js';
import { sessionNames } from '../runbooks/lint.js';
import { reachableSteps } from '../runbooks/reach.js';
import { declaredRecoveryTargets } from '../runbooks/sections.js';
import type { Diagnostic, Runbook } from '../runbooks/model.js';
import type { SessionState } from '../session/types.js';
import { displayPath } from '../plain/print-events.js';
import { createRunbookCache, loadRunbookFile, whyUnreadable } from './load.js';

/** The files of the recovery frames a session is in (the main frame's is the session's runbook). */
export function recoveryFiles(state: SessionState): string[] {
  return state.frames.slice(1).map((frame) => frame.init.source.file);
}

/** The errors of `runbook` and of every other runbook a session of it can reach, each file once. */
export function lintErrors(runbook: Runbook): Diagnostic[] {
  return lintWithReached([runbook], createRunbookCache()).diagnostics.filter((d) => d.severity === 'error');
}

/**
 * The diagnostics of `runbooks` and of every other runbook a session of one of them can reach
 * (its checklists and recovery paths), each file once, in that order, and the files linted. A reached runbook is
 * linted knowing the names the runbooks that reach it give a session (their vars and
 * captures), as a session runs it: its `${PORT}` is the deploy's.
 */
export function lintWithReached(runbooks: readonly Runbook[], load: (file: string) => Runbook | undefined): { files: string[]; diagnostics: Diagnostic[] } {
  const books = new Map<string, { book: Runbook; inherited: Set<string> }>();
  const add = (book: Runbook, names: ReadonlySet<string>): void => {
    const entry = books.get(book.file) ?? { book, inherited: new Set<string>() };
    for (const name of names) entry.inherited.add(name);
    books.set(book.file, entry);
  };
  for (const main of runbooks) {
    add(main, new Set());
    // Walking the flow costs 12 ms for a 10,002-line runbook (issue 14's cold lint): not for
    // one that names no other file, which reaches none.
    if (!namesOtherFiles(main)) continue;
    const [beforeSteps, afterSteps] = [sessionNames(main, false), sessionNames(main, true)];
    for (const reached of reachableSteps(main, load)) {
      const book = reached.file === main.file ? undefined : load(reached.file);
      if (book !== undefined) add(book, reached.role === 'before' ? beforeSteps : afterSteps);
    }
  }
  const diagnostics = [...books.values()].flatMap(({ book, inherited }) => lintRunbook(book, { load, env: process.env, whyUnreadable, inherited }));
  return { files: [...books.keys()], diagnostics };
}

/** Whether any link, recovery path or checklist of `runbook` names another file. */
function namesOtherFiles(runbook: Runbook): boolean {
  const { before, after } = runbook.frontMatter;
  return before.length > 0 || after.length > 0 || [...declaredRecoveryTargets(runbook), ...runbook.crossRefs.map((r) => r.target)].some((t) => t.file !== undefined);
}

/**
 * The line that ends a refusal for `errors`: a runbook that could not be read at all is not a
 * runbook with lint errors to fix (a trial was told "1 lint error; fix them" of a mistyped path).
 */
export function refusalLine(file: string, errors: readonly Diagnostic[], cwd: string, then: string): string {
  if (errors.length > 0 && errors.every((d) => d.code === 'read-error' && d.file === file)) {
    return `stepgate: ${displayPath(file, cwd)} is not a runbook stepgate can read: check the path (stepgate DIR lists the runbooks in a directory)`;
  }
  return `stepgate: ${file} has ${lintErrorCount(file, errors, cwd)}; ${then}`;
}

/** `3 lint errors` for `file`, naming the linked runbooks they are in when not all are its own. */
export function lintErrorCount(file: string, errors: readonly Diagnostic[], cwd: string): string {
  const count = `${errors.length} lint error${errors.length === 1 ? '' : 's'}`;
  const elsewhere = [...new Set(errors.map((d) => d.file))].filter((f) => f !== file).map((f) => displayPath(f, cwd));
  return elsewhere.length === 0 ? count : `${count} (in the runbooks it links to: ${elsewhere.join(', ')})`;
}

/**
 * Why a session cannot be resumed with its runbook as it is now: lint errors, as a new session
 * of it would be refused (each error at its file:line, then what to do), or undefined. An
 * unreadable runbook is not this refusal's to word: the resume says it cannot load it.
 */
export async function resumeLintRefusal(file: string, id: string, cwd: string, also: readonly string[] = []): Promise<{ lines: string[]; short: string } | undefined> {
  const loaded = await loadRunbookFile(file);
  if (loaded.runbook.diagnostics.some((d) => d.code === 'read-error')) return undefined;
  // The recoveries the session is in, when the runbook no longer links them: they run on from
  // their own files, which must pass as the linked ones do (a review ran a timeout=0 step so).
  const more = await Promise.all(also.filter((f) => f !== file).map(async (f) => (await loadRunbookFile(f)).runbook));
  const cache = createRunbookCache();
  const errors = lintWithReached([loaded.runbook, ...more.filter((b) => !b.diagnostics.some((d) => d.code === 'read-error'))], cache).diagnostics.filter((d) => d.severity === 'error');
  if (errors.length === 0) return undefined;
  const shown = displayPath(file, cwd);
  // A recovery it no longer links is linted on its own: `stepgate lint FILE` must name it too.
  const reached = new Set(reachableSteps(loaded.runbook, cache).map((step) => step.file));
  const unlinked = more.map((b) => b.file).filter((f) => errors.some((d) => d.file === f) && !reached.has(f));
  const lint = ['stepgate lint', shown, ...unlinked.map((f) => displayPath(f, cwd))].join(' ');
  const count = lintErrorCount(file, errors, cwd).replace('(in the runbooks it links to: ', unlinked.length > 0 ? '(in the runbooks it links to or the session is in: ' : '(in the runbooks it links to: ');
  const lines = errors.map((d) => formatDiagnostic({ ...d, file: displayPath(d.file, cwd) }));
  lines.push(`stepgate: ${shown} has ${count}; fix ${errors.length === 1 ? 'it' : 'them'} (${lint}), then resume again (stepgate resume ${id}); nothing was resumed`);
  return { lines, short: `${shown} has ${count} (${lint}): ${lines[0] ?? ''}` };
}

