/**
 * The exported Command document against `stepgate run`: the same runbook, the same local HTTP
 * server, the same failure patterns (files a step or check tests for). The document's own
 * shell runs in sh/bash here as the agent would run it on a host; both must reach the same
 * steps, in the same order, with the same outcome, and leave the same traces.
 */
import { userInfo } from 'node:os';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportCommandDocument } from '../../src/fleet/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { HealthServer, Workspace } from '../e2e/plain-harness.js';
import { runCommandDocument } from './agent-sim.js';

/** The user the test runs as: what `--as` gives a runbook that names none, as `stepgate run` runs it. */
const USER = userInfo().username;

let ws: Workspace;
let server: HealthServer;
let file: string;
const healthy = (): string => join(ws.dir, 'healthy');
// Quotes, a command substitution and braces: a value must arrive as data, never as code.
const GREETING = `it's {{ fine }} $(touch injected) \`touch injected2\` "q"`;

function runbookText(dir: string): string {
  return `---
title: Differential redeploy
cwd: ${dir}
vars:
  PORT: { prompt: Port of the service }
  GREETING: { prompt: Greeting, default: hello }
env:
  ORDER: ${dir}/order.log
---
# Differential redeploy

## Deploy

Record the pull and the greeting, as data.

\`\`\`bash {name=pull}
echo pull >> "$ORDER"
printf '%s\\n' "$GREETING" > greeting.txt
test ! -e fail-pull
\`\`\`

Record the build; the braces below are the step's own text, not a document parameter.

\`\`\`bash {name=build timeout=30s}
echo build >> "$ORDER"
echo '{{ not a parameter }}' > braces.txt
test ! -e fail-build
\`\`\`

## Health

Both must answer, with retries.

\`\`\`check {name=health}
- name: healthz
  http: http://127.0.0.1:\${PORT}/healthz
  retries: 3
  backoff: 50ms
  timeout: 2s
- tcp: 127.0.0.1:\${PORT}
  retries: 2
  backoff: 50ms
- run: test ! -e fail-run-check
  retries: 2
  backoff: 50ms
\`\`\`

Finish.

\`\`\`bash {name=finish}
echo finish >> "$ORDER"
\`\`\`
`;
}

const TRACES = ['order.log', 'greeting.txt', 'braces.txt', 'injected', 'injected2'];

function reset(pattern: string[]): void {
  for (const name of [...TRACES, 'fail-pull', 'fail-build', 'fail-run-check', 'healthy']) rmSync(join(ws.dir, name), { force: true });
  for (const name of pattern) writeFileSync(join(ws.dir, name), '');
}

function traces(): Record<string, string | null> {
  return Object.fromEntries(TRACES.map((n) => [n, existsSync(join(ws.dir, n)) ? readFileSync(join(ws.dir, n), 'utf8') : null]));
}

beforeAll(async () => {
  ws = new Workspace();
  server = await new HealthServer(healthy()).start();
  file = ws.write('differential.md', runbookText(ws.dir));
});

afterAll(async () => {
  await server.stop();
  ws.remove();
});

const PATTERNS: Array<{ name: string; files: string[] }> = [
  { name: 'all pass', files: ['healthy'] },
  { name: 'pull fails', files: ['healthy', 'fail-pull'] },
  { name: 'build fails', files: ['healthy', 'fail-build'] },
  { name: 'service unhealthy', files: [] },
  { name: 'run check fails', files: ['healthy', 'fail-run-check'] },
];

describe('exported Command document vs stepgate run', () => {
  for (const pattern of PATTERNS) {
    it(`same steps, order, outcome and traces: ${pattern.name}`, { timeout: 120_000 }, async () => {
      const runbook = parseRunbook(readFileSync(file, 'utf8'), file);
      const exported = exportCommandDocument(runbook, () => undefined, { user: USER });
      if (!exported.ok) throw new Error(exported.problems.map((p) => p.message).join('\n'));
      const vars = { PORT: String(server.port), GREETING };

      reset(pattern.files);
      const before = ws.sessionIds();
      const run = await ws.run(['run', file, '--yes', '--var', `PORT=${vars.PORT}`, '--var', `GREETING=${GREETING}`]);
      const id = ws.newSessionId(before);
      const finished = ws.events(id).flatMap((e) => (e.type === 'step-finished' ? [{ step: e.key.split(/[#/:]/).at(-1) ?? e.key, ok: e.ok }] : []));
      const stepgateTraces = traces();

      reset(pattern.files);
      const simulated = await runCommandDocument(exported.document, vars);
      const documentSteps = simulated.map((s) => ({ step: s.name, ok: s.exitCode === 0 }));

      expect(documentSteps, `stepgate: ${run.stdout}\n${run.stderr}\ndocument: ${JSON.stringify(simulated, null, 1)}`).toEqual(finished);
      expect(simulated.every((s) => s.exitCode === 0) ? 0 : 1).toBe(run.code);
      expect(traces()).toEqual(stepgateTraces);
      expect(stepgateTraces.injected).toBeNull();
      expect(stepgateTraces.injected2).toBeNull();
    });
  }

  it('reports a failing check with its attempts, and exits non-zero on the last one', async () => {
    const runbook = parseRunbook(readFileSync(file, 'utf8'), file);
    const exported = exportCommandDocument(runbook, () => undefined, { user: USER });
    if (!exported.ok) throw new Error('export failed');
    reset([]);
    const simulated = await runCommandDocument(exported.document, { PORT: String(server.port) });
    const health = simulated.at(-1);
    expect(health?.name).toBe('health');
    expect(health?.exitCode).toBe(1);
    expect(health?.stdout).toContain('check healthz: attempt 3/3 failed: bad status 503 (expected 200-299): not ready');
    expect(health?.stderr).toContain('check healthz failed after 3 attempts');
    expect(readFileSync(join(ws.dir, 'greeting.txt'), 'utf8')).toBe('hello\n');
  });

  it('a var and an env: entry of one name: the var wins, in stepgate run and in the document (steps and checks)', { timeout: 120_000 }, async () => {
    const shadow = ws.write(
      'shadow.md',
      `---
title: Shadow
cwd: ${ws.dir}
vars:
  MODE: { prompt: Mode }
env:
  MODE: from-env
  KEPT: kept-env
---
# Shadow

## Steps

\`\`\`bash {name=record}
printf '%s %s\\n' "$MODE" "$KEPT" > mode.txt
\`\`\`

\`\`\`check {name=mode}
run: test "$MODE" = from-var
retries: 1
\`\`\`
`,
    );
    const mode = (): string => readFileSync(join(ws.dir, 'mode.txt'), 'utf8');
    const run = await ws.run(['run', shadow, '--yes', '--var', 'MODE=from-var']);
    expect(run.code, run.stderr).toBe(0);
    expect(mode()).toBe('from-var kept-env\n');
    rmSync(join(ws.dir, 'mode.txt'));
    const exported = exportCommandDocument(parseRunbook(readFileSync(shadow, 'utf8'), shadow), () => undefined, { user: USER });
    if (!exported.ok) throw new Error(exported.problems.map((p) => p.message).join('\n'));
    const simulated = await runCommandDocument(exported.document, { MODE: 'from-var' });
    expect(simulated.map((s) => [s.name, s.exitCode])).toEqual([['record', 0], ['mode', 0]]);
    expect(mode()).toBe('from-var kept-env\n');
  });
});
