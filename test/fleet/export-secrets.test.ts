/**
 * An exported check never prints the value of a secret var. Its messages go to the SSM
 * command output, which `fleet` journals, and nothing redacts them there: a review found a
 * tcp target, a `contains:`, a body that echoes the URL and curl's own error text printing a
 * Parameter Store secret in clear. The document runs here as the agent would run it (sh, then
 * bash as this user), with the secret written into the command where SSM would write it, against
 * real HTTP servers and a real closed port; each message must still say what failed.
 */
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkStepBash } from '../../src/fleet/step-shell.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, type SsmDocument } from '../../src/fleet/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { runCommandDocument, runLines } from './agent-sim.js';

const USER = userInfo().username;
const TOKEN = 'tok-5ecret-9f3a';

let app: http.Server;
let base = '';
/** A port nothing listens on: a refused connection. */
let closed = 0;
/** Each request's URL: the secret did reach the service, so the check really used it. */
const seen: string[] = [];

beforeAll(async () => {
  app = http.createServer((req, res) => {
    seen.push(req.url ?? '');
    if (req.url?.startsWith('/healthz')) {
      res.end('ok');
      return;
    }
    // As many servers do: the path asked for, query and all, in the error page.
    res.writeHead(500);
    res.end(`no route for ${req.url ?? ''}\n`);
  });
  await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(app.address() as AddressInfo).port}`;
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closed = (probe.address() as AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
});

afterAll(async () => {
  app.closeAllConnections();
  await new Promise((resolve) => app.close(resolve));
});

function runbookText(checks: string, secrets: Record<string, string>): string {
  const vars = Object.keys(secrets)
    .map((name) => `  ${name}: { prompt: ${name}, secret: true }\n`)
    .join('');
  return `---
title: Secrets
user: ${USER}
vars:
${vars}---
# Secrets

\`\`\`check {name=health}
${checks}
\`\`\`
`;
}

/**
 * The checks (YAML list items, each tried once within 3 s) as a Command document, each secret
 * written into the command where SSM writes its `{{ssm-secure:...}}` parameter's value.
 */
async function exported(checks: string, secrets: Record<string, string> = { API_TOKEN: TOKEN }): Promise<{ exitCode: number | null; stdout: string; stderr: string }> {
  const result = exportCommandDocument(parseRunbook(runbookText(checks, secrets), 'secrets.md'), () => undefined, { paramStorePrefix: '/x' });
  if (!result.ok) throw new Error(JSON.stringify(result.problems));
  const mainSteps = result.document.mainSteps.map((step) => {
    const inputs = step.inputs as { runCommand: string[] };
    let runCommand = inputs.runCommand;
    for (const [name, value] of Object.entries(secrets)) {
      const reference = `{{ssm-secure:/x/${name}}}`;
      expect(runCommand.join('\n')).toContain(reference);
      runCommand = runCommand.map((line) => line.split(reference).join(value));
    }
    return { ...step, inputs: { ...inputs, runCommand } };
  });
  const steps = await runCommandDocument({ ...result.document, mainSteps }, {});
  const last = steps.at(-1);
  if (!last) throw new Error('no step ran');
  return last;
}

/**
 * Neither the attempt's line nor the final one holds any of `secrets`; each says `message`
 * (all of it, or a RegExp for the part after `failed: `).
 */
