// Helpers shared by the benchmarks: whole-process timing (wall, CPU, peak RSS), medians, the
// load average, and the one line format every goal of docs/performance.md is printed in.
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The CLI under test: dist/ here, or another build's (STEPGATE_BENCH_CLI, for before/after runs). */
export const cli = process.env.STEPGATE_BENCH_CLI ?? join(root, 'dist', 'cli.js');

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export const ms = (n) => `${Math.round(n)} ms`;
export const mb = (n) => `${Math.round(n)} MB`;

/** The 1-minute load average, as `uptime` says it. */
export function load() {
  return loadavg()[0].toFixed(2);
}

const GNU_TIME = '/usr/bin/time';
const hasGnuTime = spawnSync(GNU_TIME, ['-f', '%e', 'true'], { stdio: 'ignore' }).status === 0;

/**
 * Runs a command to its end and measures it: wall time, CPU (user + system of the whole process
 * tree) and peak resident memory of its largest process (through GNU time; without it, wall
 * time only). Throws when it fails, unless `allowFail`.
 */
export function measure(cmd, args, { cwd, env, stdout = 'ignore', allowFail = false } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-bench-time-'));
  const report = join(dir, 'time');
  const [file, argv] = hasGnuTime ? [GNU_TIME, ['-o', report, '-f', '%U %S %M', cmd, ...args]] : [cmd, args];
  const started = performance.now();
  const res = spawnSync(file, argv, { cwd, env, stdio: ['ignore', stdout, 'pipe'], encoding: 'utf8', maxBuffer: 64 << 20 });
  const wallMs = performance.now() - started;
  let cpuMs = NaN;
  let rssMb = NaN;
  if (hasGnuTime) {
    const last = readFileSync(report, 'utf8').trim().split('\n').at(-1) ?? '';
    const [user, sys, rssKb] = last.split(' ').map(Number);
    cpuMs = (user + sys) * 1000;
    rssMb = rssKb / 1024;
  }
  rmSync(dir, { recursive: true, force: true });
  if (res.status !== 0 && !allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${res.status}: ${res.stderr}`);
  return { wallMs, cpuMs, rssMb, status: res.status, stderr: res.stderr, stdout: res.stdout ?? '' };
}

/** `runs` measurements of `fn`, and their medians. */
export function repeat(runs, fn) {
  const all = [];
  for (let i = 0; i < runs; i++) all.push(fn(i));
  const med = (key) => median(all.map((m) => m[key]));
  return { all, wallMs: med('wallMs'), cpuMs: med('cpuMs'), rssMb: med('rssMb'), maxRssMb: Math.max(...all.map((m) => m.rssMb)) };
}

/**
 * One row of the performance goals (issue 14's table): what was measured, against what, the
 * ratio, the goal and whether this run met it. Printed in one format and, when BENCH_RESULTS
 * names a file, appended to it as JSON (`bench/run.mjs` prints them all at the end).
 */
export function goal({ what, ours, baseline, ratio, target, met }) {
  const line = `GOAL ${met ? 'met ' : 'MISSED'} | ${what} | ${ours} | ${baseline} | ${ratio} | goal ${target} | load ${load()}`;
  console.log(line);
  if (process.env.BENCH_RESULTS) appendFileSync(process.env.BENCH_RESULTS, `${JSON.stringify({ what, ours, baseline, ratio, target, met, load: load() })}\n`);
}

/** A throwaway login user with default dotfiles (root only); `remove()` deletes it and its home. */
export function throwawayUser(prefix = 'sgbench') {
  if (process.getuid?.() !== 0) return undefined;
  const name = `${prefix}${Math.random().toString(16).slice(2, 8)}`;
  const add = spawnSync('useradd', ['-m', '-s', '/bin/bash', name], { encoding: 'utf8' });
  if (add.status !== 0) throw new Error(`useradd ${name}: ${add.stderr}`);
  const home = spawnSync('getent', ['passwd', name], { encoding: 'utf8' }).stdout.split(':')[5];
  return {
    name,
    home,
    /** argv running `argv` as the user with a clean environment (what a login would give). */
    as: (argv) => ['runuser', ['-u', name, '--', 'env', '-i', `HOME=${home}`, `USER=${name}`, `LOGNAME=${name}`, 'SHELL=/bin/bash', `PATH=${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`, 'TERM=xterm-256color', 'LANG=C.UTF-8', ...argv]],
    remove: () => spawnSync('userdel', ['-r', '-f', name], { stdio: 'ignore' }),
  };
}

/** A realistic runbook: sections of prose, lists, commands with attributes, checks, task items. */
export function bigRunbook(targetLines) {
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
