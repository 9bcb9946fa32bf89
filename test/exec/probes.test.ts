import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/exec/clock.js';
import { runProbe } from '../../src/exec/probes.js';
import { createUser, isRoot, removeUser, scanWhile } from './helpers.js';

if (!isRoot()) console.warn('run-probe-as-another-user test skipped: it creates a throwaway user and needs root');

let server: http.Server;
let base = '';
const pendingSlow = new Set<http.ServerResponse>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    switch (req.url) {
      case '/ok':
        res.end('status: healthy\n');
        return;
      case '/fail':
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('database down: connection pool exhausted after 30s; retry later '.repeat(10));
        return;
      case '/leaky':
        // A secret straddling the 200 characters the error quotes, and one holding spaces.
        res.writeHead(503);
        res.end(`${'x'.repeat(190)}tok-5c1d9e77a0b24f3e8d6c then two  spaced\nsecret words`);
        return;
      case '/slow':
        pendingSlow.add(res);
        setTimeout(() => res.end('late'), 5000).unref();
        return;
      default:
        res.writeHead(404);
        res.end('no such page');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const res of pendingSlow) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A port nothing listens on: bind one, then close it. */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise((resolve) => s.close(resolve));
  return port;
}

describe('http probe', () => {
  it('passes on 2xx and keeps the body', async () => {
    const res = await runProbe({ kind: 'http', url: `${base}/ok`, timeoutMs: 2000 });
    expect(res).toMatchObject({ ok: true, status: 200, output: 'status: healthy\n' });
    expect(res.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('fails on a bad status, quoting the start of the body', async () => {
    const res = await runProbe({ kind: 'http', url: `${base}/fail`, timeoutMs: 2000 });
    expect(res.ok).toBe(false);
    expect(res.status).toBe(500);
    expect(res.error).toMatch(/^bad status 500 \(expected 200-299\): database down: connection pool exhausted/);
    expect(res.error!.length).toBeLessThan(300);
  });

  it('hides secrets before cutting or collapsing what it keeps, so no piece of one survives', async () => {
    const secrets = ['tok-5c1d9e77a0b24f3e8d6c', 'two  spaced\nsecret words'];
    const redact = (text: string): string => secrets.reduce((t, secret) => t.split(secret).join('***'), text);
    const http = await runProbe({ kind: 'http', url: `${base}/leaky`, timeoutMs: 2000 }, { redact });
    // The run probe keeps the output's tail: the secret straddles where that tail begins.
    const run = await runProbe({ kind: 'run', command: `printf '%s' 'tok-5c1d9e77a0b24f3e8d6c'; head -c 4090 /dev/zero | tr '\\0' y; exit 3`, timeoutMs: 5000 }, { redact });
    const keptHttp = `${http.error ?? ''}\n${http.output ?? ''}`;
    expect(keptHttp).not.toContain('tok-5c1d');
    expect(keptHttp).not.toContain('two spaced');
    expect(keptHttp).not.toContain('secret words');
    expect(http.error).toMatch(/^bad status 503 \(expected 200-299\): x+\*\*\*/);
    expect(run).toMatchObject({ ok: false, exitCode: 3 });
    expect(run.output).not.toContain('8d6c');
    // Without it the error's 200-character quote holds the secret's head, the run's tail its end.
    const plain = await runProbe({ kind: 'http', url: `${base}/leaky`, timeoutMs: 2000 });
    expect(plain.error).toContain('tok-5c1d');
    const plainRun = await runProbe({ kind: 'run', command: `printf '%s' 'tok-5c1d9e77a0b24f3e8d6c'; head -c 4090 /dev/zero | tr '\\0' y; exit 3`, timeoutMs: 5000 });
    expect(plainRun.output).toContain('8d6c');
  });

  it('honours expected status ranges and contains', async () => {
    expect((await runProbe({ kind: 'http', url: `${base}/fail`, expect: [{ min: 500, max: 599 }], timeoutMs: 2000 })).ok).toBe(true);
    expect((await runProbe({ kind: 'http', url: `${base}/ok`, contains: 'healthy', timeoutMs: 2000 })).ok).toBe(true);
    const missing = await runProbe({ kind: 'http', url: `${base}/ok`, contains: 'degraded', timeoutMs: 2000 });
    expect(missing).toMatchObject({ ok: false, status: 200, error: 'response does not contain "degraded"' });
  });

  it('reports a refused connection', async () => {
    const res = await runProbe({ kind: 'http', url: `http://127.0.0.1:${await closedPort()}/`, timeoutMs: 2000 });
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/^connection refused by 127\.0\.0\.1:\d+$/);
  });

  it('reports a timeout against a slow server', async () => {
    const res = await runProbe({ kind: 'http', url: `${base}/slow`, timeoutMs: 200 });
    expect(res).toMatchObject({ ok: false });
    expect(res.error).toMatch(/^timeout after 200ms/);
  });

  it('is cancelled by its signal while waiting for a slow server', async () => {
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    const res = await runProbe({ kind: 'http', url: `${base}/slow`, timeoutMs: 10_000 }, { signal: ac.signal });
    expect(res).toMatchObject({ ok: false, error: 'cancelled' });
  });

  it('reports DNS failures', async () => {
    // Generous: a resolver that is slow to say no must not turn this into a timeout.
    const res = await runProbe({ kind: 'http', url: 'http://no-such-host.invalid/', timeoutMs: 20_000 });
    expect(res.error).toMatch(/^DNS lookup failed for no-such-host\.invalid/);
  });

  it('reports TLS failures', async () => {
    const res = await runProbe({ kind: 'http', url: base.replace('http:', 'https:') + '/ok', timeoutMs: 2000 });
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/^TLS error talking to 127\.0\.0\.1/);
  });

  it('refuses a malformed URL clearly', async () => {
    expect((await runProbe({ kind: 'http', url: 'not a url', timeoutMs: 100 })).error).toBe('invalid URL "not a url"');
  });
});

describe('tcp probe', () => {
  it('connects to a listening port and reports a closed one as refused', async () => {
    const port = Number(new URL(base).port);
    expect((await runProbe({ kind: 'tcp', host: '127.0.0.1', port, timeoutMs: 2000 })).ok).toBe(true);
    const closed = await runProbe({ kind: 'tcp', host: '127.0.0.1', port: await closedPort(), timeoutMs: 2000 });
    expect(closed.error).toMatch(/^connection refused by 127\.0\.0\.1:\d+$/);
  });
});

describe('run probe', () => {
  it('passes on exit 0 and keeps the output', async () => {
    const res = await runProbe({ kind: 'run', command: 'echo "up $GREETING"; pwd', env: { GREETING: 'there' }, cwd: '/usr', timeoutMs: 5000 });
    expect(res).toMatchObject({ ok: true, exitCode: 0, output: 'up there\n/usr' });
  });

  it('expands ~ in cwd to the home of the user the command runs as', async () => {
    const home = (await runProbe({ kind: 'run', command: 'printf %s "$HOME"', timeoutMs: 5000 })).output;
    expect(home).toMatch(/^\//);
    expect(await runProbe({ kind: 'run', command: 'pwd', cwd: '~', timeoutMs: 5000 })).toMatchObject({ ok: true, output: home });
    const sub = await runProbe({ kind: 'run', command: 'pwd', cwd: '~/no such dir', timeoutMs: 5000 });
    expect(sub).toMatchObject({ ok: false, exitCode: 1 });
    expect(sub.output).toContain(`${home}/no such dir`);
  });

  it('fails with the exit status, or on missing text', async () => {
    expect(await runProbe({ kind: 'run', command: 'echo nope; exit 3', timeoutMs: 5000 })).toMatchObject({
      ok: false,
      exitCode: 3,
      error: 'exit status 3',
      output: 'nope',
    });
    const res = await runProbe({ kind: 'run', command: 'echo active', contains: 'inactive', timeoutMs: 5000 });
    expect(res).toMatchObject({ ok: false, error: 'output does not contain "inactive"' });
  });

  it('times out', async () => {
    const res = await runProbe({ kind: 'run', command: 'sleep 30', timeoutMs: 200 });
    expect(res.ok).toBe(false);
    expect(res.error).toBe('timeout after 200ms running `sleep 30`');
  });

  it('never waits for input', async () => {
    const res = await runProbe({ kind: 'run', command: 'read -r line; echo "got=[$line]"', timeoutMs: 5000 });
    expect(res.output).toBe('got=[]');
  });

  it('keeps env values off every command line while the command sees them', async () => {
    const secret = `sekret-${randomBytes(8).toString('hex')}`;
    const marker = `sg-marker-${randomBytes(4).toString('hex')}`;
    const seen = await scanWhile(
      runProbe({ kind: 'run', command: `sleep 0.5 # ${marker}\necho "got=$SOME_TOKEN"`, env: { SOME_TOKEN: secret }, timeoutMs: 10_000 }),
      [marker, secret],
    );
    expect(seen.result).toMatchObject({ ok: true, output: `got=${secret}` });
    expect(seen.found.has(marker)).toBe(true);
    expect(seen.found.has(secret)).toBe(false);
  });

  it.skipIf(!isRoot())('keeps env values off command lines when running as another user (runuser)', async () => {
    const user = createUser('sgenv');
    try {
      const secret = `sekret-${randomBytes(8).toString('hex')}`;
      const marker = `sg-marker-${randomBytes(4).toString('hex')}`;
      const seen = await scanWhile(
        runProbe({ kind: 'run', command: `sleep 0.5 # ${marker}\necho "got=$SOME_TOKEN as $(id -un)"`, env: { SOME_TOKEN: secret }, user, timeoutMs: 10_000 }),
        [marker, secret],
      );
      expect(seen.result).toMatchObject({ ok: true, output: `got=${secret} as ${user}` });
      expect(seen.found.has(marker)).toBe(true);
      expect(seen.found.has(secret)).toBe(false);
    } finally {
      removeUser(user);
    }
  });

  it.skipIf(!isRoot())('runs as the target user', async () => {
    const user = createUser('sgprb');
    try {
      const res = await runProbe({ kind: 'run', command: 'id -un', user, timeoutMs: 5000 });
      expect(res).toMatchObject({ ok: true, output: user });
      expect(await runProbe({ kind: 'run', command: 'pwd', cwd: '~', user, timeoutMs: 5000 })).toMatchObject({ ok: true, output: `/home/${user}` });
      const missing = await runProbe({ kind: 'run', command: 'true', user: 'no-such-user-sg', timeoutMs: 5000 });
      expect(missing.error).toMatch(/"no-such-user-sg": no such user/);
    } finally {
      removeUser(user);
    }
  });
});

describe('clock', () => {
  it('systemClock sleeps and can be aborted', async () => {
    await expect(systemClock.sleep(5)).resolves.toBeUndefined();
    const ac = new AbortController();
    const sleeping = systemClock.sleep(60_000, ac.signal);
    ac.abort();
    await expect(sleeping).rejects.toThrow();
  });
});
