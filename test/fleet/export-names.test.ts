/**
 * Names an export refuses in env: and vars:, at the entry (a secret-looking env entry would
 * be in clear in the document; the exported shell's own sg_ names, read off the generated
 * shells, run.sh included), and a runbook whose vars
 * share a name with a check's former locals (url, want, target, host, port, code), run as
 * the agent runs the document against a real HTTP server and a real listening socket.
 */
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { userInfo } from 'node:os';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportAutomationDocument, exportCommandDocument, formatProblem, type ExportResult, type SsmDocument } from '../../src/fleet/index.js';
import type { Runbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { SHELL_NAMES } from '../../src/fleet/step-shell.js';
import { runCommandDocument } from './agent-sim.js';

const USER = userInfo().username;

function books(files: Record<string, string>): { main: Runbook; load: (f: string) => Runbook | undefined } {
  const parsed = Object.fromEntries(Object.entries(files).map(([name, text]) => [name, parseRunbook(text, name)]));
  const main = parsed[Object.keys(files)[0] ?? ''];
  if (!main) throw new Error('no runbook');
  return { main, load: (f) => parsed[f] };
}

function problems(result: ExportResult): string[] {
  return result.ok ? [] : result.problems.map(formatProblem);
}

function ok(result: ExportResult): SsmDocument {
  if (!result.ok) throw new Error(result.problems.map(formatProblem).join('\n'));
  return result.document;
}

describe('env: entries with secret-looking names', () => {
  const { main, load } = books({
    'deploy.md': `---
title: Deploy
user: ${USER}
env:
  MODE: production
  DB_PASSWORD: hunter2-in-clear
  AUTHOR: Jane
  SSH_AUTH_SOCK: /tmp/agent.sock
  API_KEY: ""
before: checklists.md#pre
---
# Deploy

## Steps

\`\`\`bash {name=go}
echo go
\`\`\`
`,
    'checklists.md': `---
env:
  GITHUB_TOKEN: ghp_in_clear
---
# Checklists

## Pre

\`\`\`bash {name=pre}
echo pre
\`\`\`
`,
  });

  it('are refused at the entry, in the main runbook and a linked one, for both documents, saying what to do instead', () => {
    for (const exported of [exportCommandDocument(main, load, { paramStorePrefix: '/sg' }), exportAutomationDocument(main, load, { paramStorePrefix: '/sg' })]) {
      const said = problems(exported);
      expect(said.map((p) => p.slice(0, p.indexOf(' looks secret')))).toEqual(['deploy.md:6:3: env DB_PASSWORD', 'checklists.md:3:3: env GITHUB_TOKEN']);
      expect(said[0]).toContain('written in clear into the SSM document, which anyone allowed ssm:GetDocument reads: declare it under vars: instead');
      expect(said[0]).toContain('--param-store-prefix /PATH, keeping the value in Parameter Store as /PATH/DB_PASSWORD');
      expect(said.join('\n')).not.toContain('hunter2');
    }
  });

  it('as a secret var instead, the document carries a Parameter Store reference and not the value (an env: entry of the var\'s name never reaches it); empty and not-secret entries stay in env:', () => {
    const fixed = books({
      'deploy.md': `---
title: Deploy
user: ${USER}
vars:
  DB_PASSWORD: Database password
env:
  AUTHOR: Jane
  SSH_AUTH_SOCK: /tmp/agent.sock
  API_KEY: ""
  DB_PASSWORD: local-only-value
---
# Deploy

## Steps

\`\`\`bash {name=go}
echo go
\`\`\`
`,
    });
    const doc = ok(exportCommandDocument(fixed.main, fixed.load, { paramStorePrefix: '/sg' }));
    const text = JSON.stringify(doc);
    expect(text).toContain('={{ssm-secure:/sg/DB_PASSWORD}}=');
    const script = Buffer.from(/'([A-Za-z0-9+/=]{20,})'/.exec(text)?.[1] ?? '', 'base64').toString('utf8');
    expect(script).toContain("export AUTHOR='Jane'");
    expect(script).not.toContain('local-only-value');
  });
});

/** The Automation install step's archive, by file name (run.sh and each N.bash). */
function installedFiles(doc: SsmDocument): Map<string, string> {
  const install = ((doc.mainSteps[0]?.inputs as { Parameters?: { commands?: string[] } }).Parameters?.commands ?? []).join('\n');
  const packed = /printf '%s' '([A-Za-z0-9+/=]+)' \| base64 -d \| gzip -dc/.exec(install)?.[1] ?? '';
  const files = new Map<string, string>();
  for (const m of gunzipSync(Buffer.from(packed, 'base64')).toString('utf8').matchAll(/^cat > "\$1\/([^"]+)" <<'(STEPGATE_FILE_END_*)'\n([\s\S]*?)^\2\n/gm)) files.set(m[1] ?? '', m[3] ?? '');
  return files;
}

/** The variables a shell text sets (assignments, local, for, read) and the functions it defines. */
function namesMade(shell: string): { variables: Set<string>; functions: Set<string> } {
  const variables = new Set<string>();
  for (const m of shell.matchAll(/(?:^|[\s;(])(?:local\s+|export\s+)?([A-Za-z_][A-Za-z0-9_]*)=/gm)) variables.add(m[1] ?? '');
  for (const m of shell.matchAll(/\b(?:local|for|read -r)\s+([A-Za-z_][A-Za-z0-9_]*)/g)) variables.add(m[1] ?? '');
  // IFS= read is a setting for the one read, not a name of ours.
  variables.delete('IFS');
  const functions = new Set<string>();
  for (const m of shell.matchAll(/^([A-Za-z_][A-Za-z0-9_]*)\(\) \{/gm)) functions.add(m[1] ?? '');
  return { variables, functions };
}

describe("the exported shell's own names", () => {
  const CHECKS = `---
title: Deploy
user: ${USER}
vars:
  RELEASE: Release
  API_TOKEN: { prompt: Token, secret: true }
---
# Deploy

## Steps

\`\`\`bash {name=go}
echo go
\`\`\`

## Checks

\`\`\`check {name=all}
- http: http://127.0.0.1:1/x
  contains: x
- tcp: 127.0.0.1:1
- run: "true"
  contains: y
\`\`\`
`;

  it('are exactly the variables the generated shells set: the Command wrapper, run.sh and the value reader, and checks of every kind', () => {
    const { main, load } = books({ 'deploy.md': CHECKS });
    // With a secret var, so that the checks' sg_hide is among them.
    const command = ok(exportCommandDocument(main, load, { paramStorePrefix: '/sg' }));
    const lines = command.mainSteps.flatMap((s) => (s.inputs as { runCommand: string[] }).runCommand);
    const decoded = [...lines.join('\n').matchAll(/'([A-Za-z0-9+/=]{40,})'/g)].map((m) => Buffer.from(m[1] ?? '', 'base64').toString('utf8'));
    const commandShell = namesMade([...lines, ...decoded].join('\n'));
    const installed = installedFiles(ok(exportAutomationDocument(main, load, { paramStorePrefix: '/sg' })));
    const runSh = installed.get('run.sh') ?? '';
    expect(runSh).toContain('exec runuser -u "$sg_user"');
    const automationShell = namesMade([...installed.values()].join('\n'));
    const made = new Set([...commandShell.variables, ...automationShell.variables]);
    // run.sh's own (sg_file) is among them: only the Automation helper sets it.
    expect(namesMade(runSh).variables).toEqual(new Set(['sg_user', 'sg_file', 'sg_script', 'sg_bad', 'sg_name', 'sg_line']));
    expect([...made].sort()).toEqual([...SHELL_NAMES].sort());
    // Functions live apart from variables in bash, and keep out of the runbook's way by their prefix.
    expect([...commandShell.functions, ...automationShell.functions].filter((f) => !f.startsWith('sg_'))).toEqual([]);
  });

  it('refuse a var or env entry of one of them at the entry, for both documents; SG_ names (sh is case-sensitive) and sg_ names the shell does not set are the runbook\'s own', () => {
    const { main, load } = books({
      'deploy.md': `---
title: Deploy
user: ${USER}
vars:
  sg_user: Who
  sg_file: File
  SG_ID: Security group
  SG_USER: Another user
  sg_region: Region
env:
  sg_body: x
  SG_BODY: y
---
# Deploy

## Steps

\`\`\`bash {name=go}
echo "$SG_ID $SG_USER $sg_region $SG_BODY"
\`\`\`
`,
    });
    for (const exported of [exportCommandDocument(main, load), exportAutomationDocument(main, load)]) {
      const said = problems(exported);
      expect(said.map((p) => p.slice(0, p.indexOf(': the exported shell')))).toEqual(['deploy.md:11:3: env sg_body', 'deploy.md:5:3: var sg_user', 'deploy.md:6:3: var sg_file']);
      expect(said[1]).toContain('the exported shell sets sg_user for itself (sg_user picks the run-as user');
      expect(said[1]).toMatch(/rename it \(a name without the lower-case sg_ never meets the shell's own\)$/);
    }
  });

  describe('vars named as a check used to name its locals', () => {
    let http: Server;
    let tcp: TcpServer;
    let httpPort = 0;
    let tcpPort = 0;
    beforeAll(async () => {
      http = createHttpServer((req, res) => res.end(req.url === '/svc/health' ? 'status: ready' : 'nope'));
      tcp = createTcpServer((socket) => socket.end());
      await Promise.all([new Promise<void>((r) => http.listen(0, '127.0.0.1', r)), new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r))]);
      httpPort = (http.address() as { port: number }).port;
      tcpPort = (tcp.address() as { port: number }).port;
    });
    afterAll(async () => {
      await Promise.all([new Promise((r) => http.close(r)), new Promise((r) => tcp.close(r))]);
    });

    it('reach the check as their values (http, tcp and run, with contains)', { timeout: 60_000 }, async () => {
      const { main, load } = books({
        'deploy.md': `---
title: Deploy
user: ${USER}
vars:
  url: { prompt: Base URL }
  want: { prompt: Expected text }
  host: { prompt: Host }
  port: { prompt: Port }
  target: { prompt: Path }
  code: { prompt: Code }
---
# Deploy

## Checks

\`\`\`check {name=web}
http: \${url}/\${target}/health
contains: \${want}
retries: 1
timeout: 5s
\`\`\`

\`\`\`check {name=socket}
tcp: \${host}:\${port}
retries: 1
timeout: 5s
\`\`\`

\`\`\`check {name=script}
run: echo "code=$code"
contains: code=\${code}
retries: 1
timeout: 5s
\`\`\`
`,
      });
      const doc = ok(exportCommandDocument(main, load));
      const steps = await runCommandDocument(doc, { url: `http://127.0.0.1:${httpPort}`, want: 'ready', host: '127.0.0.1', port: String(tcpPort), target: 'svc', code: 'c-42' });
      expect(steps.map((s) => [s.name, s.exitCode, s.stdout.trim().replace(/^check .*: ok/, 'ok')])).toEqual([
        ['web', 0, 'ok (attempt 1/1)'],
        ['socket', 0, 'ok (attempt 1/1)'],
        ['script', 0, 'ok (attempt 1/1)'],
      ]);
    });
  });
});
