#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.mjs in turn, each in its own node process (so
// memory figures are its own), in name order. Add a benchmark by adding a *.bench.mjs file.
// `node bench/run.mjs exec ui` runs only files whose names contain one of the words.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.bench.mjs'))
  .filter((name) => filters.length === 0 || filters.some((f) => name.includes(f)))
  .sort();

if (files.length === 0) {
  console.error(`bench: no bench/*.bench.mjs file matches ${filters.join(' ') || '(any)'}`);
  process.exit(2);
}

// Every goal row (bench/lib.mjs `goal`) is also collected here and printed again at the end.
const scratch = mkdtempSync(join(tmpdir(), 'stepgate-bench-results-'));
const results = join(scratch, 'goals.jsonl');
const failed = [];
console.log(`bench: load average ${loadavg().map((n) => n.toFixed(2)).join(' ')} (1, 5, 15 min) at ${new Date().toISOString()}`);
for (const name of files) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  // Under tsx: the in-process benchmarks import the sources (dist/ is one bundle per command).
  const res = spawnSync(process.execPath, ['--import', 'tsx', join(here, name)], {
    stdio: 'inherit',
    cwd: join(here, '..'),
    env: { ...process.env, BENCH_RESULTS: results },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (res.status !== 0) {
    failed.push(name);
    console.log(`=== ${name} FAILED (${res.signal ?? `exit ${res.status}`}) after ${seconds}s ===`);
  } else {
    console.log(`=== ${name} done in ${seconds}s ===`);
  }
}
let rows = [];
try {
  rows = readFileSync(results, 'utf8').trim().split('\n').filter(Boolean).map((line) => JSON.parse(line));
} catch {
  // No goal rows (only benchmarks without goals ran).
}
rmSync(scratch, { recursive: true, force: true });
if (rows.length > 0) {
  console.log(`\n=== goals (load average now ${loadavg().map((n) => n.toFixed(2)).join(' ')}) ===`);
  console.log('| what | stepgate | baseline | ratio | goal | met | load |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.what} | ${r.ours} | ${r.baseline} | ${r.ratio} | ${r.target} | ${r.met ? 'yes' : 'NO'} | ${r.load} |`);
}
if (failed.length > 0) {
  console.error(`\nbench: ${failed.length} of ${files.length} failed: ${failed.join(', ')}`);
  process.exit(1);
}
