/**
 * The shipped omneuro runbooks, walked for real on a stand-in omneuro host: a throwaway user
 * plays `ubuntu`, with a git checkout that pulls from a bare origin, two Node services built
 * with npm and answering on the real ports (8081, 8092), and a small stand-in for PM2 (the one
 * fake: the process manager). The runbooks are used verbatim: their `cwd: ~/omneuro` is the
 * throwaway user's checkout, since `~` is the run-as user's home; the user comes from `--as`,
 * as an operator would override it.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import xterm from '@xterm/headless';
import { execa } from 'execa';
import pty from 'node-pty';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../helpers/test-users.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const PORTS = { 'brain-api': 8081, 'tech-gateway': 8092 } as const;

/** A stand-in for the PM2 commands the runbooks use, driven by ./ecosystem.config.cjs. */
const FAKE_PM2 = String.raw`#!/usr/bin/env node
// Test stand-in for PM2: start, stop, restart, delete, status, logs, describe, save.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const state = path.join(os.homedir(), '.pm2-test');
fs.mkdirSync(state, { recursive: true });
const [cmd, ...args] = process.argv.slice(2);
const pidFile = (name) => path.join(state, name + '.pid');
const logFile = (name, kind) => path.join(state, name + '-' + kind + '.log');
function alive(pid) {
  try {
    return !/^\S+ \(.*\) Z/.test(fs.readFileSync('/proc/' + pid + '/stat', 'utf8'));
  } catch {
    return false;
  }
}
function pidOf(name) {
  try {
    const pid = Number(fs.readFileSync(pidFile(name), 'utf8'));
    return alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}
function ecosystem() {
  return require(path.resolve('ecosystem.config.cjs')).apps;
}
function selected() {
  const at = args.indexOf('--only');
  if (at >= 0) return ecosystem().filter((a) => args[at + 1].split(',').includes(a.name));
  const names = args.filter((a) => !a.startsWith('-') && !a.endsWith('.cjs'));
  if (names.length > 0) return names.map((name) => ({ name }));
  return ecosystem();
}
function stop(name) {
  const pid = pidOf(name);
  if (pid === undefined) return console.log('[PM2] ' + name + ' not running');
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 5000;
  while (alive(pid) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  console.log('[PM2] stopped ' + name);
}
function start(app) {
  if (pidOf(app.name) !== undefined) return console.log('[PM2] ' + app.name + ' already online');
  const out = fs.openSync(logFile(app.name, 'out'), 'a');
  const err = fs.openSync(logFile(app.name, 'error'), 'a');
  const child = spawn(process.execPath, [path.resolve(app.script)], {
    detached: true,
    stdio: ['ignore', out, err],
    env: { ...process.env, ...app.env },
  });
  child.unref();
  fs.writeFileSync(pidFile(app.name), String(child.pid));
  console.log('[PM2] started ' + app.name + ' (pid ' + child.pid + ')');
}
function tail(file, lines) {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
const lines = Number(args[args.indexOf('--lines') + 1]) || 15;
switch (cmd) {
  case 'start':
    for (const app of selected()) start(app);
    break;
  case 'stop':
    for (const app of selected()) stop(app.name);
    break;
  case 'restart':
    for (const app of selected()) {
      stop(app.name);
      start(app);
    }
    break;
  case 'delete':
    for (const app of selected()) {
      stop(app.name);
      fs.rmSync(pidFile(app.name), { force: true });
    }
    break;
  case 'save':
    console.log('[PM2] process list saved');
    break;
  case 'status':
  case 'ls':
    for (const app of ecosystem()) console.log(app.name + '  ' + (pidOf(app.name) ? 'online pid ' + pidOf(app.name) : 'stopped'));
    break;
  case 'describe':
    console.log(args[0] + ': ' + (pidOf(args[0]) ? 'online' : 'stopped'));
    break;
  case 'logs':
    if (!args.includes('--err')) console.log(tail(logFile(args[0], 'out'), lines));
    console.log(tail(logFile(args[0], 'error'), lines));
    break;
  default:
    console.error('pm2 stand-in: unknown command ' + cmd);
    process.exit(1);
}
`;

function serverSource(name: string, version: string, routes: Record<string, number>): string {
  return `import { createServer } from 'node:http';
const routes = ${JSON.stringify(routes)};
const server = createServer((req, res) => {
  const status = routes[req.url] ?? 404;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ service: '${name}', version: '${version}', status }) + '\\n');
});
server.listen(Number(process.env.PORT), () => console.log('${name} listening on ' + process.env.PORT));
process.on('SIGINT', () => server.close(() => process.exit(0)));
`;
}

