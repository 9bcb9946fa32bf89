/**
 * Generators of markdown that is small enough to be accepted (under the 4 MiB limit) but has
 * been super-linear for a markdown parser: the fault suite parses each, bench/hostile.bench.mjs
 * times the worst. Each returns the file's text; sizes are close to the limit unless named.
 */

const LIMIT = 4 * 1024 * 1024;
/** Just under the limit, as an attacker would aim. */
export const NEAR_LIMIT = Math.floor(LIMIT * 0.93);

function fill(unit: (i: number) => string, chars: number, head = ''): string {
  const parts: string[] = [head];
  let size = head.length;
  for (let i = 0; size < chars; i++) {
    const u = unit(i);
    parts.push(u);
    size += u.length;
  }
  return parts.join('');
}

/** A realistic runbook (sections, prose, steps, checks, task lists, tables) of about `chars` characters. */
export function plainRunbook(chars = NEAR_LIMIT): string {
  return fill(
    (i) =>
      [
        `## Section ${i}`, '',
        `Restart service ${i} and check it; see [recovery](#section-${i}) if it fails.`, '',
        `- [ ] Announce step ${i}`, '  - [ ] Ticket linked', '',
        `\`\`\`bash {name=restart-${i} timeout=2m}`, `systemctl restart svc-${i}`, '```', '',
        '```check', `- http: http://localhost:8080/healthz/${i}`, '  expect: 2xx', '```', '',
        '| key | value |', '|---|---|', `| id | ${i} |`, '', '',
      ].join('\n'),
    chars,
    '---\ntitle: Big\n---\n# Big runbook\n\n',
  );
}

/** Prose only: one paragraph after another, no heading after the first line. */
export function plainProse(chars = NEAR_LIMIT): string {
  return fill((i) => `Paragraph ${i} says what the operator should know before going on, in plain words.\n\n`, chars, '# Prose\n\n');
}

/** `steps` bash steps under one heading (no heading to cut the file at). */
export function manySteps(steps = 20_000): string {
  const parts = ['# Many steps\n\n'];
  for (let i = 0; i < steps; i++) parts.push(`Step ${i}.\n\n\`\`\`bash\necho ${i}\n\`\`\`\n\n`);
  return parts.join('');
}

/** `steps` task-list items under one heading, as one list. */
export function manyTasks(steps = 20_000): string {
  const parts = ['# Many tasks\n\n'];
  for (let i = 0; i < steps; i++) parts.push(`- [ ] task ${i}\n`);
  return parts.join('');
}

/** A list nested `depth` levels deep, one item per line, each indented under the last. */
export function nestedList(depth = 1000): string {
  const lines = ['# Nested'];
  for (let i = 0; i < depth; i++) lines.push(`${'  '.repeat(i)}- [ ] level ${i}`);
  return `${lines.join('\n')}\n`;
}

/** `depth` list markers on one line (`- - - - … x`), repeated on `lines` lines. */
export function nestedListOneLine(depth = 1000, lines = 1): string {
  return `# Nested\n\n${Array.from({ length: lines }, () => `${'- '.repeat(depth)}x`).join('\n\n')}\n`;
}

/** Block quotes and lists nested in turn, `> - > - … x`, `depth` pairs deep, on `lines` lines. */
export function quoteListMix(depth = 1000, lines = 1): string {
  return `# Mixed\n\n${Array.from({ length: lines }, () => `${'> - '.repeat(depth)}x`).join('\n')}\n`;
}

/** Lines of `width` `[` each (unclosed link openers), `lines` of them. */
export function bracketLines(width = 100_000, lines = 30): string {
  return `# Brackets\n\n${Array.from({ length: lines }, () => '['.repeat(width)).join('\n')}\n`;
}

/** One paragraph of `width` `[` and `](` pairs: link openers each waiting for a close. */
export function bracketParens(width = 100_000, lines = 30): string {
  return `# Brackets\n\n${Array.from({ length: lines }, () => '[a]('.repeat(width / 4)).join('\n')}\n`;
}

/** Emphasis openers with no closer: `*a` repeated. */
export function emphasisRun(width = 100_000, lines = 30): string {
  return `# Emphasis\n\n${Array.from({ length: lines }, () => '*a _b '.repeat(width / 6)).join('\n')}\n`;
}

/** Backtick runs of rising length, none closed. */
export function backtickRuns(count = 2_000): string {
  return `# Ticks\n\n${Array.from({ length: count }, (_, i) => `${'`'.repeat(i + 1)}a`).join(' ')}\n`;
}

/** Backtick runs of rising length, none closed, one per line of one paragraph, up to `chars`. */
export function backtickParagraph(chars = NEAR_LIMIT): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 1; size < chars; i++) {
    const line = `${'`'.repeat(Math.min(i, 9_000))}a`;
    lines.push(line);
    size += line.length + 1;
  }
  return `# Ticks\n\n${lines.join('\n')}\n`;
}

/** One paragraph of lines just under the line limit, each of unclosed `[`. */
export function bracketParagraph(chars = NEAR_LIMIT): string {
  return `# Brackets\n\n${Array.from({ length: Math.ceil(chars / 10_000) }, () => '['.repeat(9_999)).join('\n')}\n`;
}

/** Check blocks whose one line is 100,000 spaces between a value and a `: `: YAML refuses each, and its advice reads the line (once quadratic there). */
export function checkSpaceLines(width = 100_000, blocks = 20): string {
  const block = `Check.\n\n\`\`\`check\nrun: a${' '.repeat(width)}b: c\n\`\`\`\n`;
  return `# Checks\n\n${Array.from({ length: blocks }, () => block).join('\n')}`;
}

export const HOSTILE_MARKDOWN: Array<[string, () => string]> = [
  ['plain runbook 3.9 MB', () => plainRunbook()],
  ['prose 3.9 MB', () => plainProse()],
  ['20,000 steps under one heading', () => manySteps()],
  ['20,000 task items in one list', () => manyTasks()],
  ['list nested 1,000 levels', () => nestedList()],
  ['list markers 1,000 deep on one line', () => nestedListOneLine(1000, 1)],
  ['> - mix 1,000 deep', () => quoteListMix(1000, 1)],
  ['> - mix 1,000 deep, 200 lines', () => quoteListMix(1000, 200)],
  ['lines of 100k [', () => bracketLines()],
  ['lines of [a]( pairs', () => bracketParens()],
  ['unclosed emphasis', () => emphasisRun()],
  ['backtick runs', () => backtickRuns()],
  ['backtick runs, one a line, 3.9 MB', () => backtickParagraph()],
  ['backtick runs, one a line, 32 KB', () => backtickParagraph(32 * 1024)],
  ['[ lines under the line limit, 3.9 MB', () => bracketParagraph()],
  ['[ lines under the line limit, 32 KB', () => bracketParagraph(32 * 1024)],
  ['unclosed emphasis, 32 KB in short lines', () => emphasisRun(32 * 1024, 1).replace(/ /g, '\n')],
  ['check lines of 100k spaces before a ": "', () => checkSpaceLines()],
];
