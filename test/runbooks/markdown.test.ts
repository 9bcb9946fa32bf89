import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseMarkdown } from '../../src/runbooks/markdown.js';
import { CORPUS, GUIDE, ROOT, corpusFiles, fixtureFiles } from '../helpers/paths.js';

/** The reference: one parse of the whole text (no piece is ever shorter than the file). */
const whole = (text: string) => parseMarkdown(text, Number.POSITIVE_INFINITY);

function shippedRunbooks(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return shippedRunbooks(path);
    return entry.name.endsWith('.md') ? [path] : [];
  });
}

/** Ours always; the reference guide and the third-party corpus when their variables name them. */
const realFiles = [
  ...(GUIDE ? [GUIDE] : []),
  ...corpusFiles(),
  ...fixtureFiles(),
  ...shippedRunbooks(join(ROOT, 'runbooks')),
];

describe('parsing a large file in pieces gives the tree of one whole parse', () => {
  it('has real runbooks to compare', () => {
    expect(realFiles.length).toBeGreaterThanOrEqual(CORPUS ? 40 : 14);
  });

  it.each(realFiles.map((path) => [path.split('/').slice(-2).join('/'), path]))('%s, cut every 1, 3, 8 and 40 lines', (_name, path) => {
    const text = readFileSync(path, 'utf8');
    const reference = whole(text);
    for (const lines of [1, 3, 8, 40]) expect(parseMarkdown(text, lines)).toEqual(reference);
  });

  it('really cuts: a 10,000-line runbook is parsed in many pieces, still equal to the whole parse', () => {
    const sections = Array.from({ length: 700 }, (_, i) =>
      [`## Step ${i}`, '', `- [ ] confirm ${i}`, '  - [x] nested', '', '```bash {name=s' + i + '}', `echo ${i}`, '```', '', `See [the log][log] for ${i}.`, ''].join('\n'),
    );
    const text = `---\ntitle: Big\n---\n# Big\n\n${sections.join('\n')}\n[log]: https://example.com/log\n`;
    expect(text.split('\n').length).toBeGreaterThan(7000);
    const pieces = parseMarkdown(text);
    expect(pieces).toEqual(whole(text));
    // The reference in the first section resolved against the definition at the very end.
    expect(JSON.stringify(pieces.children.slice(0, 10))).toContain('"type":"linkReference"');
    expect(pieces.children[0]?.type).toBe('yaml');
  }, 60_000);
});

describe('a reference resolved by a definition in another piece', () => {
  // The definitions a piece lacks are parsed after its text; a fence or comment left open at the
  // end of the file swallowed them, and the reference above it stayed plain text.
  it.each([
    ['an unclosed fence', '```sh\nunclosed\n'],
    ['an unclosed comment', '<!-- open comment\n'],
    ['an unclosed fence after a byte-order mark', '```\nopen'],
  ])('still resolves above %s that ends the file', (name, end) => {
    const text = `${name.includes('byte-order') ? '\uFEFF' : ''}[ref]: https://example.com\n\n# Two\n\nsee [text][ref]\n\n${end}`;
    const reference = whole(text);
    expect(JSON.stringify(reference)).toContain('"type":"linkReference"');
    for (const lines of [1, 2, 3, 5]) expect(parseMarkdown(text, lines)).toEqual(reference);
  });

  // mdast gives a label decoded (`a]b`, `&`): written back as it is, it defines another label.
  it.each([
    ['an escaped bracket', '[a\\]b]'],
    ['a character reference', '[&amp;]'],
    ['an escaped backslash', '[x\\\\]'],
  ])('resolves a label with %s', (_name, label) => {
    const text = `${label}: /e\n# H\n${label}\n`;
    const reference = whole(text);
    expect(JSON.stringify(reference)).toContain('"type":"linkReference"');
    for (const lines of [1, 2]) expect(parseMarkdown(text, lines)).toEqual(reference);
  });
});

