/**
 * An exported health check follows redirects as stepgate's own does (exec/redirects.ts): within
 * the check's origin unless it says `follow: any`, only to http and https, at most
 * MAX_REDIRECTS hops. Before, the document ran `curl -L`, and a health route redirected to a
 * login page on another host passed on the instance while `stepgate run` refused it. Two real
 * servers on two loopback addresses are two origins; the document's shell runs in sh/bash as
 * the agent would run it, and its error is held against runProbe's for the same check.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { userInfo } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, type SsmDocument } from '../../src/fleet/index.js';
import { runProbe } from '../../src/exec/probes.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { runCommandDocument, runLines } from './agent-sim.js';

const USER = userInfo().username;
/** A secret var's value and a URL's password: never in what the exported script prints. */
const TOKEN = 'tok-5ecret-9f3a';
const PASSWORD = 'pw-5ecret-7c1d';

let app: http.Server;
let other: http.Server;
let appBase = '';
/** Each request the app saw, its URL and Authorization: the secrets did reach the service. */
const seen: string[] = [];
let otherBase = '';

function listen(server: http.Server, host: string): Promise<string> {
  return new Promise((resolve) => server.listen(0, host, () => resolve(`http://${host}:${(server.address() as AddressInfo).port}`)));
}

beforeAll(async () => {
  other = http.createServer((req, res) => res.end(`other origin ${req.url}`));
  // 127.0.0.2 is loopback too on Linux: another host, as the review's repro had it.
  otherBase = await listen(other, '127.0.0.2');
  app = http.createServer((req, res) => {
    seen.push(`${req.url ?? ''} ${req.headers.authorization ?? ''}`);
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
      case '/absolute':
        // The same origin, absolute, its scheme in upper case (curl writes it in lower case).
        return go(302, `${appBase.replace('http://', 'HTTP://')}/healthz`);
      case '/away':
        return go(302, `${otherBase}/login`);
      case '/sneaky':
        return go(302, `http://${appBase.slice('http://'.length)}@127.0.0.2:${otherBase.split(':').at(-1)}/login`);
      case '/loop':
        return go(302, '/loop');
      case '/old-userinfo':
        // The same origin, with user info curl keeps in %{redirect_url}.
        return go(302, `http://u:${PASSWORD}@${appBase.slice('http://'.length)}/healthz`);
      case '/file':
        return go(302, 'file:///etc/passwd');
      case '/not-modified':
        res.writeHead(304, { location: `${otherBase}/login` });
        res.end();
        return;
      default:
        // A service that keeps the query on a redirect: the secret goes on to the next URL.
        if (req.url?.startsWith('/secret-away?')) return go(302, `${otherBase}/login?${req.url.split('?')[1] ?? ''}`);
        if (req.url?.startsWith('/secret-loop?')) return go(302, req.url);
        // Each hop answers after 400 ms, to a longer path: hops that each had the whole timeout
        // would run on to the tenth.
        if (req.url?.startsWith('/slow')) {
          setTimeout(() => go(302, `/slow-${req.url?.length ?? 0}`), 400);
          return;
        }
        res.writeHead(404);
        res.end();
    }
  });
  appBase = await listen(app, '127.0.0.1');
});

