/**
 * The lint gate before anything runs: a new session (run, the TUI) and a resume refuse a
 * runbook with lint errors, in it or in a runbook it can reach (its before and after
 * checklists, every recovery path, transitively). A recovery runbook broken by an edit must be
 * found before the deploy, not when the health check has already failed and the path is
 * needed. Warnings never refuse.
 */
import { formatDiagnostic, lintRunbook } from '../runbooks/index.js';
import { reachableSteps } from '../runbooks/reach.js';
import type { Diagnostic, Runbook } from '../runbooks/model.js';
import { displayPath } from '../plain/print-events.js';
import { createRunbookCache, loadRunbookFile, whyUnreadable } from './load.js';

/** The errors of `runbook` and of every other runbook a session of it can reach, each file once. */
export function lintErrors(runbook: Runbook): Diagnostic[] {
  return lintWithReached(runbook, createRunbookCache()).filter((d) => d.severity === 'error');
}

/**
 * The diagnostics of `runbook` and of every other runbook a session of it can reach (its
 * checklists and recovery paths), each file once: those in `done` are passed over, and the
 * files linted are added to it (lint of several files names each once).
 */
export function lintWithReached(runbook: Runbook, load: (file: string) => Runbook | undefined, done = new Set<string>()): Diagnostic[] {
  const ctx = { load, env: process.env, whyUnreadable };
  const out: Diagnostic[] = [];
  for (const book of [runbook, ...reachableSteps(runbook, load).map((r) => load(r.file))]) {
    if (book === undefined || done.has(book.file)) continue;
    done.add(book.file);
    out.push(...lintRunbook(book, ctx));
  }
  return out;
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
export async function resumeLintRefusal(file: string, id: string, cwd: string): Promise<{ lines: string[]; short: string } | undefined> {
  const loaded = await loadRunbookFile(file);
  if (loaded.runbook.diagnostics.some((d) => d.code === 'read-error')) return undefined;
  const errors = lintErrors(loaded.runbook);
  if (errors.length === 0) return undefined;
  const shown = displayPath(file, cwd);
  const count = lintErrorCount(file, errors, cwd);
  const lines = errors.map((d) => formatDiagnostic({ ...d, file: displayPath(d.file, cwd) }));
  lines.push(`stepgate: ${shown} has ${count}; fix ${errors.length === 1 ? 'it' : 'them'} (stepgate lint ${shown}), then resume again (stepgate resume ${id}); nothing was resumed`);
  return { lines, short: `${shown} has ${count} (stepgate lint ${shown}): ${lines[0] ?? ''}` };
}