// Blocks chosen for what can go wrong when a file is cut between them: constructs that look
// ahead (front matter, setext underlines, table delimiter rows, definitions with titles on the
// next line), containers that continue lazily, fences and HTML blocks that swallow what follows.
const block = fc.constantFrom(
  '# Heading', '## Sub {#id}', '#', '#\tTabbed', '   ### indented three', '    # four is code', '####### seven', '# closed #', '#hashtag',
  '- # heading in a list', '> # heading in a quote', '# Heading\n    code right after', 'Setext\n===', 'Setext two\n---', '---', '***', '- - -',
  'Paragraph text\nover two lines', 'text then a table\n| a | b |\n|---|---|\n| 1 | 2 |',
  '| a | b |', '|---|---|', '| x | y |\n|---|\n| z |',
  '- [ ] task', '- [x] done\n  - [ ] nested\n    - [ ] deeper', '1. one\n2. two', '2. starts at two', '-', '- ',
  '* star\n\n* loose', '+ plus\n+ more', '  - indented item', '10) paren',
  '```bash\necho hi\n```', '```bash {name=x}\nunclosed fence', '~~~sh\nls\n~~~', '````\n```\n````', '  ```\n  indented fence\n  ```',
  '- ```\n  in a list\n  ```', '- item\n\n  ```sh\n  code\n  ```', '    indented code\n    more',
  '> quote\nlazy continuation', '> ```\n> fenced in quote', '> - [ ] task in quote', '>',
  '<!-- comment\n# not a heading\n-->', '<div>\n# inside html\n\n', '<custom-tag>', '<pre>\n\n# still pre\n</pre>', '<?php echo 1; ?>',
  '[ref]: https://example.com', '[Ref Two]:\n  /url\n  "title on the next line"', '[ref]', '[text][REF]', '[Ref  two][]', '[missing]',
  '[a\\]b]: /escaped', '[a\\]b]', '[&amp;]: /entity', '[x][&AMP;]',
  '---\ntitle: not front matter here\n---', '\tTabbed line', 'line with trailing spaces   ', '\\# escaped', '&amp; entity', '',
);
const ending = fc.constantFrom('\n', '\n\n', '\n\n\n', '\r\n', '\r\n\r\n', '\r');
const document = fc
  .tuple(
    fc.constantFrom('', '\uFEFF', '---\ntitle: x\n---\n', '---\nunclosed: front matter\n', '\uFEFF---\na: 1\n---\n', '---\n---\n'),
    fc.array(fc.tuple(block, ending), { maxLength: 30 }),
    fc.boolean(),
  )
  .map(([top, blocks, trailing]) => top + blocks.map(([b, e]) => b + e).join('') + (trailing ? '' : 'tail'));

/** One turn of the event loop, I/O included. */
function breathe(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('property: any cut of any document gives the whole parse', () => {
  // Async, each run after a turn of the event loop: one synchronous stretch of these took vitest's
  // worker past its fixed 60 s wait for the runner's reply under load (see yield-between-tests.ts).
  it('holds for 1,000 generated documents cut every 1 to 12 lines', async () => {
    await fc.assert(
      fc.asyncProperty(document, fc.integer({ min: 1, max: 12 }), async (text, lines) => {
        await breathe();
        expect(parseMarkdown(text, lines)).toEqual(whole(text));
      }),
      { numRuns: 1000 },
    );
  }, 120_000);

  const seeds = realFiles.map((path) => readFileSync(path, 'utf8'));
  it('holds for 200 real runbooks with lines deleted, doubled or replaced', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...seeds),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('delete', 'double', '```', '---', '- [ ] x', '> q', '    code', '[ref]: /u', '<div>', '')), { maxLength: 6 }),
        fc.integer({ min: 2, max: 20 }),
        async (seed, edits, lines) => {
          await breathe();
          const rows = seed.split('\n');
          for (const [at, edit] of edits) {
            const i = at % rows.length;
            if (edit === 'delete') rows.splice(i, 1);
            else if (edit === 'double') rows.splice(i, 0, rows[i] ?? '');
            else rows[i] = edit;
          }
          const text = rows.join('\n');
          expect(parseMarkdown(text, lines)).toEqual(whole(text));
        },
      ),
      { numRuns: 200 },
    );
  }, 120_000);
});