function failedSaying(doc: { exitCode: number | null; stdout: string; stderr: string }, what: string, message: string | RegExp, secrets: string[] = [TOKEN]): void {
  expect(doc.exitCode).toBe(1);
  for (const value of secrets) for (const text of [doc.stdout, doc.stderr]) expect(text).not.toContain(value);
  if (typeof message === 'string') {
    expect(doc.stdout).toContain(`check ${what}: attempt 1/1 failed: ${message}\n`);
    expect(doc.stderr).toContain(`check ${what} failed after 1 attempt: ${message}\n`);
    return;
  }
  expect(doc.stdout.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^check ${what}: attempt 1/1 failed: ${message.source}$`)));
  expect(doc.stderr.split('\n')).toContainEqual(expect.stringMatching(new RegExp(`^check ${what} failed after 1 attempt: ${message.source}$`)));
}

const once = '\n  retries: 1\n  timeout: 3s';

describe('an exported check never prints a secret var', () => {
  it('tcp: names the target as written and says why bash could not connect (a secret host:port, a secret host)', async () => {
    const addr = `127.0.0.1:${closed}`;
    const refused = await exported(`- tcp: \${DB_ADDR}${once}`, { DB_ADDR: addr });
    failedSaying(refused, 'tcp ${DB_ADDR}', 'cannot connect to ${DB_ADDR}: Connection refused', [addr, `/${closed}`]);
    const unknown = await exported(`- tcp: \${API_TOKEN}.invalid:80\n  name: db${once}`);
    // The resolver's words vary (Name or service not known, Temporary failure in name resolution).
    failedSaying(unknown, 'db', /cannot connect to \$\{API_TOKEN\}\.invalid:80: [A-Z][a-z ]+/);
  });

  it('contains (http and run): quotes what the check looks for as written', async () => {
    const web = await exported(`- http: ${base}/healthz\n  contains: "release \${API_TOKEN}"\n  name: web${once}`);
    failedSaying(web, 'web', 'response does not contain "release ${API_TOKEN}"');
    const run = await exported(`- run: echo ok\n  contains: \${API_TOKEN}\n  name: cli${once}`);
    failedSaying(run, 'cli', 'output does not contain "${API_TOKEN}"');
  });

  it('bad status: a body that may echo a secret of the URL is not quoted; a body otherwise is', async () => {
    seen.length = 0;
    const echoed = await exported(`- http: ${base}/status?token=\${API_TOKEN}\n  name: api${once}`);
    expect(seen).toContain(`/status?token=${TOKEN}`);
    failedSaying(echoed, 'api', 'bad status 500 (expected 200-299): body not shown, the URL holds secret var API_TOKEN');
    const plain = await exported(`- http: ${base}/status\n  name: api${once}`);
    failedSaying(plain, 'api', 'bad status 500 (expected 200-299): no route for /status');
  });

  it("curl's error: a secret host is hidden, and a URL with [ or { in a value is requested, not globbed (curl's glob error quoted the URL)", async () => {
    const host = await exported(`- http: http://\${API_TOKEN}.invalid/healthz\n  name: api${once}`);
    failedSaying(host, 'api', 'curl: (6) Could not resolve host: [REDACTED].invalid');
    const glob = 'tok[5e{cret}-9f3a';
    const refused = await exported(`- http: http://127.0.0.1:${closed}/healthz?token=\${API_TOKEN}\n  name: api${once}`, { API_TOKEN: glob });
    failedSaying(refused, 'api', new RegExp(`curl: \\(7\\) Failed to connect to 127\\.0\\.0\\.1 port ${closed} .*`), [glob]);
    seen.length = 0;
    const passed = await exported(`- http: ${base}/healthz?token=\${API_TOKEN}${once}`, { API_TOKEN: glob });
    expect(passed.exitCode).toBe(0);
    expect(seen).toEqual([`/healthz?token=${glob}`]);
  });

  it("a run: check's output is quoted with each secret hidden, whatever its bytes, the longest first", async () => {
    const odd = `p*t?[x]\\&$(id)'"/%s ✓ ${TOKEN}`;
    const secrets = { API_TOKEN: TOKEN, ODD_SECRET: odd, LONG_SECRET: `${TOKEN}-and-more` };
    const doc = await exported(`- run: 'printf "%s|%s|%s|a*b?\\n" "$ODD_SECRET" "$LONG_SECRET" "$API_TOKEN"; exit 3'\n  name: cli${once}`, secrets);
    failedSaying(doc, 'cli', 'exit status 3: [REDACTED]|[REDACTED]|[REDACTED]|a*b?', Object.values(secrets));
  });

  // A document refuses a value of several lines (base64 it in Parameter Store); the check's own
  // bash still hides one, as stepgate's redactor does (a review ran checkStepBash with a key file).
  it('a secret of several lines that ends in a newline (a key file) is hidden at the end of an output, and line by line', () => {
    const pem = 'BEGIN-KEY\nabcdefghij\nEND-KEY\n';
    const run = (command: string): string => {
      const step = parseRunbook(`# K\n\nKey.\n\n\`\`\`check {name=cli}\n- run: '${command}'${once}\n\`\`\`\n`, 'k.md').steps[0];
      if (step?.kind !== 'check') throw new Error('no check');
      const r = spawnSync('bash', ['-c', checkStepBash(step, { env: {}, secrets: ['KEY_FILE'] })], { env: { ...process.env, KEY_FILE: pem }, encoding: 'utf8' });
      return r.stdout + r.stderr;
    };
    const atEnd = run('printf "%s" "$KEY_FILE"; exit 3');
    expect(atEnd).toContain('failed: exit status 3: [REDACTED]');
    for (const line of ['BEGIN-KEY', 'abcdefghij', 'END-KEY']) expect(atEnd).not.toContain(line);
    const aLine = run('echo "got $(echo "$KEY_FILE" | sed -n 2p) here"; exit 3');
    expect(aLine).toContain('failed: exit status 3: got [REDACTED] here');
    expect(aLine).not.toContain('abcdefghij');
  });

  it('a secret across the 200-byte cut of an output is hidden whole, not cut in two', async () => {
    const doc = await exported(`- run: 'printf "%s" "$API_TOKEN"; head -c 195 /dev/zero | tr "\\\\0" x; exit 1'\n  name: cli${once}`);
    failedSaying(doc, 'cli', `exit status 1: CTED]${'x'.repeat(195)}`, [TOKEN, TOKEN.slice(-5)]);
  });
});

/**
 * A check's bash run with curl, grep, timeout and bash found first in a folder of shims that
 * write down their arguments, then run the real program: what any user of the instance could
 * read in /proc/PID/cmdline while the check runs.
 */
