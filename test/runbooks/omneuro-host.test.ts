/**
 * The shipped omneuro runbooks, walked for real on a host built the way the operations guide
 * describes: a throwaway user plays `ubuntu`, its `~/omneuro` is cloned from a bare origin,
 * the scripts are committed without their executable bit, and the repository's own
 * `scripts/04-redeploy.sh` (pull, chmod +x, stop, start with nohup, a health check with
 * retries) runs two small HTTP services on ports this test picked, given to the runbooks
 * through their vars. Nothing is faked: the runbooks are used verbatim, as root with `--as`.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { hostDeps } from '../../src/commands/run.js';
import { FileJournal } from '../../src/session/journal.js';
import { newSessionId } from '../../src/session/session-paths.js';
import { createSessionStore, type SessionStore } from '../../src/session/store.js';
import { createUser, isRoot, removeUser } from '../exec/helpers.js';
import { CLI, ROOT } from '../helpers/paths.js';
import { runToNextBlock } from '../fakes/walk.js';

type Next = 'healthy' | 'broken-health' | 'broken-start' | 'broken-chmod';

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

interface Host {
  user: string;
  home: string;
  checkout: string;
  ports: { brain: number; gateway: number };
  runbooks: string;
  state: string;
  v1: string;
  v2: string;
}

let work = '';
const hosts: Host[] = [];

function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'safe.directory=*', ...args], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'dev', GIT_AUTHOR_EMAIL: 'dev@example.com', GIT_COMMITTER_NAME: 'dev', GIT_COMMITTER_EMAIL: 'dev@example.com' },
  }).trim();
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
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
async function makeHost(next: Next): Promise<Host> {
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

function varFlags(host: Host): string[] {
  return ['--var', `BRAIN_API_PORT=${host.ports.brain}`, '--var', `TECH_GATEWAY_PORT=${host.ports.gateway}`];
}

async function get(url: string): Promise<{ status: number | 'refused'; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 'refused', body: '' };
  }
}

function servicePids(host: Host): number[] {
  return ['brain-api', 'tech-gateway'].flatMap((name) => {
    const file = join(host.checkout, 'run', `${name}.pid`);
    return existsSync(file) ? [Number(readFileSync(file, 'utf8'))] : [];
  });
}

/** The engine in this process over the real exec layer, as `run` builds it. */
async function openSession(host: Host): Promise<{ store: SessionStore; close(): Promise<void> }> {
  const dir = join(host.state, 'sessions');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const journal = await FileJournal.open(dir, newSessionId(Date.now()));
  const store = createSessionStore(await hostDeps(journal));
  await store.getState().actions.start({ file: join(host.runbooks, 'deploy.md'), as: host.user });
  return { store, close: () => store.getState().actions.close() };
}

type Choice = { recover: RegExp } | 'abort' | 'skip';

/**
 * Walks a session, answering the vars with the host's ports; at each gate `decide` picks a
 * way out from the offered recovery labels. Returns the outcome and every gate seen.
 */
async function walk(host: Host, store: SessionStore, decide: (step: string, offered: string[]) => Choice): Promise<{ outcome: string; gates: Array<{ step: string; offered: string[] }> }> {
  const gates: Array<{ step: string; offered: string[] }> = [];
  const { actions } = store.getState();
  for (let turn = 0; turn < 60; turn += 1) {
    await runToNextBlock(store, { yes: true });
    const s = store.getState().session;
    if (s.status.kind === 'ended') return { outcome: s.status.outcome, gates };
    if (s.status.kind === 'vars') {
      const name = s.status.spec.name;
      await actions.answerVar(name === 'BRAIN_API_PORT' ? String(host.ports.brain) : name === 'TECH_GATEWAY_PORT' ? String(host.ports.gateway) : '', 'flag');
      continue;
    }
    if (s.status.kind !== 'blocked') continue;
    const frame = s.frames[s.frames.length - 1];
    const item = frame?.init.items[frame.cursor];
    const offered = item?.recoveries.map((r) => r.label.slice(r.label.lastIndexOf('/') + 1)) ?? [];
    const step = item?.step.id ?? '?';
    gates.push({ step, offered });
    const choice = decide(step, offered);
    if (choice === 'abort') {
      await actions.abort('test: operator gives up');
      continue;
    }
    if (choice === 'skip') {
      await actions.skip(`test: ${step} cannot pass on this host`);
      continue;
    }
    const index = offered.findIndex((label) => choice.recover.test(label));
    if (index < 0) throw new Error(`no recovery matching ${String(choice.recover)} at ${step}: ${offered.join(', ')}`);
    await actions.chooseRecovery(index);
  }
  throw new Error('the walk did not end');
}

const ROLL_BACK = /roll-back-to-the-previous-commit$/;

beforeAll(() => {
  if (!isRoot()) return;
  work = mkdtempSync(join(tmpdir(), 'stepgate-omneuro-'));
  chmodSync(work, 0o755);
});

afterEach(async () => {
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
  }
});

if (!isRoot()) process.stderr.write('omneuro-host.test.ts: skipped, it creates throwaway users and needs root (CI runs as root)\n');

