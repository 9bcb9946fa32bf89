import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lintRunbook, parseRunbook, type CommandStep } from '../../src/runbooks/index.js';
import { CORPUS } from '../helpers/paths.js';

const files = readdirSync(CORPUS).filter((f) => f.endsWith('.md'));

describe('real-world runbooks from other teams (shared/corpus)', () => {
  it('has the corpus to read', () => {
    expect(files.length).toBeGreaterThanOrEqual(25);
  });

  it.each(files)('%s parses without errors, with positions inside the file', (name) => {
    const text = readFileSync(join(CORPUS, name), 'utf8');
    const lineCount = text.split('\n').length;
    const runbook = parseRunbook(text, name);
    const diagnostics = lintRunbook(runbook, { load: () => undefined, env: {} });
    expect(diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    for (const d of diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.line).toBeLessThanOrEqual(lineCount);
    }
    for (const step of runbook.steps) {
      expect(step.position.line).toBeLessThanOrEqual(lineCount);
      if (step.kind === 'command') {
        // the fence line really opens a fence of the step's language
        expect(text.split('\n')[step.position.line - 1]).toMatch(new RegExp('(`{3,}|~{3,})\\s*' + step.lang, 'i'));
      }
    }
    expect(runbook.title.length).toBeGreaterThan(0);
  });

  it('finds the shell steps the corpus holds', () => {
    let shellFences = 0;
    let steps = 0;
    for (const name of files) {
      const text = readFileSync(join(CORPUS, name), 'utf8');
      shellFences += (text.match(/^\s*(?:[-*]\s+)?```(bash|sh|shell|console)\b/gm) ?? []).length;
      steps += parseRunbook(text, name).steps.filter((s) => s.kind === 'command').length;
    }
    expect(steps).toBe(shellFences);
  });

  it('reads console blocks as their $ commands only', () => {
    const consoleSteps = files
      .flatMap((name) => parseRunbook(readFileSync(join(CORPUS, name), 'utf8'), name).steps)
      .filter((s): s is CommandStep => s.kind === 'command' && s.lang === 'console');
    expect(consoleSteps.length).toBeGreaterThan(0);
    for (const step of consoleSteps) expect(step.script).not.toMatch(/^\$ /m);
  });
});
