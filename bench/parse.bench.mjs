// Parse + lint a 10,000-line runbook, and the start-up cost of `stepgate plan` against a bare
// `node -e 0`, both measured in this run (the machine is shared and noisy: ratios, medians).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { parseRunbook, lintRunbook, planRunbook } = await import(join(root, 'dist/runbooks/index.js'));
const { fromMarkdown } = await import('mdast-util-from-markdown');
const { parseMarkdown } = await import(join(root, 'dist/runbooks/markdown.js'));

/** A realistic runbook: sections of prose, lists, commands with attributes, checks, task items. */
function bigRunbook(targetLines) {
  const parts = ['---', 'title: Big', 'user: ubuntu', 'env: {PORT: "8092"}', '---', '# Big runbook', ''];
  for (let i = 0; parts.length < targetLines; i++) {
    parts.push(
      `## Section ${i}`, '',
      `Restart service ${i} and check it; see [recovery](#section-${i}) if it fails.`, '',
      `- [ ] Announce step ${i}`, `  - [ ] Ticket linked`, '',
      `\`\`\`bash {name=restart-${i} timeout=2m}`, `systemctl restart svc-${i}`, `journalctl -u svc-${i} -n 20`, '```', '',
      `Health of ${i}.`, '',
      '```check', `- http: http://localhost:\${PORT}/healthz/${i}`, '  expect: 2xx', '- tcp: localhost:5432', '```', '',
      '| key | value |', '|---|---|', `| id | ${i} |`, '',
    );
  }
  return parts.slice(0, targetLines).join('\n') + '\n```\n';
}

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

const dir = mkdtempSync(join(tmpdir(), 'stepgate-bench-'));
const guide = join(dir, 'deploy.md');
writeFileSync(guide, bigRunbook(120));
const run = (args) => () => {
  const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
};
run([join(root, 'dist/cli.js'), 'plan', guide])();
const nodeMs = time(run(['-e', '0']), 11);
const planCliMs = time(run([join(root, 'dist/cli.js'), 'plan', guide]), 11);
const lintCliMs = time(run([join(root, 'dist/cli.js'), 'lint', guide]), 11);
const big = join(dir, 'big.md');
writeFileSync(big, text);
const lintBigMs = time(() => {
  // lint exits 0 here: the generated runbook is clean
  run([join(root, 'dist/cli.js'), 'lint', big])();
}, 5);
console.log(`startup: node -e 0 ${nodeMs.toFixed(0)} ms; stepgate plan ${planCliMs.toFixed(0)} ms (${(planCliMs / nodeMs).toFixed(2)}x); stepgate lint ${lintCliMs.toFixed(0)} ms (${(lintCliMs / nodeMs).toFixed(2)}x) (median of 11)`);
console.log(`cli:     stepgate lint on the ${lines}-line runbook, whole process, cold: ${lintBigMs.toFixed(0)} ms = node -e 0 + ${(lintBigMs - nodeMs).toFixed(0)} ms (median of 5)`);

// The tarball operators install (`npm run package`): one esbuild bundle instead of ~150 ESM
// files to resolve and compile, so start-up is mostly node's own.
spawnSync(process.execPath, [join(root, 'scripts/package.mjs'), '--out', join(dir, 'pkg'), '--keep-stage'], { stdio: 'ignore' });
const stage = readdirSync(join(dir, 'pkg')).find((name) => !name.endsWith('.tar.gz'));
if (stage) {
  const bundled = join(dir, 'pkg', stage, 'dist', 'cli.js');
  run([bundled, 'plan', guide])();
  const nodeAgain = time(run(['-e', '0']), 11);
  const planBundleMs = time(run([bundled, 'plan', guide]), 11);
  const lintBundleMs = time(run([bundled, 'lint', guide]), 11);
  const lintBigBundleMs = time(run([bundled, 'lint', big]), 5);
  console.log(`package: node -e 0 ${nodeAgain.toFixed(0)} ms; bundled plan ${planBundleMs.toFixed(0)} ms (${(planBundleMs / nodeAgain).toFixed(2)}x); bundled lint ${lintBundleMs.toFixed(0)} ms (${(lintBundleMs / nodeAgain).toFixed(2)}x) (median of 11); bundled lint of the ${lines}-line runbook ${lintBigBundleMs.toFixed(0)} ms (median of 5)`);
} else console.log('package: npm run package failed; no bundled figures');
rmSync(dir, { recursive: true, force: true });
