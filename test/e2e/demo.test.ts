/**
 * The demo a new user runs first, end to end through the built CLI in plain mode: the real
 * pty shell, the real demo service on 127.0.0.1, real HTTP health checks. Each run gets its own
 * port, temporary directory and state directory, so parallel runs cannot clash.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { freePort } from '../helpers/free-port.js';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { journalEvents } from './tui-harness.js';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');

interface DemoRun {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
  port: number;
  /** The demo host's directory the runbook creates (and removes when it completes). */
  demoHome: string;
  stateDir: string;
}

const workDirs: string[] = [];
const demoHomes: string[] = [];


async function runDemo(args: string[], extraEnv: Record<string, string> = {}): Promise<DemoRun> {
  const work = mkdtempSync(join(tmpdir(), 'stepgate-demo-test-'));
  workDirs.push(work);
  const tmp = join(work, 'tmp');
  mkdirSync(tmp);
  const port = await freePort();
  const env: Record<string, string | undefined> = {
    ...process.env,
    // Plain mode answers a runbook var from STEPGATE_VAR_<NAME> (see src/plain/run-plain.ts).
    STEPGATE_VAR_DEMO_PORT: String(port),
    DEMO_PORT: undefined,
    DEMO_UNHEALTHY: undefined,
    TMPDIR: tmp,
    STEPGATE_STATE_DIR: join(work, 'state'),
    NO_COLOR: '1',
    ...extraEnv,
  };
  const demoHome = join(tmp, `stepgate-demo-${userInfo().username}-${port}`);
  demoHomes.push(demoHome);
  const result = await execa(process.execPath, [cli, 'run', 'runbooks/demo/deploy.md', '--yes', ...args], {
    cwd: root,
    env,
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    // About 20 s alone; a loaded machine (other suites beside this one) made it pass 90 s, and
    // this limit killed the run (exit undefined) before it could end.
    timeout: 240_000,
  });
  return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, port, demoHome, stateDir: join(work, 'state') };
}

async function get(port: number, path: string): Promise<{ status: number; body: string } | 'refused'> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return 'refused';
  }
}

function explain(run: DemoRun): string {
  return `exit ${String(run.exitCode)}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`;
}

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: run npm run build first (npm test does)`);
});

afterEach(() => {
  // A run that stopped half-way (or rolled back, which leaves 1.0.0 serving as a real roll back
  // would) still has a demo service: stop it by its pid file, then remove everything.
  for (const home of demoHomes.splice(0)) {
    try {
      const pid = Number(readFileSync(join(home, 'service.pid'), 'utf8').trim());
      if (pid > 0) process.kill(pid, 'SIGTERM');
    } catch {
      // No service left running.
    }
  }
  for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('the demo, in plain mode', () => {
  it('redeploys 1.1.0, passes both health checks and the checklists, and cleans up', async () => {
    const run = await runDemo([]);
    expect(run.exitCode, explain(run)).toBe(0);
    expect(run.stdout).toMatch(/started 1\.0\.0 as pid \d+, listening on http:\/\/127\.0\.0\.1:\d+/);
    expect(run.stdout).toMatch(/started 1\.1\.0 as pid \d+/);
    expect(run.stdout).toContain(`removed ${run.demoHome}`);
    // The clean-up checklist stopped the service and removed the demo host.
    expect(existsSync(run.demoHome)).toBe(false);
    expect(await get(run.port, '/healthz')).toBe('refused');
    const events = journalEvents(run.stateDir, { only: true });
    expect(events[0]?.type).toBe('session-started');
    const finished = events.filter((e) => e.type === 'step-finished');
    expect(finished.length).toBeGreaterThanOrEqual(14);
    expect(finished.every((e) => e.ok === true)).toBe(true);
  }, 300_000);

  it('blocks at the health gate when the new release is unhealthy, and exits 1 naming the roll back', async () => {
    const run = await runDemo([], { DEMO_UNHEALTHY: '1' });
    expect(run.exitCode, explain(run)).toBe(1);
    const output = `${run.stdout}\n${run.stderr}`;
    expect(output).toContain('healthz');
    expect(output).toContain('recovery.md#roll-back-to-the-previous-release');
    // Nothing past the gate ran: 1.1.0 is still the one serving, and failing.
    const health = await get(run.port, '/healthz');
    expect(health).not.toBe('refused');
    expect(health !== 'refused' && health.status).toBe(503);
    expect(existsSync(run.demoHome)).toBe(true);
  }, 300_000);

  it('with --recover, rolls back to 1.0.0 and ends the session as rolled back', async () => {
    const run = await runDemo(['--recover'], { DEMO_UNHEALTHY: '1' });
    // Rolled back is not a completed deploy: non-zero, so a pipeline notices.
    expect(run.exitCode, explain(run)).toBe(1);
    expect(`${run.stdout}\n${run.stderr}`).toMatch(/rolled.back/i);
    const health = await get(run.port, '/healthz');
    expect(health !== 'refused' && health.status, explain(run)).toBe(200);
    expect(health !== 'refused' && JSON.parse(health.body)).toMatchObject({ status: 'ok', version: '1.0.0' });
    const events = journalEvents(run.stateDir, { only: true });
    const decisions = events.filter((e) => e.type === 'decision').map((e) => e.decision as { kind: string; path?: { label: string } });
    expect(decisions.some((d) => d.kind === 'recover' && /roll-back-to-the-previous-release/.test(d.path?.label ?? ''))).toBe(true);
    // The post-deploy and clean-up checklists never ran: the session ended at the roll back.
    expect(run.stdout).not.toContain(`removed ${run.demoHome}`);
  }, 300_000);
});
