/**
 * Health endpoints that misbehave, probed as a check would (runProbe, real sockets on port 0):
 * each attempt must end within its timeout plus slack, fail with a reason (or pass, for the
 * slow one inside its timeout), and hold bounded memory.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runProbe } from '../../src/exec/probes.js';
import { printFigures, record } from './tally.js';

const sockets = new Set<net.Socket>();
let hangPort = 0;
let refusedPort = 0;
let hangServer: net.Server;
let server: http.Server;
let base = '';

beforeAll(async () => {
  // Accepts, then never answers.
  hangServer = net.createServer((s) => sockets.add(s));
  await new Promise<void>((resolve) => hangServer.listen(0, '127.0.0.1', resolve));
  hangPort = (hangServer.address() as AddressInfo).port;
  const closed = net.createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  refusedPort = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  server = http.createServer((req, res) => {
    if (req.url === '/slow') setTimeout(() => res.end('ok'), 1500);
    else if (req.url === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (req.url === '/huge') {
      // 1 GB offered; the probe must stop reading long before.
      res.writeHead(200, { 'content-length': String(1 << 30) });
      const chunk = Buffer.alloc(1 << 16, 'a');
      let sent = 0;
      const pump = (): void => {
        while (sent < 1 << 30) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('close', () => (sent = 1 << 30));
      pump();
    } else if (req.url === '/huge-error') {
      res.writeHead(500);
      res.end('e'.repeat(50 << 20));
    } else res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  printFigures();
  for (const s of sockets) s.destroy();
  hangServer.close();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const CASES: Array<{ name: string; url: () => string; timeoutMs: number; ok: boolean; error?: RegExp }> = [
  { name: 'refuses', url: () => `http://127.0.0.1:${refusedPort}/healthz`, timeoutMs: 2000, ok: false, error: /connection refused/ },
  { name: 'hangs after accept', url: () => `http://127.0.0.1:${hangPort}/healthz`, timeoutMs: 1000, ok: false, error: /timeout after 1000ms/ },
  { name: 'answers slowly (inside its timeout)', url: () => `${base}/slow`, timeoutMs: 5000, ok: true },
  { name: 'answers slowly (past its timeout)', url: () => `${base}/slow`, timeoutMs: 500, ok: false, error: /timeout after 500ms/ },
  { name: 'redirects in a loop', url: () => `${base}/loop`, timeoutMs: 5000, ok: false, error: /too many redirects/ },
  { name: 'sends 1 GB', url: () => `${base}/huge`, timeoutMs: 10_000, ok: true },
  { name: 'fails with a 50 MB body', url: () => `${base}/huge-error`, timeoutMs: 10_000, ok: false, error: /^bad status 500/ },
];

describe('misbehaving health endpoints', () => {
  for (const c of CASES) {
    it(`an endpoint that ${c.name}: the attempt ends, bounded`, async () => {
      for (let round = 0; round < 3; round++) {
        const before = process.memoryUsage().rss;
        const started = performance.now();
        const res = await runProbe({ kind: 'http', url: c.url(), timeoutMs: c.timeoutMs });
        const took = performance.now() - started;
        const grew = process.memoryUsage().rss - before;
        const held = res.ok === c.ok && (c.error === undefined || c.error.test(res.error ?? '')) && took < c.timeoutMs + 5000 && (res.output ?? '').length <= 4096 && (res.error ?? '').length < 1000 && grew < 200 << 20;
        record('health endpoint', held, `${c.name}: ${res.error ?? 'ok'}, ${Math.round(took)} ms, rss +${Math.round(grew / 1048576)} MB`);
        expect(res.ok).toBe(c.ok);
        if (c.error) expect(res.error).toMatch(c.error);
        expect(took).toBeLessThan(c.timeoutMs + 5000);
        expect((res.error ?? '').length).toBeLessThan(1000);
      }
    });
  }
});
