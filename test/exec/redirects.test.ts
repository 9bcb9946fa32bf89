import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/exec/probes.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

/** Two servers on their own ports: two origins. */
let app: http.Server;
let other: http.Server;
let appBase = '';
let otherBase = '';
let refusedBase = '';
let hops = 0;

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  other = http.createServer((req, res) => res.end(`other origin ${req.url}`));
  otherBase = await listen(other);
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  refusedBase = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  await new Promise((resolve) => s.close(resolve));
  app = http.createServer((req, res) => {
    const go = (status: number, location: string): void => {
      res.writeHead(status, { location });
      res.end('moved');
    };
    switch (req.url) {
      case '/healthz':
        res.end('ok');
        return;
      case '/old':
        return go(301, '/healthz');
      case '/away':
        return go(302, `${otherBase}/login`);
      case '/dead':
        return go(307, `${refusedBase}/gone`);
      case '/loop':
        hops++;
        return go(302, '/loop');
      case '/file':
        return go(302, 'file:///etc/passwd');
      default:
        res.writeHead(404);
        res.end();
    }
  });
  appBase = await listen(app);
});

afterAll(async () => {
  for (const s of [app, other]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

describe('http check redirects', () => {
  it('follows a redirect within the same origin', async () => {
    const res = await runProbe({ kind: 'http', url: `${appBase}/old`, timeoutMs: 5000 });
    expect(res).toMatchObject({ ok: true, status: 200, output: 'ok' });
  });

  it('refuses a redirect to another origin, naming both URLs and the fix', async () => {
    const res = await runProbe({ kind: 'http', url: `${appBase}/away`, timeoutMs: 5000 });
    expect(res.ok).toBe(false);
    expect(res.error).toContain(`${appBase}/away redirected (302) to ${otherBase}/login: refused, another origin than ${appBase}`);
    expect(res.error).toContain('follow: any');
  });

  it('follows another origin when the check says follow: any', async () => {
    const res = await runProbe({ kind: 'http', url: `${appBase}/away`, timeoutMs: 5000, follow: 'any' });
    expect(res).toMatchObject({ ok: true, output: 'other origin /login' });
  });

  it('names the refused redirect target, not the first host, when it cannot be reached', async () => {
    const res = await runProbe({ kind: 'http', url: `${appBase}/dead`, timeoutMs: 5000, follow: 'any' });
    expect(res.ok).toBe(false);
    const refusedHost = new URL(refusedBase).host;
    expect(res.error).toBe(`connection refused by ${refusedHost} (${refusedBase}/gone, redirected from ${appBase}/dead)`);
  });

  it('stops a redirect loop after a bounded number of hops', async () => {
    hops = 0;
    const res = await runProbe({ kind: 'http', url: `${appBase}/loop`, timeoutMs: 5000 });
    expect(res.ok).toBe(false);
    expect(res.error).toMatch(/^too many redirects \(more than 10\) from .*\/loop/);
    expect(hops).toBe(11);
  });

  it('never follows a redirect to another scheme, even with follow: any', async () => {
    const res = await runProbe({ kind: 'http', url: `${appBase}/file`, timeoutMs: 5000, follow: 'any' });
    expect(res.error).toContain('file:///etc/passwd: refused, only http and https are followed');
  });

  it('reads follow: from a check block and rejects a value it does not know', () => {
    const good = parseRunbook('```check\nhttp: http://localhost:1/x\nfollow: any\n```\n', 'r.md');
    expect(good.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    const step = good.steps[0];
    expect(step?.kind === 'check' && step.checks[0]?.follow).toBe('any');
    const bad = parseRunbook('```check\nhttp: http://localhost:1/x\nfollow: everywhere\n```\n', 'r.md');
    expect(bad.diagnostics.map((d) => `${d.line}: ${d.message}`)).toContain('3: follow: everywhere: want any (follow redirects to other hosts too) or same-origin (the default)');
  });
});
