// The self-contained package: its size, and how fast `plan` starts from it, against `node -e 0`
// and against dist/ run by the same node, all in this run (the machine is shared and noisy:
// read the ratios and medians). Builds the tarball into a temporary directory with
// scripts/package.mjs, unpacks it, and times whole processes, interleaved, median of 11.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'stepgate-bench-package-'));
const ROUNDS = 11;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

const load = () => loadavg().map((x) => x.toFixed(1)).join(' / ');

try {
  const started = Date.now();
  execFileSync(process.execPath, [join(root, 'scripts', 'package.mjs'), '--out', join(work, 'out')], { stdio: 'ignore' });
  const buildMs = Date.now() - started;
  const tarball = readdirSync(join(work, 'out')).find((f) => f.endsWith('.tar.gz'));
  if (!tarball) throw new Error('package: no tarball was written');
  const tarBytes = statSync(join(work, 'out', tarball)).size;
  execFileSync('tar', ['-xzf', join(work, 'out', tarball), '-C', work]);
  const host = join(work, tarball.replace(/\.tar\.gz$/, ''));
  const du = (path) => Number(execFileSync('du', ['-sb', path], { encoding: 'utf8' }).split('\t')[0]);
  const mb = (bytes) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  console.log(`package: tarball ${mb(tarBytes)} (gzip), unpacked ${mb(du(host))}, of which runtime/node ${mb(statSync(join(host, 'runtime', 'node')).size)}; built in ${(buildMs / 1000).toFixed(1)} s`);

  const runbook = join(root, 'runbooks', 'deploy.md');
  const cases = {
    'node -e 0': [process.execPath, ['-e', '0']],
    'packaged ./stepgate --version': [join(host, 'stepgate'), ['--version']],
    'packaged ./stepgate plan runbooks/deploy.md': [join(host, 'stepgate'), ['plan', runbook]],
    'node dist/cli.js plan runbooks/deploy.md': [process.execPath, [join(root, 'dist', 'cli.js'), 'plan', runbook]],
  };
  const times = Object.fromEntries(Object.keys(cases).map((name) => [name, []]));
  const loadBefore = load();
  for (let round = 0; round < ROUNDS; round++) {
    for (const [name, [file, args]] of Object.entries(cases)) {
      const t0 = process.hrtime.bigint();
      execFileSync(file, args, { stdio: 'ignore', env: { ...process.env, NO_COLOR: '1' } });
      times[name].push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
  }
  const base = median(times['node -e 0']);
  for (const [name, values] of Object.entries(times)) {
    const m = median(values);
    console.log(`package: ${name.padEnd(44)} median ${m.toFixed(0).padStart(5)} ms, min ${Math.min(...values).toFixed(0).padStart(5)} ms (${(m / base).toFixed(2)}x node -e 0)`);
  }
  console.log(`package: load average (1/5/15 min) ${loadBefore} before, ${load()} after; median of ${ROUNDS}, interleaved`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