function writeApp(repo: string, name: string, version: string, routes: Record<string, number>): void {
  const dir = join(repo, 'apps', name);
  mkdirSync(join(dir, 'src'), { recursive: true });
  writeFileSync(join(dir, 'src', 'server.mjs'), serverSource(name, version, routes));
  writeFileSync(join(dir, 'build.mjs'), "import { cpSync } from 'node:fs';\ncpSync('src', 'dist', { recursive: true });\n");
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ name, version: '1.0.0', private: true, scripts: { build: 'node build.mjs' } }, null, 2)}\n`);
  writeFileSync(
    join(dir, 'package-lock.json'),
    `${JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name, version: '1.0.0' } } }, null, 2)}\n`,
  );
}

interface Host {
  user: string;
  home: string;
  checkout: string;
  origin: string;
  runbooks: string;
  state: string;
}

let work: string;
const users: string[] = [];

function git(cwd: string, ...args: string[]): string {
  // The checkout belongs to the throwaway user; the test reads it as root.
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'test', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();
}

/**
 * A host whose checkout is at commit A while origin has A then `next` (healthy or broken
 * tech-gateway /api/tech/health). Returns the host and the two commits.
 */
function makeHost(next: 'healthy' | 'broken'): { host: Host; before: string; after: string } {
  const home = mkdtempSync(join(work, 'home-'));
  const user = createUser('sgomn', { home });
  users.push(user);
  mkdirSync(join(home, 'bin'));
  writeFileSync(join(home, 'bin', 'pm2'), FAKE_PM2, { mode: 0o755 });
  writeFileSync(join(home, '.profile'), 'PATH="$HOME/bin:$PATH"\n');
  writeFileSync(join(home, '.npmrc'), 'audit=false\nfund=false\nupdate-notifier=false\n');

  const seed = join(work, `${user}-seed`);
  mkdirSync(join(seed, 'scripts'), { recursive: true });
  git(seed, 'init', '-q', '-b', 'main');
  writeFileSync(join(seed, 'scripts', '04-redeploy.sh'), '#!/bin/bash\necho "the old way"\n', { mode: 0o755 });
  writeFileSync(join(seed, '.gitignore'), 'node_modules/\ndist/\n');
  writeFileSync(
    join(seed, 'ecosystem.config.cjs'),
    `module.exports = { apps: [\n  { name: 'brain-api', script: 'apps/brain-api/dist/server.mjs', env: { PORT: '${PORTS['brain-api']}' } },\n  { name: 'tech-gateway', script: 'apps/tech-gateway/dist/server.mjs', env: { PORT: '${PORTS['tech-gateway']}' } },\n] };\n`,
  );
  writeApp(seed, 'brain-api', '1.0.0', { '/healthz': 200 });
  writeApp(seed, 'tech-gateway', '1.0.0', { '/healthz': 200, '/api/tech/health': 200 });
  git(seed, 'add', '-A');
  git(seed, 'commit', '-qm', 'A: both services');
  const before = git(seed, 'rev-parse', 'HEAD');

  const origin = join(home, 'origin.git');
  git(work, 'clone', '-q', '--bare', seed, origin);
  const checkout = join(home, 'omneuro');
  git(work, 'clone', '-q', origin, checkout);

  writeApp(seed, 'tech-gateway', '1.1.0', { '/healthz': 200, '/api/tech/health': next === 'healthy' ? 200 : 500 });
  git(seed, 'commit', '-qam', next === 'healthy' ? 'B: tech-gateway, still healthy' : 'C: tech-gateway health route broken');
  const after = git(seed, 'rev-parse', 'HEAD');
  git(seed, 'push', '-q', origin, 'main');
  execFileSync('chown', ['-R', `${user}:${user}`, home]);

  const runbooks = join(work, `${user}-runbooks`);
  mkdirSync(runbooks);
  for (const file of ['deploy.md', 'checklists.md', 'recovery.md', 'observability.md', 'ssm.md']) {
    writeFileSync(join(runbooks, file), readFileSync(join(root, 'runbooks', file), 'utf8'));
  }
  // The host runs commit A, as a production host would before a redeploy.
  execFileSync(
    'runuser',
    [
      '-u', user, '--', 'bash', '-lc',
      'cd ~/omneuro && for app in brain-api tech-gateway; do npm --prefix apps/$app ci --silent && npm --prefix apps/$app run build --silent || exit 1; done && pm2 start ecosystem.config.cjs',
    ],
    { stdio: 'pipe', env: { ...process.env, HOME: home } },
  );
  const state = join(work, `${user}-state`);
  return { host: { user, home, checkout, origin, runbooks, state }, before, after };
}

async function deploy(host: Host, extra: string[] = [], runbook = 'deploy.md') {
  return execa(process.execPath, [cli, 'run', join(host.runbooks, runbook), '--yes', '--as', host.user, ...extra], {
    cwd: host.runbooks,
    env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1' },
    reject: false,
    stdin: 'ignore',
    timeout: 240_000,
  });
}

/** The TUI in a real pty at 80x24, rendered by a headless terminal so tests read the screen. */
function openTui(host: Host, file: string) {
  const term = new xterm.Terminal({ cols: 80, rows: 24, allowProposedApi: true });
  const child = pty.spawn(process.execPath, [cli, join(host.runbooks, file), '--as', host.user], {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd: host.runbooks,
    // In place: this test walks the runbooks, not the detachable terminal (test/e2e/detach.test.ts).
    env: { ...process.env, CI: 'false', NO_COLOR: '1', TERM: 'xterm-256color', STEPGATE_STATE_DIR: host.state, STEPGATE_DETACH: '0' } as Record<string, string>,
  });
  child.onData((data) => term.write(data));
  const exited = new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  const screen = (): string[] => {
    const buffer = term.buffer.active;
    return Array.from({ length: 24 }, (_, i) => buffer.getLine(buffer.viewportY + i)?.translateToString(true) ?? '');
  };
  return { screen, press: (keys: string) => child.write(keys), exited, kill: () => child.kill() };
}

/** The key-hint bar: the last line with text (the layout does not always fill the terminal). */
function statusBar(rows: string[]): string {
  return [...rows].reverse().find((row) => row.trim() !== '') ?? '';
}

/** The screen once it has not changed (header clock aside) for 800 ms. */
async function settled(screen: () => string[]): Promise<string[]> {
  let last = '';
  let since = Date.now();
  for (;;) {
    const rows = screen();
    const body = rows.slice(1).join('\n');
    if (body !== last) {
      last = body;
      since = Date.now();
    } else if (Date.now() - since >= 800) {
      return rows;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function status(url: string): Promise<number | 'refused'> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3000) })).status;
  } catch {
    return 'refused';
  }
}

function stopServices(host: Host): void {
  const dir = join(host.home, '.pm2-test');
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.pid'));
  } catch {
    return;
  }
  for (const file of files) {
    try {
      process.kill(Number(readFileSync(join(dir, file), 'utf8')), 'SIGKILL');
    } catch {
      // Already stopped.
    }
  }
}

const hosts: Host[] = [];

const isRoot = process.getuid?.() === 0;
if (!isRoot) {
  process.stderr.write('omneuro-host.test.ts: skipped, it creates throwaway users and needs root (CI runs as root)\n');
}

/** The real ports the omneuro runbooks check; on a machine that already serves them the test cannot run. */
async function busyPorts(): Promise<string[]> {
  const busy: string[] = [];
  for (const [name, port] of Object.entries(PORTS)) {
    const probe = createServer();
    const free = await new Promise<boolean>((resolve) => {
      probe.once('error', () => resolve(false));
      probe.listen(port, () => resolve(true));
    });
    if (free) await new Promise<void>((resolve) => probe.close(() => resolve()));
    else busy.push(`${port} (${name})`);
  }
  return busy;
}
const taken = isRoot ? await busyPorts() : [];
if (taken.length > 0) {
  process.stderr.write(`omneuro-host.test.ts: skipped, port ${taken.join(' and ')} is already in use on this machine and the shipped runbooks check those exact ports\n`);
}
const canRun = isRoot && taken.length === 0;

beforeAll(() => {
  if (!canRun) return;
  work = mkdtempSync(join(tmpdir(), 'stepgate-omneuro-'));
  chmodSync(work, 0o755);
});

afterEach(async () => {
  if (!canRun) return;
  for (const host of hosts.splice(0)) stopServices(host);
  await new Promise((resolve) => setTimeout(resolve, 200));
  for (const user of users.splice(0)) {
    // userdel refuses while a process of the user still runs (a service that is being killed).
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        execFileSync('userdel', [user], { stdio: 'ignore' });
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { mode: 0o755 });
});

describe.skipIf(!canRun)('the omneuro redeploy on a stand-in host', () => {
  it('pulls, builds, restarts, passes the health checks and both checklists; observability runs clean', async () => {
    const { host, before, after } = makeHost('healthy');
    hosts.push(host);
    const result = await deploy(host);
    const why = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.exitCode, why).toBe(0);
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(after);
    expect(readFileSync(join(host.home, '.omneuro-previous-commit'), 'utf8').trim()).toBe(before);
    expect(result.stdout).toMatch(/pre-service-status[\s\S]*tech-gateway {2}online/);
    expect(result.stdout).toContain('[PM2] stopped tech-gateway');
    expect(result.stdout).toMatch(/\[PM2\] started tech-gateway \(pid \d+\)/);
    for (const url of ['http://localhost:8092/healthz', 'http://localhost:8092/api/tech/health', 'http://localhost:8081/healthz']) {
      expect(await status(url), url).toBe(200);
    }
    // What to look at afterwards: every step of observability.md works on the deployed host.
    const look = await deploy(host, [], 'observability.md');
    expect(look.exitCode, `stdout:\n${look.stdout}\nstderr:\n${look.stderr}`).toBe(0);
    expect(look.stdout).toMatch(/tech-gateway: \d+/);
  }, 300_000);

  it('blocks on a broken health route and walks the failing-health recovery with --recover', async () => {
    const { host, after } = makeHost('broken');
    hosts.push(host);
    const result = await deploy(host, ['--recover']);
    const why = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.exitCode, why).toBe(1);
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(after);
    // The recovery section ran (status, logs, permissions, restart), then the check failed again.
    expect(result.stdout, why).toContain('recovery.md#health-check-failing-after-deploy');
    expect(result.stdout, why).toMatch(/health-restart[\s\S]*\[PM2\] started tech-gateway/);
    expect(result.stdout, why).toMatch(/BLOCKED at step tech-gateway-health/);
    expect(result.stdout, why).toContain('recovery.md#roll-back-to-the-previous-commit');
    expect(await status('http://localhost:8092/api/tech/health')).toBe(500);
    expect(await status('http://localhost:8081/healthz')).toBe(200);
  }, 300_000);

  it('in the TUI, rolls back to the previous commit from the health gate', async () => {
    const { host, before, after } = makeHost('broken');
    hosts.push(host);
    const tui = openTui(host, 'deploy.md');
    const seen: string[] = [];
    try {
      // Walk it as an operator would: tick manual items, run the rest, and at the first gate
      // pick "roll back" by its number in the menu.
      let choseRollback = false;
      const deadline = Date.now() + 240_000;
      for (;;) {
        if (Date.now() > deadline) throw new Error(`the TUI got stuck:\n${tui.screen().join('\n')}`);
        // Act only on a settled screen: between two steps of "run all" the bar shows READY for
        // a moment, and a key pressed then would land on the next running step.
        const rows = await settled(tui.screen);
        const bar = statusBar(rows);
        if (bar.startsWith('ENDED')) break;
        let key: string | undefined;
        if (bar.startsWith('MANUAL')) key = ' ';
        else if (bar.startsWith('READY')) key = 'a';
        else if (bar.startsWith('BLOCKED') && !choseRollback) {
          const line = rows.find((row) => row.includes('recover: recovery.md#roll-back-to-the-previous-commit'));
          const number = line && /(\d)\. /.exec(line)?.[1];
          if (number) {
            seen.push(rows.join('\n'));
            key = number;
            choseRollback = true;
          }
        } else if (bar.startsWith('BLOCKED')) {
          throw new Error(`blocked again during the roll back:\n${rows.join('\n')}`);
        }
        if (key === undefined) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        tui.press(key);
        // Wait for the key to take effect before reading the bar again.
        const pressedAt = Date.now();
        while (statusBar(tui.screen()) === bar && Date.now() - pressedAt < 10_000) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      }
      const end = tui.screen().join('\n');
      expect(choseRollback, end).toBe(true);
      expect(seen[0]).toMatch(/BLOCKED at tech-gateway-health/);
      expect(end).toMatch(/rolled-back/);
      expect(end).toMatch(/depth 1/);
      tui.press('q');
      await tui.exited;
    } finally {
      tui.kill();
    }
    // The checkout is back on the commit recorded before the pull, rebuilt and serving.
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(before);
    expect(before).not.toBe(after);
    expect(await status('http://localhost:8092/api/tech/health')).toBe(200);
    const journal = readdirSync(join(host.state, 'sessions')).find((f) => f.endsWith('.jsonl')) ?? '';
    const decisions = readFileSync(join(host.state, 'sessions', journal), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; decision?: { kind: string; path?: { label: string } } })
      .filter((e) => e.type === 'decision' && e.decision?.kind === 'recover');
    expect(decisions.map((e) => e.decision?.path?.label)).toEqual([expect.stringMatching(/roll-back-to-the-previous-commit$/)]);
  }, 300_000);
});
