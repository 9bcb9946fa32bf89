#!/usr/bin/env node
// `npm run bench`: runs every bench/*.bench.mjs in turn, each in its own node process (so
// memory figures are its own), in name order. Add a benchmark by adding a *.bench.mjs file.
// `node bench/run.mjs exec ui` runs only files whose names contain one of the words.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
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

const failed = [];
for (const name of files) {
  console.log(`\n=== ${name} ===`);
  const started = Date.now();
  const res = spawnSync(process.execPath, [join(here, name)], { stdio: 'inherit', cwd: join(here, '..') });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (res.status !== 0) {
    failed.push(name);
    console.log(`=== ${name} FAILED (${res.signal ?? `exit ${res.status}`}) after ${seconds}s ===`);
  } else {
    console.log(`=== ${name} done in ${seconds}s ===`);
  }
}
if (failed.length > 0) {
  console.error(`\nbench: ${failed.length} of ${files.length} failed: ${failed.join(', ')}`);
  process.exit(1);
}
