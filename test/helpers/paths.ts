import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root and the built CLI. */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = resolve(ROOT, 'dist', 'cli.js');
/** The project's own realistic runbooks (a deploy, a checklist, a recovery, a long one, CRLF). */
export const FIXTURES = resolve(ROOT, 'test', 'fixtures', 'runbooks');

/**
 * A folder named by an opt-in variable. Unset: undefined, and the tests that need it skip with
 * `reason`. Set but missing: an error, because CI sets these only when the folder exists and a
 * typo there must not quietly turn real tests into skips.
 */
function optInDir(variable: string): string | undefined {
  const value = process.env[variable];
  if (!value) return undefined;
  if (!existsSync(value)) throw new Error(`${variable}=${value}: no such folder`);
  return resolve(value);
}

/** Third-party runbooks (`STEPGATE_CORPUS_DIR`, set by .ci/run when ../shared/corpus exists). */
export const CORPUS = optInDir('STEPGATE_CORPUS_DIR');
/** The reference operations guide's folder (`STEPGATE_REFERENCE_DIR`: deploy-ops.md inside). */
export const REFERENCE = optInDir('STEPGATE_REFERENCE_DIR');
export const GUIDE = REFERENCE ? join(REFERENCE, 'deploy-ops.md') : undefined;

/** Paths of the corpus runbooks, or [] when the corpus is not given. */
export function corpusFiles(): string[] {
  return CORPUS ? readdirSync(CORPUS).filter((f) => f.endsWith('.md')).map((f) => join(CORPUS, f)) : [];
}

/** Paths of the project's own fixture runbooks. */
export function fixtureFiles(): string[] {
  return readdirSync(FIXTURES).filter((f) => f.endsWith('.md')).map((f) => join(FIXTURES, f));
}

/** Says once, in the test log, why a group of tests does not run here. */
export function skipNote(what: string, variable: string): string {
  const note = `skipping ${what}: set ${variable} to run them (.ci/run sets it when the shared folder sits beside the clone)`;
  console.log(note);
  return note;
}
