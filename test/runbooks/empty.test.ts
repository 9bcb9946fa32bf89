/** The empty runbook stands for a file that could not be read: it must be what the parser gives for no text. */
import { describe, expect, it } from 'vitest';
import { emptyRunbook } from '../../src/runbooks/empty.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

describe('emptyRunbook', () => {
  for (const file of ['x/deploy.md', 'RECOVERY.MD', 'no-extension', 'a/b/c.md']) {
    it(`is the parse of an empty ${file}, without its empty-file warning`, () => {
      const parsed = parseRunbook('', file);
      expect(parsed.diagnostics.map((d) => d.code)).toEqual(['empty-file']);
      expect(emptyRunbook(file)).toEqual({ ...parsed, diagnostics: [] });
    });
  }
});
