import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lintRunbook, planRunbook, type Runbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { GUIDE, corpusFiles, fixtureFiles } from '../helpers/paths.js';

/** The parser's promise: no throw, and every diagnostic points inside the input. */
function assertSound(text: string): Runbook {
  const runbook = parseRunbook(text, 'fuzz.md');
  // Lines as micromark counts them: a lone CR ends one too (an editor that shows it as ^M does not).
  const lines = text.split(/\r\n|\r|\n/).length;
  const diagnostics = lintRunbook(runbook, { load: () => undefined, env: {} });
  for (const d of diagnostics) {
    expect(Number.isInteger(d.line) && d.line >= 1 && d.line <= lines + 1).toBe(true);
    expect(Number.isInteger(d.column) && d.column >= 1).toBe(true);
    expect(d.code.length).toBeGreaterThan(0);
  }
  for (const step of runbook.steps) expect(step.position.line).toBeGreaterThanOrEqual(1);
  planRunbook(runbook, () => undefined);
  JSON.stringify(runbook);
  return runbook;
}

const word = fc.stringMatching(/^[a-z0-9#._:-]{0,12}$/);
const lang = fc.constantFrom('bash', 'sh', 'console', 'check', 'health', 'yaml', 'json', 'text', '', 'zsh', 'promql', '{x}');
const attrText = fc.oneof(
  fc.constant(''),
  fc.array(fc.tuple(fc.constantFrom('name', 'timeout', 'retries', 'recover', 'optional', 'cwd', 'bogus', 'backoff', '"'), fc.option(word)), { maxLength: 4 })
    .map((pairs) => `{${pairs.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(' ')}}`),
  fc.json().map((j) => `{${j}}`),
  fc.string({ maxLength: 20 }),
);
const yamlBody = fc.oneof(
  fc.constantFrom('http: http://localhost:8080/healthz', '- tcp: localhost:22\n- run: true', 'expect: 2xx', 'http: [', 'retries: x\nhttp: http://a', 'timeout: 0', 'contains: ${X}\nhttp: ${URL}'),
  fc.string({ maxLength: 60 }),
);
const block = fc.oneof(
  fc.tuple(fc.integer({ min: 1, max: 6 }), fc.string({ maxLength: 30 })).map(([d, t]) => `${'#'.repeat(d)} ${t}`),
  fc.string({ maxLength: 80 }),
  fc.tuple(lang, attrText, fc.oneof(yamlBody, fc.string({ maxLength: 80 })), fc.boolean()).map(
    ([l, a, body, close]) => `\`\`\`${l} ${a}\n${body}${close ? '\n```' : ''}`,
  ),
  fc.tuple(fc.boolean(), fc.string({ maxLength: 30 }), fc.nat(3)).map(([done, t, indent]) => `${'  '.repeat(indent)}- [${done ? 'x' : ' '}] ${t}`),
  fc.tuple(word, word).map(([f, a]) => `See [x](${f}.md#${a}) and \`${f}.md\`.`),
  fc.constantFrom('<!-- stepgate: recover=#x -->', '<!-- stepgate: nonsense -->', '> quoted\n> ```bash\n> echo hi\n> ```', '| a | [b](b.md) |\n|---|---|', '    indented code', '~~~sh\nls\n~~~'),
);
const frontMatter = fc.oneof(
  fc.constant(''),
  fc.tuple(fc.constantFrom('title', 'user', 'vars', 'env', 'before', 'after', 'recovery', 'rollback', 'junk'), fc.oneof(word, fc.json())).map(([k, v]) => `---\n${k}: ${v}\n---\n`),
  fc.string({ maxLength: 40 }).map((s) => `---\n${s}\n---\n`),
);
const markdown = fc.tuple(frontMatter, fc.array(block, { maxLength: 12 })).map(([fm, blocks]) => fm + blocks.join('\n\n'));

/** Our own fixtures always; the guide and the corpus too when their variables name them. */
const seeds = [...fixtureFiles(), ...(GUIDE ? [GUIDE] : []), ...corpusFiles()].map((f) => readFileSync(f, 'utf8'));
/** Real runbooks cut, spliced and sprinkled with fence and YAML characters. */
const mutated = fc
  .tuple(fc.constantFrom(...seeds), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.nat(200), fc.constantFrom('```', '\n', '---\n', '{', '}', '- [ ] ', '#', ':', '\u0000', '\r\n', '~~~', '`', '[', '](', '"', '')), { maxLength: 8 }))
  .map(([seed, from, edits]) => {
    // A window of the document keeps each case small enough for thousands of runs.
    const start = from % Math.max(1, seed.length - 2000);
    let text = seed.slice(start, start + 2000);
    for (const [at, cut, insert] of edits) {
      const i = at % (text.length + 1);
      text = text.slice(0, i) + insert + text.slice(i + cut % 7);
    }
    return text;
  });

describe('parser robustness (property-based)', () => {
  it('never throws on generated runbook-like markdown and positions every diagnostic', () => {
    fc.assert(fc.property(markdown, (text) => void assertSound(text)), { numRuns: 2500 });
  }, 120_000);

  it('never throws on mutated real runbooks', () => {
    fc.assert(fc.property(mutated, (text) => void assertSound(text)), { numRuns: 800 });
  }, 120_000);

  it('never throws on arbitrary unicode', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 300 }), (text) => void assertSound(text)), { numRuns: 1000 });
  });
});
