// Execution layer: per-step overhead of the persistent shell against a fresh pty per command
// (`script -qc true /dev/null`), and a 2,000,000-line step against the same command under
// `script` (a raw pty), with peak RSS. Baselines are measured in the same run: the machine is
// shared and noisy, so compare ratios and medians, not absolute numbers.
import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { openShell } = await import(join(root, 'dist/exec/shell.js'));
const LINES = 2_000_000;

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Child mode: one 2M-line step in a fresh session; prints {ms, rssMb}. */
async function linesChild() {
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-bench-'));
  const shell = await openShell({ cwd: dir });
  // As in a session: every output event is also written to the step's transcript file.
  const transcript = createWriteStream(join(dir, 'transcript.log'), { mode: 0o600 });
  shell.onEvent((e) => {
    if (e.type === 'output') transcript.write(e.data);
  });
  const started = performance.now();
  const res = await shell.run({ script: `seq ${LINES}` });
  const ms = performance.now() - started;
  const last = shell.screen().lines.at(-1);
  await shell.close();
  await new Promise((done) => transcript.end(done));
  rmSync(dir, { recursive: true, force: true });
  if (res.exitCode !== 0 || last !== String(LINES)) throw new Error(`bad run: ${JSON.stringify(res)} last=${last}`);
  console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));
}

if (process.argv[2] === '--lines-child') {
  await linesChild();
  process.exit(0);
}

function timeSync(cmd, args) {
  const started = performance.now();
  const res = spawnSync(cmd, args, { stdio: 'ignore' });
  if (res.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed`);
  return performance.now() - started;
}

function linesInShell() {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--lines-child'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolvePromise(JSON.parse(out.trim())) : reject(new Error(`child exit ${code}`))));
  });
}

// 1. Per-step overhead.
const baseline = [];
for (let i = 0; i < 20; i++) baseline.push(timeSync('script', ['-qc', 'true', '/dev/null']));
const shell = await openShell({ cwd: tmpdir() });
for (let i = 0; i < 10; i++) await shell.run({ script: 'true' });
const perStep = [];
const rounds = [];
for (let round = 0; round < 3; round++) {
  const started = performance.now();
  for (let i = 0; i < 100; i++) {
    const t = performance.now();
    const res = await shell.run({ script: 'true' });
    if (res.exitCode !== 0) throw new Error('trivial step failed');
    perStep.push(performance.now() - t);
  }
  rounds.push((performance.now() - started) / 100);
}
await shell.close();
console.log('## Execution (bench/exec.bench.mjs)');
console.log(
  `100 trivial steps in one session: ${median(rounds).toFixed(2)} ms/step (median of 3 rounds; per-step median ${median(perStep).toFixed(2)} ms) ` +
    `vs a fresh pty per command (script -qc true /dev/null) ${median(baseline).toFixed(1)} ms (median of 20) -- goal <= 3 ms`,
);

// 2. A flood of 2,000,000 lines, alternating with the raw-pty baseline.
const raw = [];
const ours = [];
for (let i = 0; i < 3; i++) {
  raw.push(timeSync('script', ['-qc', `seq ${LINES}`, '/dev/null']));
  ours.push(await linesInShell());
}
const rawMs = median(raw);
const oursMs = median(ours.map((o) => o.ms));
const rss = Math.max(...ours.map((o) => o.rssMb));
console.log(
  `seq ${LINES} as a step (screen + transcript): ${oursMs.toFixed(0)} ms vs script -qc 'seq ${LINES}' /dev/null ${rawMs.toFixed(0)} ms ` +
    `= ${(oursMs / rawMs).toFixed(2)}x (median of 3; goal <= 1.5x); peak RSS ${rss.toFixed(0)} MB (goal < 150 MB)`,
);
