/**
 * The package on a host that has no Node.js at all: a Debian root filesystem made by
 * debootstrap (minbase), cached between runs, mounted as an overlay with /proc and /dev/pts. The
 * tarball is unpacked into /opt/stepgate as the README's install line does, and a user of that
 * host checks the version, lints and plans the shipped runbooks and runs a two-step runbook in
 * a real pty, gated on a health check against an HTTP server on the loopback (a chroot shares
 * the host's network).
 *
 * Root only (mount, chroot). Run by `.ci/run` after `npm test` as `npm run test:bare-host`; not
 * part of `npm test`. docs/package.md describes it, docs/performance.md has its timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, chownSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BareRoot, cachedRootfs, closeAllSync, sweepStaleRuns } from './rootfs.js';

const repo = join(import.meta.dirname, '..', '..');
const version = (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version;
const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('bare-host: skipped: it needs root (debootstrap, mount, chroot); run it as root, as .ci/run does');

const USER = 'sgbare';
const INSTALL = '/opt/stepgate';
const log = (line: string) => process.stdout.write(`bare-host: ${line}\n`);

let bare: BareRoot | undefined;
let out: string;
let server: Server;
let port: number;
let uid: number;
let gid: number;
const started = Date.now();

/** Run a shell command inside the chroot as root (the operator's `sudo`). */
function asRoot(script: string) {
  if (!bare) throw new Error('no root filesystem');
  return execa('chroot', [bare.root, '/bin/sh', '-c', script], { reject: false, all: true, stdin: 'ignore', timeout: 120_000 });
}

/** Run a shell command inside the chroot as the unprivileged user, with a login-like clean environment. */
function asUser(script: string, env: Record<string, string> = {}) {
  if (!bare) throw new Error('no root filesystem');
  const vars = {
    HOME: `/home/${USER}`,
    USER,
    LOGNAME: USER,
    SHELL: '/bin/bash',
    PATH: '/usr/local/bin:/usr/bin:/bin',
    LANG: 'C.UTF-8',
    TERM: 'dumb',
    NO_COLOR: '1',
    ...env,
  };
  return execa(
    'chroot',
    [`--userspec=${uid}:${gid}`, bare.root, '/usr/bin/env', '-i', ...Object.entries(vars).map(([k, v]) => `${k}=${v}`), '/bin/sh', '-c', `cd ${INSTALL} && ${script}`],
    { reject: false, stdin: 'ignore', timeout: 120_000 },
  );
}

const onSignal = (signal: NodeJS.Signals) => {
  closeAllSync();
  process.kill(process.pid, signal);
};