afterAll(async () => {
  for (const s of [app, other]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

function runbook(path: string, follow?: string, timeout = '3s'): string {
  return `---
title: Redirects
user: ${USER}
---
# Redirects

\`\`\`check {name=health}
- name: healthz
  http: ${appBase}${path}
  retries: 1
  timeout: ${timeout}
${follow ? `  follow: ${follow}\n` : ''}\`\`\`
`;
}

async function exported(path: string, follow?: string, timeout?: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const result = exportCommandDocument(parseRunbook(runbook(path, follow, timeout), 'redirects.md'), () => undefined, {});
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const steps = await runCommandDocument(result.document, {});
  const last = steps.at(-1);
  if (!last) throw new Error('no step ran');
  return last;
}

/**
 * One check of the given YAML lines (retries: 1, 3 s), with a secret var API_TOKEN whose value
 * comes from Parameter Store as SSM would interpolate it into the command.
 */
async function exportedCheck(check: string): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const text = `---
title: Redirects
user: ${USER}
vars:
  API_TOKEN: { prompt: Token, secret: true }
---
# Redirects

\`\`\`check {name=health}
- ${check}
  retries: 1
  timeout: 3s
\`\`\`
`;
  const result = exportCommandDocument(parseRunbook(text, 'redirects.md'), () => undefined, { paramStorePrefix: '/x/' });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const reference = '{{ssm-secure:/x/API_TOKEN}}';
  expect(JSON.stringify(result.document)).toContain(reference);
  const mainSteps = result.document.mainSteps.map((step) => {
    const inputs = step.inputs as { runCommand: string[] };
    return { ...step, inputs: { ...inputs, runCommand: inputs.runCommand.map((line) => line.split(reference).join(TOKEN)) } };
  });
  const steps = await runCommandDocument({ ...result.document, mainSteps }, {});
  const last = steps.at(-1);
  if (!last) throw new Error('no step ran');
  return last;
}

async function local(path: string, follow?: 'any' | 'same-origin') {
  return runProbe({ kind: 'http', url: `${appBase}${path}`, timeoutMs: 3000, ...(follow ? { follow } : {}) });
}

describe('an exported http check follows redirects as stepgate does', () => {
  it('refuses a redirect to another host by default, in the words stepgate run uses', async () => {
    const [doc, here] = await Promise.all([exported('/away'), local('/away')]);
    expect(here.ok).toBe(false);
    expect(doc.exitCode).toBe(1);
    expect(doc.stdout).not.toContain('ok (attempt');
    // The local check's words, the next URL cut to its origin (exported output is not redacted).
    const refusal = `${appBase}/away redirected (302) to ${otherBase}`;
    const reason = `refused, another origin than ${appBase} (add follow: any to the check to allow it)`;
    expect(here.error).toBe(`${refusal}/login: ${reason}`);
    expect(doc.stdout).toContain(`check healthz: attempt 1/1 failed: ${refusal}: ${reason}\n`);
  });

  it('refuses a URL whose user info names the check\'s own host', async () => {
    const [doc, here] = await Promise.all([exported('/sneaky'), local('/sneaky')]);
    expect(here.ok).toBe(false);
    expect(doc.exitCode).toBe(1);
    expect(doc.stdout).toContain('refused, another origin than');
  });

  it('follows a redirect within the origin (relative, or absolute with the scheme in upper case)', async () => {
    for (const path of ['/old', '/absolute']) {
      const [doc, here] = await Promise.all([exported(path), local(path)]);
      expect(here.ok, path).toBe(true);
      expect(doc.exitCode, path).toBe(0);
      expect(doc.stdout, path).toContain('check healthz: ok (attempt 1/1)');
    }
  });

  it('follows another host with follow: any', async () => {
    const [doc, here] = await Promise.all([exported('/away', 'any'), local('/away', 'any')]);
    expect(here.ok).toBe(true);
    expect(doc.exitCode).toBe(0);
    expect(doc.stdout).toContain('check healthz: ok (attempt 1/1)');
  });

  it('never follows to another scheme, even with follow: any', async () => {
    const [doc, here] = await Promise.all([exported('/file', 'any'), local('/file', 'any')]);
    expect(doc.exitCode).toBe(1);
    expect(here.error).toBe(`${appBase}/file redirected (302) to file:///etc/passwd: refused, only http and https are followed`);
    expect(doc.stdout).toContain(`check healthz: attempt 1/1 failed: ${appBase}/file redirected (302) to file://: refused, only http and https are followed\n`);
  });

  it('stops after the same number of hops', async () => {
    const [doc, here] = await Promise.all([exported('/loop'), local('/loop')]);
    expect(doc.exitCode).toBe(1);
    const words = `too many redirects (more than 10) from ${appBase}/loop; the last one went to ${appBase}`;
    expect(here.error).toBe(`${words}/loop`);
    expect(doc.stdout).toContain(`check healthz: attempt 1/1 failed: ${words}\n`);
  });

  it('spends one timeout on the whole chain, as stepgate does', async () => {
    const started = Date.now();
    const [doc, here] = await Promise.all([exported('/slow', undefined, '1s'), runProbe({ kind: 'http', url: `${appBase}/slow`, timeoutMs: 1000 })]);
    expect(here.error).toContain('timeout after 1000ms');
    expect(doc.exitCode).toBe(1);
    expect(doc.stdout).toMatch(/attempt 1\/1 failed: (timeout after 1000ms|curl: \(28\))/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('does not follow a status that is not a redirect, even with a Location', async () => {
    const [doc, here] = await Promise.all([exported('/not-modified', 'any'), local('/not-modified', 'any')]);
    expect(here.status).toBe(304);
    expect(doc.exitCode).toBe(1);
    expect(doc.stdout).toContain('bad status 304');
  });

  it('follows a same-origin redirect whose Location carries user info', async () => {
    const doc = await exported('/old-userinfo');
    expect(doc.exitCode).toBe(0);
    expect(doc.stdout).toContain('check healthz: ok (attempt 1/1)');
  });

  it('follows a same-origin redirect from a URL with user info (curl keeps it in the next URL)', async () => {
    const doc = await exportedCheck(`http: http://u:${PASSWORD}@${appBase.slice('http://'.length)}/old`);
    expect(doc.exitCode).toBe(0);
    expect(doc.stdout).toContain('ok (attempt 1/1)');
  });
});

/**
 * The exported script's output is read back by fleet and journaled, and nothing redacts it:
 * a secret var's value expanded into the URL (`?token=${API_TOKEN}`, from Parameter Store at
 * run time) and a URL's password must not be in it. The check is named by its URL as
 * written, the next URL by its origin only.
 */
describe('an exported http check never prints a secret of its URL', () => {
  const noSecret = (doc: { stdout: string; stderr: string }): void => {
    expect(seen.some((r) => r.includes(TOKEN) || r.includes(Buffer.from(`u:${PASSWORD}`).toString('base64')))).toBe(true);
    for (const text of [doc.stdout, doc.stderr]) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(PASSWORD);
    }
  };

  it('a secret var in the query: a refused redirect (which keeps the query)', async () => {
    seen.length = 0;
    const doc = await exportedCheck(`http: ${appBase}/secret-away?token=\${API_TOKEN}\n  name: healthz`);
    expect(doc.exitCode).toBe(1);
    noSecret(doc);
    const line = `${appBase}/secret-away?token=\${API_TOKEN} redirected (302) to ${otherBase}: refused, another origin than ${appBase} (add follow: any to the check to allow it)`;
    expect(doc.stdout).toContain(`check healthz: attempt 1/1 failed: ${line}\n`);
    expect(doc.stderr).toContain(`check healthz failed after 1 attempt: ${line}`);
  });

  it('a secret var in the query: too many redirects', async () => {
    seen.length = 0;
    const doc = await exportedCheck(`http: ${appBase}/secret-loop?token=\${API_TOKEN}\n  name: healthz`);
    expect(doc.exitCode).toBe(1);
    noSecret(doc);
    const line = `too many redirects (more than 10) from ${appBase}/secret-loop?token=\${API_TOKEN}; the last one went to ${appBase}`;
    expect(doc.stdout).toContain(`check healthz: attempt 1/1 failed: ${line}\n`);
    expect(doc.stderr).toContain(`check healthz failed after 1 attempt: ${line}`);
  });

  it('a password in the URL: a refused redirect (the check unnamed, so named by its URL)', async () => {
    const host = appBase.slice('http://'.length);
    seen.length = 0;
    const away = await exportedCheck(`http: http://u:${PASSWORD}@${host}/away`);
    expect(away.exitCode).toBe(1);
    noSecret(away);
    const shown = `http://u:***@${host}/away`;
    expect(away.stderr).toContain(`check http ${shown} failed after 1 attempt: ${shown} redirected (302) to ${otherBase}: refused, another origin than ${appBase} (`);
  });

  it('a password in the URL: too many redirects (each next URL keeps the user info)', async () => {
    const host = appBase.slice('http://'.length);
    seen.length = 0;
    const loop = await exportedCheck(`http: http://u:${PASSWORD}@${host}/loop`);
    expect(loop.exitCode).toBe(1);
    noSecret(loop);
    expect(loop.stderr).toContain(`: too many redirects (more than 10) from http://u:***@${host}/loop; the last one went to ${appBase}\n`);
  });

  it('a password in the Location of a refused redirect', async () => {
    const doc = await exported('/sneaky');
    expect(doc.exitCode).toBe(1);
    // The user info of the Location is the check's own host and port: never shown, not taken for the host.
    expect(doc.stdout).toContain(`redirected (302) to ${otherBase}: refused, another origin than ${appBase} (`);
    expect(doc.stdout).not.toContain(`${appBase.slice('http://'.length)}@`);
  });
});

describe('the exported script in the Automation document', () => {
  it('the Automation document carries the same check: its installed script refuses the other host', async () => {
    const result = exportAutomationDocument(parseRunbook(runbook('/away'), 'redirects.md'), () => undefined, {});
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const script = [...archiveOf(result.document).values()].find((text) => text.includes('sg_probe_0'));
    expect(script).toBeDefined();
    expect(script).not.toMatch(/curl [^\n]*-L/);
    // Run asynchronously: the servers live in this process's event loop.
    const r = await runLines(["exec bash -s <<'STEPGATE_TEST_END'", ...(script ?? '').trimEnd().split('\n'), 'STEPGATE_TEST_END'], {}, 30);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain('refused, another origin than');
  });
});

function archiveOf(doc: SsmDocument): Map<string, string> {
  const install = ((doc.mainSteps[0]?.inputs as { Parameters?: { commands?: string[] } } | undefined)?.Parameters?.commands ?? []).join('\n');
  const b64 = /printf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d \| gzip -dc/.exec(install)?.[1] ?? '';
  const text = gunzipSync(Buffer.from(b64, 'base64')).toString('utf8');
  const files = new Map<string, string>();
  for (const m of text.matchAll(/^cat > "\$1\/([^"]+)" <<'(STEPGATE_FILE_END_*)'\n([\s\S]*?)^\2\n/gm)) files.set(m[1] ?? '', m[3] ?? '');
  return files;
}
