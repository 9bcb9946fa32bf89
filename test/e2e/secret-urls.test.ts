/**
 * A secret var's value in a check target never reaches the terminal, the journal or a
 * transcript, whatever form a URL gives it: preflight's findings name the target as written
 * (`${API_TOKEN}`), and the redactor knows the forms WHATWG URL serialisation writes (a space
 * as %20 in a query, a host in lower case). Before, preflight printed `the host
 * t-Zq9secretvalue.invalid does not resolve`, and a refused redirect journaled
 * `hunter2%20@home`. The built CLI against a real HTTP server.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
let server: http.Server;
let port = 0;

beforeAll(async () => {
  ws = new Workspace();
  // The review's repro: every request is sent to the same path on https://127.0.0.1:8443.
  server = http.createServer((req, res) => {
    res.writeHead(301, { location: `https://127.0.0.1:8443${req.url ?? '/'}` });
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  ws.remove();
});

/** Every file under the state dir's sessions/ (journals, transcripts), as one text. */
function sessionFiles(): string {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else out.push(readFileSync(path, 'utf8'));
    }
  };
  walk(ws.sessionsDir());
  return out.join('\n');
}

/** No form of `value` a URL gives it: as typed, lower case, percent-encoded. */
function expectNoTrace(text: string, value: string): void {
  for (const form of [value, value.toLowerCase(), encodeURIComponent(value), value.replace(/ /g, '%20'), value.replace(/ /g, '+')]) expect(text).not.toContain(form);
}

const PREFLIGHT_RUNBOOK = `---
title: Preflight secrets
vars:
  API_TOKEN: { prompt: Token, secret: true }
  SHARD: { prompt: Shard, secret: true }
---
# Preflight secrets

\`\`\`check {name=db}
- tcp: t-\${API_TOKEN}.invalid:5432
  retries: 1
- http: http://\${SHARD}.invalid/healthz
  retries: 1
\`\`\`
`;

describe('secret values in check targets', { timeout: 120_000 }, () => {
  it('preflight names the target as written, not the host the value makes, in stepgate run and stepgate preflight', async () => {
    const file = ws.write('p.md', PREFLIGHT_RUNBOOK);
    // SHARD's name does not look secret: only its secret: true hides it.
    const env = { STEPGATE_VAR_API_TOKEN: 'Zq9secretvalue', STEPGATE_VAR_SHARD: 'Shard7Hidden' };
    const run = await ws.run(['run', file], env);
    const preflight = await ws.run(['preflight', file, '--var', 'SHARD=Shard7Hidden'], { STEPGATE_VAR_API_TOKEN: 'Zq9secretvalue' });
    for (const r of [run, preflight]) {
      const said = r.stdout + r.stderr;
      expect(said).toContain('preflight-unresolved-host: check db: the host of t-${API_TOKEN}.invalid:5432 does not resolve');
      expect(said).toContain('the host of http://${SHARD}.invalid/healthz does not resolve');
      expectNoTrace(said, 'Zq9secretvalue');
      expectNoTrace(said, 'Shard7Hidden');
    }
    expect(run.code).toBe(1);
    // Started anyway: the journaled preflight event holds no trace of either value.
    const skipped = await ws.run(['run', file, '--skip-preflight', 'testing'], env);
    expect(skipped.stderr).toContain('the host of t-${API_TOKEN}.invalid:5432');
    const journal = sessionFiles();
    expect(journal).toContain('"preflight"');
    expectNoTrace(journal, 'Zq9secretvalue');
    expectNoTrace(journal, 'Shard7Hidden');
  });

  it('a refused redirect of a URL holding a secret journals and prints it redacted, in the form the URL gave it', async () => {
    const file = ws.write(
      's.md',
      `---
title: Redirect secrets
vars:
  API_TOKEN: { prompt: Token, secret: true }
---
# Redirect secrets

\`\`\`check {name=health}
http: http://127.0.0.1:${port}/health?token=\${API_TOKEN}
retries: 1
\`\`\`
`,
    );
    const r = await ws.run(['run', file, '--skip-preflight', 'testing'], { STEPGATE_VAR_API_TOKEN: 'hunter2 @home' });
    expect(r.code).toBe(1);
    const said = r.stdout + r.stderr;
    expect(said).toContain('refused, another origin than');
    expect(said).toContain('token=[REDACTED]');
    expectNoTrace(said, 'hunter2 @home');
    const journal = sessionFiles();
    expect(journal).toContain('token=[REDACTED]');
    expectNoTrace(journal, 'hunter2 @home');
    expect(journal).not.toContain('hunter2');
  });
});