describe.skipIf(!isRoot)('the package on a bare Debian root filesystem with no Node.js', () => {
  beforeAll(async () => {
    // Whatever happens from here on, the mounts come down: after the tests (afterAll), when
    // the worker exits, or when it is interrupted.
    process.on('exit', closeAllSync);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    sweepStaleRuns();
    log(`load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}`);

    // Named like the run's root (pid first) so a later run's sweep removes it after a SIGKILL.
    out = mkdtempSync(join(tmpdir(), `stepgate-bare-${process.pid}-pkg-`));
    const [rootfs] = await Promise.all([
      cachedRootfs(log),
      execa(process.execPath, [join(repo, 'scripts', 'package.mjs'), '--out', out], { cwd: repo }),
    ]);
    log(`root filesystem ${rootfs.built ? 'built' : 'reused from the cache'} in ${rootfs.seconds.toFixed(1)} s: ${rootfs.dir}`);
    bare = BareRoot.mount(rootfs.dir);

    // The install, as the README's line does it with sudo: unpack into /opt/stepgate.
    const tarball = readdirSync(out).find((f) => f.endsWith('.tar.gz')) ?? '';
    execFileSync('cp', [join(out, tarball), join(bare.root, 'tmp', tarball)]);
    const install = await asRoot(
      `mkdir -p ${INSTALL} && tar -xzf /tmp/${tarball} -C ${INSTALL} --strip-components=1 --no-same-owner && rm /tmp/${tarball} && useradd -m -s /bin/bash ${USER}`,
    );
    expect(install.exitCode, install.all).toBe(0);
    const passwd = readFileSync(join(bare.root, 'etc', 'passwd'), 'utf8');
    const entry = passwd.split('\n').find((line) => line.startsWith(`${USER}:`))?.split(':') ?? [];
    uid = Number(entry[2]);
    gid = Number(entry[3]);

    server = createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain' });
      res.end(req.url === '/healthz' ? 'ok from the host loopback\n' : 'no\n');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    bare?.closeSync();
    if (out) rmSync(out, { recursive: true, force: true });
    process.off('exit', closeAllSync);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s, load average ${loadavg().map((x) => x.toFixed(1)).join(' / ')}`);
  });

  it('has no node anywhere outside the package', async () => {
    // -xdev: the overlay only, not /proc or /dev/pts.
    const found = await asRoot(`find / -xdev \\( -name node -o -name nodejs -o -name 'node[0-9]*' \\) -print`);
    expect(found.exitCode, found.all).toBe(0);
    expect(found.stdout.split('\n').filter(Boolean).sort()).toEqual([`${INSTALL}/runtime/node`]);
    const onPath = await asUser('if command -v node || command -v nodejs; then echo found; else echo none; fi');
    expect(onPath.stdout.trim()).toBe('none');
  });

  it('prints its version and its own runtime, as the unprivileged user', async () => {
    const result = await asUser('id -un && ./stepgate --version');
    expect(result.stderr).toBe('');
    expect(result.stdout).toBe(`${USER}\nstepgate ${version}\nNode.js ${process.version} (${INSTALL}/runtime/node)`);
    expect(result.exitCode).toBe(0);
  });

  it('lints and plans the shipped runbooks', async () => {
    const lint = await asUser('./stepgate lint runbooks');
    expect(lint.stdout, lint.stderr).toMatch(/\d+ files checked: 0 errors, 0 warnings/);
    expect(lint.exitCode).toBe(0);
    const plan = await asUser('./stepgate plan runbooks/deploy.md');
    expect(plan.stderr).toBe('');
    expect(plan.stdout).toContain('/api/tech/health'); // the port is the var TECH_GATEWAY_PORT (default 8092)
    expect(plan.exitCode).toBe(0);
  });

  it('runs a two-step runbook in a real pty, gated on a health check against the loopback', async () => {
    if (!bare) throw new Error('no root filesystem');
    const home = join(bare.root, 'home', USER);
    writeFileSync(
      join(home, 'smoke.md'),
      [
        '---',
        'title: Smoke test on a bare host',
        'vars:',
        '  PORT:',
        '    prompt: Port of the test server',
        '---',
        '# Smoke',
        '',
        'Export a value; the shell keeps it for the next step.',
        '',
        '```bash {name=export}',
        'export GREETING="hello from a host without node"',
        'test -t 1 && echo "stdout is a terminal, $(readlink /proc/$$/fd/1)"',
        '```',
        '',
        'Print it, with who runs it.',
        '',
        '```bash {name=print}',
        'echo "$GREETING as $(id -un)"',
        '```',
        '',
        '```check {name=server}',
        'http: http://127.0.0.1:${PORT}/healthz',
        'contains: ok from the host loopback',
        'retries: 2',
        'backoff: 100ms',
        '```',
        '',
      ].join('\n'),
    );
    chownSync(join(home, 'smoke.md'), uid, gid);
    const result = await asUser(`./stepgate run ~/smoke.md --yes`, { STEPGATE_VAR_PORT: String(port) });
    const why = `stdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
    expect(result.stdout, why).toMatch(/stdout is a terminal, \/dev\/pts\/\d+/);
    expect(result.stdout, why).toContain(`hello from a host without node as ${USER}`);
    expect(result.exitCode, why).toBe(0);
    const sessions = readdirSync(join(home, '.local', 'state', 'stepgate', 'sessions')).filter((f) => f.endsWith('.jsonl'));
    expect(sessions).toHaveLength(1);
  });
});
