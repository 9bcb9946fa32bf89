// Parse + lint a 10,000-line runbook in-process, against a bare CommonMark parse, and parsing in
// pieces against in one go as the file grows (the machine is shared and noisy: ratios, medians).
// The whole-process figures (`stepgate plan`, `lint`) are in cli.bench.mjs.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// In-process figures from the sources (bench/run.mjs runs this file under tsx); dist/ is bundled.
const { lintRunbook, planRunbook } = await import(join(root, 'src/runbooks/index.ts'));
const { parseRunbook } = await import(join(root, 'src/runbooks/parse.ts'));
const { fromMarkdown } = await import('mdast-util-from-markdown');
const { parseMarkdown } = await import(join(root, 'src/runbooks/markdown.ts'));
const { bigRunbook } = await import('./lib.mjs');

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn, runs) {
  const out = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    out.push(performance.now() - t);
  }
  return median(out);
}

const text = bigRunbook(10_000);
const lines = text.split('\n').length;
parseRunbook(text, 'warm.md');
const parseMs = time(() => parseRunbook(text, 'big.md'), 5);
const runbook = parseRunbook(text, 'big.md');
const lintMs = time(() => lintRunbook(runbook, { load: () => undefined, env: {} }), 5);
const planMs = time(() => planRunbook(runbook, () => undefined), 5);
const bareMs = time(() => fromMarkdown(text), 5);
console.log(`parse: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB, ${runbook.steps.length} steps`);
console.log(`parse:   parse ${parseMs.toFixed(0)} ms, lint ${lintMs.toFixed(0)} ms, plan ${planMs.toFixed(0)} ms (median of 5)`);
console.log(`parse:   parse+lint ${(parseMs + lintMs).toFixed(0)} ms (goal: well under 1000 ms)`);
console.log(`parse:   baseline: bare CommonMark parse of the whole text in one go (mdast-util-from-markdown, no extensions) ${bareMs.toFixed(0)} ms; stepgate parse+lint = ${((parseMs + lintMs) / bareMs).toFixed(2)}x`);

// The same markdown parse in pieces (what stepgate does) against in one go, as the file grows:
// one go grows with the square of the length (micromark copies its event list at every list
// item's end), pieces grow linearly.
for (const size of [2_500, 5_000, 10_000, 20_000]) {
  const t = bigRunbook(size);
  parseMarkdown(t);
  const pieces = time(() => parseMarkdown(t), 3);
  const once = time(() => parseMarkdown(t, Number.POSITIVE_INFINITY), 3);
  console.log(`scale:   ${String(size).padStart(6)} lines: in pieces ${pieces.toFixed(0)} ms, in one go ${once.toFixed(0)} ms (${(pieces / once).toFixed(2)}x) (median of 3)`);
}
