/**
 * `npm run package` must give an operator something that runs on a production host that has
 * no Node.js: the tarball is unpacked into an empty directory outside the repository (no
 * node_modules anywhere above it), with a PATH that holds no compiler, no npm, no node-gyp and
 * no real node (only a decoy that records being run), and then lints, plans and runs a small
 * runbook in a real pty with a real HTTP health check. test/bare-host/ goes further: the same
 * tarball in a debootstrapped root filesystem where no node exists at all.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import { spawn as spawnPty } from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { highestVersion, readElfNeeds } from '../scripts/elf.mjs';
import { createUser } from './helpers/test-users.js';

const root = join(import.meta.dirname, '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

interface BuildInfo {
  version: string;
  requires: { glibc: string; libraries: string[] };
  runtime: { path: string; node: string; sha256: string; copiedFrom: string };
  binaries: Record<string, { glibc: string | null }>;
}

/** Programs that could build a native addon or install one: kept off the host's PATH. */
const BUILD_TOOL = /^(cc|c\+\+|cpp|gcc|g\+\+|clang|clang\+\+|ld|ld\.\w+|as|make|gmake|cmake|ninja|npm|npx|node-gyp|yarn|pnpm|corepack|python[\d.]*)$|^(gcc|g\+\+|cpp|clang|c\+\+)-[\d.]+$|-linux-gnu-/;

let work: string;
let host: string;
let bin: string;
/** The decoy `node` on the host's PATH writes here if anything runs it. */
let decoyRan: string;
let server: Server;
let port: number;
/** A throwaway unprivileged user, when the tests run as root. */
let demoUser: string | undefined;

/**
 * A PATH of symlinks to the system's programs minus every build tool and node, plus a decoy
 * `node` that records that it ran and fails: the launcher must use the runtime it ships.
 */
function hostPath(): string {
  mkdirSync(bin);
  const seen = new Set<string>();
  for (const dir of ['/usr/local/bin', '/usr/bin', '/bin', '/usr/sbin', '/sbin']) {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      if (seen.has(name) || BUILD_TOOL.test(name)) continue;
      seen.add(name);
      if (name === 'node') continue;
      symlinkSync(join(dir, name), join(bin, name));
    }
  }
  writeFileSync(join(bin, 'node'), `#!/bin/sh\necho "$0 $*" >> ${decoyRan}\necho "decoy node from PATH" >&2\nexit 99\n`, { mode: 0o755 });
  return bin;
}

function hostEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ['HOME', 'USER', 'LOGNAME', 'LANG', 'TERM']) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return {
    ...env,
    PATH: bin,
    STEPGATE_STATE_DIR: join(work, 'state'),
    TMPDIR: join(work, 'tmp'),
    NO_COLOR: '1',
    ...extra,
  };
}

