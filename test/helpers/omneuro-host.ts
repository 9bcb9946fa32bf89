/**
 * A host built the way the operations guide describes, for the tests that walk the shipped
 * omneuro runbooks on it (plain mode, the engine, the TUI, the SSM variant): a throwaway user
 * plays `ubuntu`, its `~/omneuro` is cloned from a bare origin, the scripts are committed
 * without their executable bit, and the repository's own `scripts/04-redeploy.sh` (pull,
 * chmod +x, stop, start with nohup, a health check with retries) runs two small HTTP services
 * on ports the test picked, given to the runbooks through their vars. Root only.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa, type Result } from 'execa';
import { freePort } from './free-port.js';
import { CLI, ROOT } from './paths.js';
import { createUser, removeUser } from './test-users.js';

let work = '';
const hosts: Host[] = [];

/** The directory the hosts' seeds, runbooks and state live in (one per test process). */
export function workDir(): string {
  if (work === '') {
    work = mkdtempSync(join(tmpdir(), 'stepgate-omneuro-'));
    chmodSync(work, 0o755);
  }
  return work;
}

export type Next = 'healthy' | 'broken-health' | 'broken-start' | 'broken-chmod';

const SERVER = `const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const [name, port] = process.argv.slice(2);
const routes = JSON.parse(fs.readFileSync(path.join(__dirname, name + '.json'), 'utf8'));
if (routes.crash) { console.error(name + ': ' + routes.crash); process.exit(1); }
http.createServer((req, res) => {
  const r = routes[req.url];
  if (!r) return res.writeHead(404).end();
  res.writeHead(r.status, { 'content-type': 'application/json' }).end(JSON.stringify(r.body));
}).listen(Number(port), '127.0.0.1', () => console.log(name + ' listening on ' + port));
`;

/** The guide's canonical script, as a repository would have it (committed without +x). */
const REDEPLOY = `#!/bin/bash
# The canonical redeploy: pull, chmod +x, stop, start, health check with retries.
set -e
cd "$(dirname "$0")/.."
git pull --ff-only
chmod +x scripts/*.sh
mkdir -p run
for name in brain-api tech-gateway; do
  if [ -f "run/$name.pid" ]; then
    pid=$(cat "run/$name.pid")
    kill "$pid" 2>/dev/null || true
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
done
nohup ${process.execPath} apps/server.js brain-api "$BRAIN_API_PORT" > run/brain-api.log 2>&1 &
echo $! > run/brain-api.pid
nohup ${process.execPath} apps/server.js tech-gateway "$TECH_GATEWAY_PORT" > run/tech-gateway.log 2>&1 &
echo $! > run/tech-gateway.pid
for i in 1 2 3 4 5; do
  if curl -fsS "http://localhost:$TECH_GATEWAY_PORT/healthz"; then echo; echo OK; exit 0; fi
  echo "Retry $i failed, sleeping..."
  sleep "0.$i"
done
exit 1
`;

export interface Host {
  user: string;
  home: string;
  checkout: string;
  ports: { brain: number; gateway: number };
  runbooks: string;
  state: string;
  v1: string;
  v2: string;
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' },
  }).trim();
}


function routes(version: string, gateway: 'ok' | 'failing' | 'crash'): { brain: object; gateway: object } {
  const ok = { status: 200, body: { status: 'ok', version } };
  return {
    brain: { '/healthz': ok },
    gateway:
      gateway === 'crash'
        ? { crash: 'cannot read config' }
        : { '/healthz': ok, '/api/tech/health': gateway === 'ok' ? ok : { status: 503, body: { status: 'failing', version, reason: 'database unreachable' } } },
  };
}

function writeRelease(repo: string, version: string, gateway: 'ok' | 'failing' | 'crash'): void {
  const r = routes(version, gateway);
  writeFileSync(join(repo, 'apps', 'brain-api.json'), `${JSON.stringify(r.brain)}\n`);
  writeFileSync(join(repo, 'apps', 'tech-gateway.json'), `${JSON.stringify(r.gateway)}\n`);
}