async function argvOfCheck(checks: string, env: Record<string, string>): Promise<{ code: number | null; output: string; argv: string }> {
  const step = parseRunbook(`# A\n\nA check.\n\n\`\`\`check {name=health}\n${checks}\n\`\`\`\n`, 'a.md').steps[0];
  if (step?.kind !== 'check') throw new Error('no check');
  const dir = mkdtempSync(join(tmpdir(), 'stepgate-argv-'));
  try {
    const log = join(dir, 'argv.log');
    for (const program of ['curl', 'grep', 'timeout', 'bash']) {
      const real = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' }).stdout.trim();
      writeFileSync(join(dir, program), `#!/bin/sh\nprintf '%s\\n' "${program} $*" >> '${log}'\nexec '${real}' "$@"\n`);
      chmodSync(join(dir, program), 0o755);
    }
    const child = spawn('bash', ['-c', checkStepBash(step, { env: {}, secrets: Object.keys(env) })], { env: { ...process.env, ...env, PATH: `${dir}:${process.env.PATH ?? ''}` }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    return { code, output, argv: readFileSync(log, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("an exported check keeps secrets out of its programs' arguments", () => {
  it('http (the URL), contains (the text) and tcp (the host and port) reach curl, grep and bash another way', async () => {
    const listener = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const addr = `127.0.0.1:${(listener.address() as AddressInfo).port}`;
    try {
      seen.length = 0;
      const r = await argvOfCheck(`- http: ${base}/echo?token=\${API_TOKEN}\n  expect: 500\n  contains: \${API_TOKEN}${once}\n- tcp: \${DB_ADDR}${once}`, { API_TOKEN: TOKEN, DB_ADDR: addr });
      // Both checks passed: curl requested the secret URL, grep found the secret in the body
      // (the server echoes the path), bash connected to the secret address.
      expect(r.output).toContain('ok (attempt 1/1)');
      expect(r.code).toBe(0);
      expect(seen).toEqual([`/echo?token=${TOKEN}`]);
      for (const program of ['curl', 'grep', 'timeout', 'bash']) expect(r.argv).toMatch(new RegExp(`^${program} `, 'm'));
      expect(r.argv).not.toContain(TOKEN);
      expect(r.argv).not.toContain(addr);
      expect(r.argv).not.toContain(addr.split(':')[1]);
    } finally {
      await new Promise((resolve) => listener.close(resolve));
    }
  });

  it('a URL with quotes, backslashes or a line break is requested as written or refused, never read as more of curl\'s options', async () => {
    seen.length = 0;
    const odd = 'a"b\\c';
    const r = await argvOfCheck(`- http: ${base}/healthz?v=\${ODD}${once}`, { ODD: odd });
    expect(r.code).toBe(0);
    // As sent, or percent-escaped by curl: either way the value as written, not cut at the quote.
    expect([seen[0], decodeURIComponent(seen[0] ?? '')]).toContain(`/healthz?v=${odd}`);
    const broken = await argvOfCheck(`- http: ${base}/healthz?v=\${ODD}${once}`, { ODD: 'x\noutput = /tmp/stepgate-argv-owned' });
    expect(broken.code).toBe(1);
    expect(broken.output).toMatch(/curl: \(3\)/);
    expect(spawnSync('test', ['-e', '/tmp/stepgate-argv-owned']).status).toBe(1);
  });
});

describe('the Automation document', () => {
  it("its installed check script hides the secret too (the same bash, run by run.sh)", async () => {
    const text = runbookText(`- run: echo "token $API_TOKEN"; exit 2\n  name: cli${once}`, { API_TOKEN: TOKEN });
    const result = exportAutomationDocument(parseRunbook(text, 'secrets.md'), () => undefined, { paramStorePrefix: '/x' });
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    const script = [...archiveOf(result.document).values()].find((file) => file.includes('sg_probe_0')) ?? '';
    expect(script).toContain('sg_hide');
    const r = await runLines([`export API_TOKEN='${TOKEN}'`, "exec bash -s <<'STEPGATE_TEST_END'", ...script.trimEnd().split('\n'), 'STEPGATE_TEST_END'], {}, 30);
    failedSaying(r, 'cli', 'exit status 2: token [REDACTED]');
  });
});

function archiveOf(doc: SsmDocument): Map<string, string> {
  const install = ((doc.mainSteps[0]?.inputs as { Parameters?: { commands?: string[] } } | undefined)?.Parameters?.commands ?? []).join('\n');
  const b64 = /printf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d \| gzip -dc/.exec(install)?.[1] ?? '';
  const files = new Map<string, string>();
  for (const m of gunzipSync(Buffer.from(b64, 'base64')).toString('utf8').matchAll(/^cat > "\$1\/([^"]+)" <<'(STEPGATE_FILE_END_*)'\n([\s\S]*?)^\2\n/gm)) files.set(m[1] ?? '', m[3] ?? '');
  return files;
}
