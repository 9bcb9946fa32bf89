import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintRunbook, type CommandStep } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { CORPUS, corpusFiles, fixtureFiles, skipNote } from '../helpers/paths.js';

/**
 * Real runbooks written by people, not for stepgate: they must parse with no errors and every
 * position must land inside the file. The project's own fixtures always run; the third-party
 * corpus runs when STEPGATE_CORPUS_DIR names it.
 */
function realRunbooks(files: string[], minimum: number): void {
  it('has the runbooks to read', () => {
    expect(files.length).toBeGreaterThanOrEqual(minimum);
  });

  it.each(files.map((f) => [basename(f), f]))('%s parses without errors, with positions inside the file', (_name, file) => {
    const text = readFileSync(file, 'utf8');
    const lineCount = text.split('\n').length;
    const runbook = parseRunbook(text, file);
    // Links to files beside it resolve (ours link to each other); other files are not there.
    const load = (f: string) => (existsSync(f) ? parseRunbook(readFileSync(f, 'utf8'), f) : undefined);
    const diagnostics = lintRunbook(runbook, { load, env: {} });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const d of diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.line).toBeLessThanOrEqual(lineCount);
    }
    for (const step of runbook.steps) {
      expect(step.position.line).toBeLessThanOrEqual(lineCount);
      if (step.kind === 'command') {
        // the fence line really opens a fence of the step's language
        expect(text.split(/\r?\n|\r/)[step.position.line - 1]).toMatch(new RegExp('(`{3,}|~{3,})\\s*' + step.lang, 'i'));
      }
    }
    expect(runbook.title.length).toBeGreaterThan(0);
  });

  it('finds every shell step they hold', () => {
    let shellFences = 0;
    let steps = 0;
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      shellFences += (text.match(/^\s*(?:[-*]\s+)?```(bash|sh|shell|console)\b/gm) ?? []).length;
      steps += parseRunbook(text, basename(file)).steps.filter((s) => s.kind === 'command').length;
    }
    expect(steps).toBe(shellFences);
  });

  it('reads console blocks as their $ commands only', () => {
    const consoleSteps = files
      .flatMap((file) => parseRunbook(readFileSync(file, 'utf8'), basename(file)).steps)
      .filter((s): s is CommandStep => s.kind === 'command' && s.lang === 'console');
    expect(consoleSteps.length).toBeGreaterThan(0);
    for (const step of consoleSteps) expect(step.script).not.toMatch(/^\$ /m);
  });
}

describe('the project\'s own realistic runbooks (test/fixtures/runbooks)', () => {
  realRunbooks(fixtureFiles(), 6);
});

describe.skipIf(!CORPUS)('real-world runbooks from other teams (STEPGATE_CORPUS_DIR)', () => {
  realRunbooks(corpusFiles(), 25);
});
if (!CORPUS) skipNote('the third-party corpus tests', 'STEPGATE_CORPUS_DIR');