function stepgate(args: string[], extra: Record<string, string> = {}) {
  return execa(join(host, 'stepgate'), args, {
    cwd: host,
    env: hostEnv(extra),
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'stepgate-package-'));
  mkdirSync(join(work, 'tmp'));
  bin = join(work, 'bin');
  decoyRan = join(work, 'decoy-node-ran');
  hostPath();
  // Asynchronously: packing the 95 MB runtime takes long enough under load that a blocked
  // worker misses vitest's RPC deadline.
  await execa(process.execPath, [join(root, 'scripts', 'package.mjs'), '--out', join(work, 'out')], { cwd: root });
  const tarballs = readdirSync(join(work, 'out')).filter((f) => f.endsWith('.tar.gz'));
  expect(tarballs).toEqual([`stepgate-${version}-${process.platform}-${process.arch}.tar.gz`]);
  const unpack = join(work, 'host');
  mkdirSync(unpack);
  await execa('tar', ['-xzf', join(work, 'out', tarballs[0] ?? ''), '-C', unpack, '--no-same-owner']);
  host = join(unpack, `stepgate-${version}-${process.platform}-${process.arch}`);
  server = createServer((req, res) => {
    res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
    res.end(req.url === '/healthz' ? 'ok from the test server\n' : 'no\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
}, 300_000);

afterAll(async () => {
  // Every test ran with the decoy first on PATH: nothing may have picked it up.
  expect(existsSync(decoyRan) ? readFileSync(decoyRan, 'utf8') : '').toBe('');
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  if (demoUser) {
    // userdel refuses while a process of the user runs; the service got SIGTERM a moment ago.
    for (let attempt = 0; attempt < 50; attempt++) {
      try {
        execFileSync('userdel', [demoUser], { stdio: 'ignore' });
        break;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('the packaged tarball', () => {
  it('unpacks into a directory with no node_modules above it and no build tools on PATH', async () => {
    for (let dir = dirname(host); dir !== dirname(dir); dir = dirname(dir)) {
      expect(existsSync(join(dir, 'node_modules')), dir).toBe(false);
    }
    expect(readdirSync(join(host, 'node_modules'))).toEqual(['node-pty']);
    const probe = await execa('sh', ['-c', 'for t in cc gcc make npm node-gyp; do command -v "$t"; done; command -v node'], {
      env: { PATH: bin },
      extendEnv: false,
      reject: false,
    });
    expect(probe.stdout.trim().split('\n')).toEqual([join(bin, 'node')]);
    const info = JSON.parse(readFileSync(join(host, 'BUILD-INFO.json'), 'utf8')) as BuildInfo;
    expect(info).toMatchObject({ version, platform: process.platform, arch: process.arch });
    // The runtime is this machine's node, byte for byte.
    const runtime = readFileSync(join(host, 'runtime', 'node'));
    expect(runtime.equals(readFileSync(process.execPath))).toBe(true);
    expect(info.runtime).toMatchObject({ path: 'runtime/node', node: process.version, copiedFrom: process.execPath });
    expect(info.runtime.sha256).toBe(createHash('sha256').update(runtime).digest('hex'));
    // The glibc it asks for is the highest any shipped binary needs, and both binaries are listed.
    const shipped = ['runtime/node', 'node_modules/node-pty/build/Release/pty.node'];
    expect(Object.keys(info.binaries).sort()).toEqual(shipped.sort());
    const needs = shipped.map((file) => readElfNeeds(join(host, file)));
    expect(info.requires.glibc).toBe(highestVersion(needs, 'GLIBC_'));
    expect(info.requires.glibc).toMatch(/^2\.\d+$/);
    expect(info.requires.libraries).toContain('libc.so.6');
    expect(readFileSync(join(host, 'stepgate'), 'utf8')).toContain(`need=${info.requires.glibc}\n`);
  });

  it('reports its version and its own runtime through the launcher', async () => {
    const result = await stepgate(['--version']);
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`stepgate ${version}\nNode.js ${process.version} (${join(host, 'runtime', 'node')})`);
    expect(result.exitCode).toBe(0);
  });

  it('refuses a host whose glibc is older than the binaries need, in one line, before starting the runtime', async () => {
    const info = JSON.parse(readFileSync(join(host, 'BUILD-INFO.json'), 'utf8')) as BuildInfo;
    // getconf is how the launcher asks the C library its version: this one answers for a
    // CentOS 7 host.
    const oldHost = join(work, 'old-glibc-bin');
    mkdirSync(oldHost);
    writeFileSync(join(oldHost, 'getconf'), '#!/bin/sh\necho "glibc 2.17"\n', { mode: 0o755 });
    const result = await stepgate(['--version'], { PATH: `${oldHost}:${bin}` });
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe(
      `stepgate: this host has glibc 2.17; this package needs glibc ${info.requires.glibc} or newer (build it on an older system, see BUILD-INFO.json)`,
    );
    expect(result.exitCode).toBe(2);
    // Same major, higher minor than needed: accepted.
    writeFileSync(join(oldHost, 'getconf'), '#!/bin/sh\necho "glibc 2.99"\n', { mode: 0o755 });
    const newer = await stepgate(['--version'], { PATH: `${oldHost}:${bin}` });
    expect(newer.stdout).toContain(`stepgate ${version}`);
    expect(newer.exitCode).toBe(0);
  });

  it('lints the shipped runbooks clean', async () => {
    const result = await stepgate(['lint', 'runbooks']);
    expect(result.stdout).toMatch(/8 files checked: 0 errors, 0 warnings/);
    expect(result.exitCode).toBe(0);
  });

  it('plans the omneuro redeploy', async () => {
    const result = await stepgate(['plan', 'runbooks/deploy.md']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('/api/tech/health');
    expect(result.stdout).toMatch(/run as: ubuntu/);
  });

  it('runs a runbook in a real pty and gates on a real health check', async () => {
    writeFileSync(
      join(host, 'smoke.md'),
      [
        '---',
        'title: Smoke test of the bundle',
        'vars:',
        '  SMOKE_PORT:',
        '    prompt: Port of the test server',
        '---',
        '# Smoke',
        '',
        'Export a value in one step; the shell keeps it for the next.',
        '',
        '```bash {name=export}',
        'export SMOKE_GREETING="hello from the bundle"',
        // The step's output goes to the session's pty; its stdin is /dev/null in plain mode without a terminal.
        'test -t 1 && echo "stdout is a terminal"',
        '```',
        '',
        'Print it, with the user the step runs as.',
        '',
        '```bash {name=print}',
        'echo "$SMOKE_GREETING as $(id -un)"',
        '```',
        '',
        'The test server answers.',
        '',
        '```check {name=server}',
        'http: http://127.0.0.1:${SMOKE_PORT}/healthz',
        'contains: ok from the test server',
        'retries: 2',
        'backoff: 100ms',
        '```',
        '',
      ].join('\n'),
    );
    const user = execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    const result = await stepgate(['run', 'smoke.md', '--yes'], { STEPGATE_VAR_SMOKE_PORT: String(port) });
    const why = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.stdout, why).toContain('stdout is a terminal');
    expect(result.stdout, why).toContain(`hello from the bundle as ${user}`);
    expect(result.exitCode, why).toBe(0);
    const sessions = readdirSync(join(work, 'state', 'sessions')).filter((f) => f.endsWith('.jsonl'));
    expect(sessions).toHaveLength(1);
  });

  it('runs the whole demo from the bundle as an unprivileged user', async () => {
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const demoPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const home = join(work, 'demo-home');
    const tmp = join(work, 'demo-tmp');
    mkdirSync(home);
    mkdirSync(tmp);
    chmodSync(tmp, 0o1777);
    let argv = [join(host, 'stepgate')];
    if (process.getuid?.() === 0) {
      demoUser = createUser('sgpkg', { home });
      const uid = Number(execFileSync('id', ['-u', demoUser], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', demoUser], { encoding: 'utf8' }).trim());
      chownSync(home, uid, gid);
      // mkdtemp made the work directory 0700: let the user reach the bundle (read-only).
      chmodSync(work, 0o755);
      argv = ['runuser', '-u', demoUser, '--', ...argv];
    }
    const user = demoUser ?? execFileSync('id', ['-un'], { encoding: 'utf8' }).trim();
    // The demo's stand-in service is itself a node program (its start script runs `node`), so
    // this host gets one on PATH, ahead of the decoy; stepgate still runs on runtime/node.
    const serviceNode = join(work, 'service-node');
    mkdirSync(serviceNode);
    symlinkSync(process.execPath, join(serviceNode, 'node'));
    const demoHost = join(tmp, `stepgate-demo-${user}-${demoPort}`);
    const [file, ...args] = argv;
    const result = await execa(file ?? '', [...args, 'run', 'runbooks/demo/deploy.md', '--yes'], {
      cwd: host,
      env: hostEnv({
        HOME: home,
        USER: user,
        LOGNAME: user,
        TMPDIR: tmp,
        STEPGATE_STATE_DIR: join(home, 'state'),
        STEPGATE_VAR_DEMO_PORT: String(demoPort),
        PATH: `${serviceNode}:${bin}`,
      }),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
      timeout: 90_000,
    });
    // A run that stopped half-way leaves the demo service running (its own session, by design):
    // stop it, or the throwaway user could not be removed.
    try {
      process.kill(Number(readFileSync(join(demoHost, 'service.pid'), 'utf8').trim()), 'SIGTERM');
    } catch {
      // The clean-up checklist stopped it.
    }
    const why = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.stdout, why).toContain(`demo host: ${demoHost}`);
    expect(result.stdout, why).toMatch(/started 1\.1\.0 as pid \d+/);
    expect(result.exitCode, why).toBe(0);
    expect(existsSync(demoHost)).toBe(false);
  });

  it('opens the TUI picker in a real terminal (Ink and React bundled) and quits on q', async () => {
    const term = spawnPty(join(host, 'stepgate'), ['runbooks'], {
      cols: 80,
      rows: 24,
      cwd: host,
      // The child decides between TUI and plain mode itself; CI=true would make Ink static.
      env: hostEnv({ CI: 'false', TERM: 'xterm-256color' }),
    });
    let screen = '';
    term.onData((data) => {
      screen += data;
    });
    const exited = new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    try {
      // Poll for the picker's frame instead of sleeping a guessed time.
      for (let waited = 0; !screen.includes('PICK a runbook') && waited < 20_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(screen).toContain('PICK a runbook');
      expect(screen).toContain('Redeploy omneuro');
      term.write('q');
      expect(await exited).toBe(0);
    } finally {
      term.kill();
    }
  });
});