/** A host serving v1 while origin has v1 then a v2 of the kind asked for. */
export async function makeHost(next: Next): Promise<Host> {
  const work = workDir();
  const user = createUser('sgomn');
  const home = `/home/${user}`;
  const seed = join(work, `${user}-seed`);
  mkdirSync(join(seed, 'scripts'), { recursive: true });
  mkdirSync(join(seed, 'apps'));
  git(seed, 'init', '-q', '-b', 'main');
  // Committed without the executable bit, as the guide warns.
  writeFileSync(join(seed, 'scripts', '04-redeploy.sh'), REDEPLOY, { mode: 0o644 });
  writeFileSync(join(seed, 'apps', 'server.js'), SERVER);
  writeFileSync(join(seed, '.gitignore'), 'run/\n');
  writeRelease(seed, '1.0.0', 'ok');
  git(seed, 'add', '-A');
  git(seed, 'commit', '-qm', 'v1');
  const v1 = git(seed, 'rev-parse', 'HEAD');
  const origin = join(home, 'origin.git');
  git(work, 'clone', '-q', '--bare', seed, origin);
  const checkout = join(home, 'omneuro');
  git(work, 'clone', '-q', origin, checkout);
  execFileSync('chown', ['-R', `${user}:${user}`, home]);
  const ports = { brain: await freePort(), gateway: await freePort() };
  const runbooks = join(work, `${user}-runbooks`);
  mkdirSync(runbooks);
  for (const file of ['deploy.md', 'checklists.md', 'recovery.md', 'observability.md', 'ssm.md']) {
    // Verbatim but for the deploy lock's name: locks are host-wide on purpose, and another test
    // run on this machine (a second clone's suite) walking the same runbook would hold it.
    const text = readFileSync(join(ROOT, 'runbooks', file), 'utf8');
    writeFileSync(join(runbooks, file), text.replace(/^lock: omneuro-deploy$/m, `lock: omneuro-deploy-${user}`));
  }
  const host: Host = { user, home, checkout, ports, runbooks, state: join(work, `${user}-state`), v1, v2: '' };
  hosts.push(host);
  // The host serves v1, started by its own script (which needs +x once, as on a real host).
  execFileSync('runuser', ['-u', user, '--', 'bash', '-c', 'cd ~/omneuro && chmod +x scripts/*.sh && ./scripts/04-redeploy.sh'], {
    stdio: 'pipe',
    env: { ...process.env, HOME: home, BRAIN_API_PORT: String(ports.brain), TECH_GATEWAY_PORT: String(ports.gateway) },
  });
  // Then the change to deploy reaches origin.
  writeRelease(seed, '2.0.0', next === 'broken-health' ? 'failing' : next === 'broken-start' ? 'crash' : 'ok');
  if (next === 'broken-chmod') symlinkSync('missing-target', join(seed, 'scripts', 'zz-helper.sh'));
  git(seed, 'add', '-A');
  git(seed, 'commit', '-qm', `v2 (${next})`);
  host.v2 = git(seed, 'rev-parse', 'HEAD');
  // Pushed as the owner of the bare repository would (root's git refuses a foreign one).
  execFileSync('chown', ['-R', 'root:root', origin]);
  git(seed, 'push', '-q', origin, 'main');
  execFileSync('chown', ['-R', `${user}:${user}`, origin]);
  return host;
}

export function varFlags(host: Host): string[] {
  return ['--var', `BRAIN_API_PORT=${host.ports.brain}`, '--var', `TECH_GATEWAY_PORT=${host.ports.gateway}`];
}

/**
 * The shipped deploy in plain mode, `--yes`, run as the host's user. `login` starts stepgate
 * itself as that login user (runuser, as an SSM session's ssm-user), with exactly `env`.
 */
export async function runShippedDeploy(host: Host, start: { env: NodeJS.ProcessEnv; login?: string }): Promise<{ run: Result; why: string }> {
  const args = [CLI, 'run', join(host.runbooks, 'deploy.md'), '--yes', '--as', host.user, ...varFlags(host)];
  const [file, argv] = start.login === undefined ? [process.execPath, args] : ['runuser', ['-u', start.login, '--', process.execPath, ...args]];
  const run = await execa(file, argv, { cwd: host.runbooks, env: start.env, extendEnv: false, reject: false, stdin: 'ignore', timeout: 240_000 });
  return { run, why: `stdout:\n${String(run.stdout)}\nstderr:\n${String(run.stderr)}` };
}

/**
 * One GET to a host's service, `refused` when it does not answer. Every caller expects an
 * answer from a live service: 15 s, as the gateway proxies to brain-api, two node processes
 * that a loaded machine (a suite beside this one) kept past 3 s, the healthy TUI deploy's
 * last check then reading `refused` after stepgate's own checks had passed.
 */
export async function get(url: string): Promise<{ status: number | 'refused'; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(15_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 'refused', body: '' };
  }
}

export function servicePids(host: Host): number[] {
  return ['brain-api', 'tech-gateway'].flatMap((name) => {
    const file = join(host.checkout, 'run', `${name}.pid`);
    return existsSync(file) ? [Number(readFileSync(file, 'utf8'))] : [];
  });
}

/** Stops what the hosts made so far still run and removes their users (afterEach). */
export async function removeHosts(): Promise<void> {
  for (const host of hosts.splice(0)) {
    for (const pid of servicePids(host)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already stopped.
      }
    }
    try {
      execFileSync('pkill', ['-KILL', '-u', host.user], { stdio: 'ignore' });
    } catch {
      // Nothing of that user was left.
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    removeUser(host.user);
    for (const dir of [`${host.user}-seed`, `${host.user}-runbooks`, `${host.user}-state`]) rmSync(join(workDir(), dir), { recursive: true, force: true });
  }
  // The last host gone, nothing of this test file stays in /tmp.
  if (hosts.length === 0 && work !== '') {
    rmSync(work, { recursive: true, force: true });
    work = '';
  }
}

export interface JournalEvent {
  type: string;
  [field: string]: unknown;
}

/** The journals of a host's sessions, each as its events, oldest session first. */
export function hostJournals(host: Host, stateDir = host.state): Array<{ id: string; events: JournalEvent[] }> {
  const dir = join(stateDir, 'sessions');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .map((f) => ({
      id: f.replace(/\.jsonl$/, ''),
      events: readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as JournalEvent),
    }));
}
