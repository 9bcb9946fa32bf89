/**
 * Markdown shaped to be slow to parse (issue 13 item 8) is refused before parsing with a
 * diagnostic naming the line, the limit and what to do; what runbooks really contain is not.
 */
import { describe, expect, it } from 'vitest';
import { MAX_LINE_CHARS, MAX_NESTING } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { bracketLines, nestedList, nestedListOneLine, quoteListMix } from '../faults/hostile-markdown.js';

const tooComplex = (text: string) => parseRunbook(text, 'r.md').diagnostics.filter((d) => d.code === 'too-complex');

describe('nesting and line length bounds', () => {
  it('refuses a list nested past the limit, naming the first line past it', () => {
    const [d, ...more] = tooComplex(nestedList(1000));
    expect(more).toEqual([]);
    expect(d).toMatchObject({ file: 'r.md', line: MAX_NESTING + 2, severity: 'error' });
    expect(d?.message).toMatch(new RegExp(`nested ${MAX_NESTING + 1} .*the limit is ${MAX_NESTING}: flatten`));
  });

  it.each([
    ['list markers on one line', nestedListOneLine(200)],
    ['block quotes and lists in turn', quoteListMix(50)],
    ['block quotes alone', `# Q\n\n${'>'.repeat(40)} deep\n`],
  ])('refuses %s past the limit', (_name, text) => {
    expect(tooComplex(text)[0]).toMatchObject({ line: 3 });
  });

  it('refuses a line of prose past the limit, and says to break it or move it into a code block', () => {
    const [d] = tooComplex(bracketLines(MAX_LINE_CHARS + 1, 2));
    expect(d).toMatchObject({ line: 3, column: MAX_LINE_CHARS + 1 });
    expect(d?.message).toContain(`the limit outside code blocks is ${MAX_LINE_CHARS}`);
    expect(parseRunbook(bracketLines(MAX_LINE_CHARS + 1, 2), 'r.md').steps).toEqual([]);
  });

  it('parses nesting up to the limit, and long lines and deep YAML inside a step', () => {
    const list = Array.from({ length: MAX_NESTING }, (_, i) => `${'  '.repeat(i)}- [ ] level ${i}`).join('\n');
    const yaml = Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}- k${i}:`).join('\n');
    const text = `# T\n\n${list}\n\nWrite it.\n\n\`\`\`bash {name=w}\necho ${'x'.repeat(MAX_LINE_CHARS * 3)}\ncat > a.yaml <<EOF\n${yaml}\nEOF\n\`\`\`\n\n> - a quote\n>   - with a list\n`;
    const runbook = parseRunbook(text, 'r.md');
    expect(runbook.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(runbook.steps.map((s) => s.kind)).toEqual([...Array(MAX_NESTING).fill('manual'), 'command']);
  });

  it('is not blinded by a line that only looks like a fence: inline code, or indented code (review)', () => {
    // A backtick "fence" with a backtick in its info string is inline code; four spaces in, a
    // fence is indented code. Taken for fences, they hid the deep list after them: 67 s to parse.
    for (const opener of ['```a`b', '    ```bash', '- a\n\n      ```bash']) {
      const text = `# T\n\n${opener}\n\n${nestedList(1000)}`;
      expect(tooComplex(text).length, JSON.stringify(opener)).toBe(1);
    }
    // Real fences, at the top, in a list item and in a quote, still hide what is in them.
    const deep = Array.from({ length: 40 }, (_, i) => `${'  '.repeat(i)}- k${i}`).join('\n');
    for (const [open, close] of [['```bash', '```'], ['- step:\n\n  ```bash', '  ```'], ['> ```bash', '> ```'], ['~~~ `x`', '~~~']] as const) {
      const text = `# T\n\n${open}\n${deep.split('\n').map((l) => (open.startsWith('>') ? `> ${l}` : open.startsWith('-') ? `  ${l}` : l)).join('\n')}\n${close}\n`;
      expect(tooComplex(text), JSON.stringify(open)).toEqual([]);
    }
  });

  it('counts a sibling item as the same depth, not one deeper', () => {
    const siblings = Array.from({ length: 500 }, (_, i) => `- [ ] item ${i}\n  - [ ] sub ${i}`).join('\n');
    expect(tooComplex(`# T\n\n${siblings}\n`)).toEqual([]);
  });
});