describe.skipIf(!isRoot())('the omneuro redeploy on a guide-style host', () => {
  it('plain mode: pulls, sets +x, restarts through 04-redeploy.sh, passes the three checks; the nohup services outlive stepgate', async () => {
    const host = await makeHost('healthy');
    const run = await execa(process.execPath, [CLI, 'run', join(host.runbooks, 'deploy.md'), '--yes', '--as', host.user, ...varFlags(host)], {
      cwd: host.runbooks,
      env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1', CI: 'false' },
      reject: false,
      stdin: 'ignore',
      timeout: 240_000,
    });
    const why = `stdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
    expect(run.exitCode, why).toBe(0);
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v2);
    expect(run.stdout, why).toContain(`captured ROLLBACK_COMMIT = ${host.v1}`);
    expect(run.stdout, why).toMatch(/-rwx.*scripts\/04-redeploy\.sh/);
    expect(readFileSync(join(host.home, '.omneuro-last-good-commit'), 'utf8').trim()).toBe(host.v2);
    // stepgate has exited: the services the script started with nohup still answer, on v2.
    for (const url of [`http://localhost:${host.ports.gateway}/healthz`, `http://localhost:${host.ports.gateway}/api/tech/health`, `http://localhost:${host.ports.brain}/healthz`]) {
      const answer = await get(url);
      expect(answer.status, url).toBe(200);
      expect(answer.body, url).toContain('2.0.0');
    }
  }, 300_000);

  it('preflight finds the host ready for every shipped runbook (no error, no warning) but the SSM one, whose step runs as ubuntu', async () => {
    const host = await makeHost('healthy');
    const ssm = await execa(process.execPath, [CLI, 'preflight', join(host.runbooks, 'ssm.md'), '--as', host.user, ...varFlags(host)], {
      cwd: host.runbooks,
      env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1' },
      reject: false,
    });
    // A step's own user= outlives --as; this host has no ubuntu: said once, where it starts.
    expect(ssm.exitCode, ssm.stdout + ssm.stderr).toBe(1);
    expect(ssm.stdout).toMatch(/ssm\.md:\d+: error preflight-cannot-run-as: ssm-checkout and the steps after it that run as ubuntu cannot start: cannot run as "ubuntu": no such user/);
    expect(ssm.stdout).toContain('preflight: 1 error, 0 warnings');
    for (const name of ['deploy.md', 'checklists.md', 'recovery.md', 'observability.md']) {
      const r = await execa(process.execPath, [CLI, 'preflight', join(host.runbooks, name), '--json', '--as', host.user, ...varFlags(host)], {
        cwd: host.runbooks,
        env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1' },
        reject: false,
      });
      const found = (JSON.parse(r.stdout || '{"findings":[]}') as { findings: Array<{ severity: string; code: string; message: string }> }).findings;
      const why = `${name}: exit ${r.exitCode}\n${r.stderr}\n${found.map((f) => `${f.severity} ${f.code}: ${f.message}`).join('\n')}`;
      expect(r.exitCode, why).toBe(0);
      expect(found.filter((f) => f.severity !== 'note'), why).toEqual([]);
    }
  }, 120_000);

  for (const next of ['broken-chmod', 'broken-start', 'broken-health'] as const) {
    it(`${next}: every other recovery path offered is walked, then the roll back lands on v1 and verifies it`, async () => {
      const host = await makeHost(next);
      const session = await openSession(host);
      const tried = new Set<string>();
      try {
        const { outcome, gates } = await walk(host, session.store, (_step, offered) => {
          // A recovery step that fails for the same reason (no way out offered there) is skipped.
          if (offered.length === 0) return 'skip';
          const other = offered.find((label) => !ROLL_BACK.test(label) && !tried.has(label));
          if (other) {
            tried.add(other);
            return { recover: new RegExp(`${other.replace(/[.#]/g, '\\$&')}$`) };
          }
          return { recover: ROLL_BACK };
        });
        expect(outcome, JSON.stringify(gates)).toBe('rolled-back');
        const expectedGate = { 'broken-chmod': 'chmod', 'broken-start': 'restart', 'broken-health': 'health' }[next];
        expect(gates[0]?.step, JSON.stringify(gates)).toBe(expectedGate);
        expect(gates[0]?.offered.some((label) => ROLL_BACK.test(label))).toBe(true);
        expect(tried.size).toBeGreaterThan(0);
      } finally {
        await session.close();
      }
      expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v1);
      const health = await get(`http://localhost:${host.ports.gateway}/api/tech/health`);
      expect(health).toMatchObject({ status: 200 });
      expect(health.body).toContain('1.0.0');
    }, 400_000);
  }

  it('a second deploy after an aborted one still rolls back to v1, not to the code the first one left', async () => {
    const host = await makeHost('broken-health');
    const first = await openSession(host);
    try {
      const { outcome } = await walk(host, first.store, () => 'abort');
      expect(outcome).toBe('aborted');
    } finally {
      await first.close();
    }
    // The aborted deploy left v2 checked out and serving.
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v2);
    const second = await openSession(host);
    try {
      const { outcome } = await walk(host, second.store, () => ({ recover: ROLL_BACK }));
      expect(outcome).toBe('rolled-back');
      expect(second.store.getState().session.captured.ROLLBACK_COMMIT?.value).toBe(host.v1);
    } finally {
      await second.close();
    }
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v1);
    expect((await get(`http://localhost:${host.ports.gateway}/api/tech/health`)).body).toContain('1.0.0');
  }, 400_000);
});
