/**
 * The demo's service and its start/stop scripts, on their own: the demo runbook relies on
 * start.sh returning only once the service listens (or failing at once), on stop.sh waiting
 * until the process is gone, and on DEMO_UNHEALTHY breaking only the release that says so.
 */
import { cpSync, chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { freePort } from '../helpers/free-port.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';

const service = join(import.meta.dirname, '..', '..', 'runbooks', 'demo', 'service');
const homes: string[] = [];


/** A demo host with one release installed the way the runbook installs it. */
function install(version: string): { home: string; release: string } {
  const home = mkdtempSync(join(tmpdir(), 'stepgate-demo-service-'));
  homes.push(home);
  const release = join(home, 'releases', version);
  mkdirSync(release, { recursive: true });
  cpSync(join(service, 'server.mjs'), join(release, 'server.mjs'));
  cpSync(join(service, 'scripts'), join(release, 'scripts'), { recursive: true });
  cpSync(join(service, 'releases', version, 'release.json'), join(release, 'release.json'));
  for (const script of ['start.sh', 'stop.sh']) chmodSync(join(release, 'scripts', script), 0o755);
  return { home, release };
}

function script(release: string, name: 'start.sh' | 'stop.sh', env: Record<string, string>) {
  return execa(join(release, 'scripts', name), [], {
    env: { ...env, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    extendEnv: false,
    reject: false,
    timeout: 20_000,
  });
}

async function health(port: number, path = '/healthz'): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

afterEach(async () => {
  for (const home of homes.splice(0)) {
    try {
      process.kill(Number(readFileSync(join(home, 'service.pid'), 'utf8')), 'SIGTERM');
    } catch {
      // Not running.
    }
    rmSync(home, { recursive: true, force: true });
  }
});

describe('the demo service', () => {
  it('start.sh returns once it listens; stop.sh returns once it is gone; both are idempotent', async () => {
    const { home, release } = install('1.0.0');
    const port = await freePort();
    const env = { DEMO_HOME: home, DEMO_PORT: String(port) };
    const started = await script(release, 'start.sh', env);
    expect(started.exitCode, started.stderr).toBe(0);
    expect(started.stdout).toMatch(new RegExp(`^started 1\\.0\\.0 as pid \\d+, listening on http://127\\.0\\.0\\.1:${port}$`));
    // Listening already: no retry needed.
    expect(await health(port)).toEqual({ status: 200, body: { status: 'ok', version: '1.0.0' } });
    const again = await script(release, 'start.sh', env);
    expect(again.exitCode).toBe(1);
    expect(again.stderr).toMatch(/already running as pid \d+/);

    const stopped = await script(release, 'stop.sh', env);
    expect(stopped.exitCode, stopped.stderr).toBe(0);
    expect(stopped.stdout).toMatch(/^stopped pid \d+$/);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    const stoppedAgain = await script(release, 'stop.sh', env);
    expect(stoppedAgain.exitCode).toBe(0);
    expect(stoppedAgain.stdout).toMatch(/^not running/);
  });

  it('DEMO_UNHEALTHY=1 breaks 1.1.0 (503 on both health routes) but not 1.0.0', async () => {
    const port = await freePort();
    const broken = install('1.1.0');
    const envBroken = { DEMO_HOME: broken.home, DEMO_PORT: String(port), DEMO_UNHEALTHY: '1' };
    expect((await script(broken.release, 'start.sh', envBroken)).exitCode).toBe(0);
    for (const path of ['/healthz', '/api/health']) {
      const res = await health(port, path);
      expect(res.status).toBe(503);
      expect(res.body).toMatchObject({ status: 'failing', version: '1.1.0' });
    }
    expect(await health(port, '/version')).toMatchObject({ status: 200, body: { version: '1.1.0' } });
    expect((await script(broken.release, 'stop.sh', envBroken)).exitCode).toBe(0);

    const old = install('1.0.0');
    const envOld = { DEMO_HOME: old.home, DEMO_PORT: String(port), DEMO_UNHEALTHY: '1' };
    expect((await script(old.release, 'start.sh', envOld)).exitCode).toBe(0);
    expect(await health(port, '/api/health')).toEqual({ status: 200, body: { status: 'ok', version: '1.0.0' } });
  });

  it('start.sh fails at once, with the reason from the log, when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const { home, release } = install('1.0.0');
      const result = await script(release, 'start.sh', { DEMO_HOME: home, DEMO_PORT: String(port) });
      expect(result.exitCode).toBe(1);
      expect(result.stderr).toContain('the service exited while starting');
      expect(result.stderr).toContain('EADDRINUSE');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });

  it('refuses to start without DEMO_HOME, saying so', async () => {
    const { release } = install('1.0.0');
    const result = await script(release, 'start.sh', {});
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr).toContain('DEMO_HOME is not set');
  });
});
