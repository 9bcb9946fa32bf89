/**
 * Plain mode with no terminal at all (cron, CI, a pipe): a step that reads stdin gets
 * end-of-file, an interactive step stops the walk at once, and stepgate's SIGTERM or SIGHUP
 * during a `run:` check leaves none of the check's processes behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { CLI } from '../helpers/paths.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processesWith, processGroupMembers, uniqueSleepSeconds } from '../helpers/process-scan.js';
import { waitFor } from '../exec/helpers.js';
import { collect, Workspace, type CliResult } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

/** The CLI's result, or a kill and null if it has not ended in `ms` (it waits for input nobody gives). */
async function endsWithin(child: ChildProcess, ms: number): Promise<CliResult | null> {
  const done = collect(child);
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const result = await done;
  clearTimeout(timer);
  return result.signal === 'SIGKILL' ? null : result;
}

const READER = `# Reads stdin

\`\`\`bash {name=reader}
read -r line; echo "read rc=$? line=[$line]"
\`\`\`
`;

describe('plain mode without a terminal', () => {
  it('a runbook path that does not exist is said as such, not as lint errors to fix (trial), by run and preflight', async () => {
    for (const command of ['run', 'preflight']) {
      const result = await ws.run([command, 'nothere.md', ...(command === 'run' ? ['--yes'] : [])]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('stepgate: nothere.md is not a runbook stepgate can read: check the path');
      expect(result.stderr).not.toContain('lint error');
    }
  });

  it('a step reading stdin gets end-of-file when stdin is /dev/null', async () => {
    const file = ws.write('reader.md', READER);
    const result = await endsWithin(ws.spawn(['run', file, '--yes']), 40_000);
    expect(result, 'stepgate waited for input nobody can type').not.toBeNull();
    expect(result?.stdout).toContain('read rc=1 line=[]');
    expect(result?.code).toBe(0);
  }, 60_000);

  it('a step reading stdin gets end-of-file when stdin is a pipe', async () => {
    const file = ws.write('reader.md', READER);
    // A pipe its writer keeps open: the step must not wait for it (nor read stepgate's stdin).
    const child = spawn(process.execPath, [CLI, 'run', file, '--yes'], { cwd: ws.dir, env: ws.env(), stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    child.stdin?.write('from the pipe\n');
    const result = await endsWithin(child, 40_000);
    child.stdin?.destroy();
    expect(result, 'stepgate waited for input nobody can type').not.toBeNull();
    expect(result?.stdout).toContain('read rc=1 line=[]');
  }, 60_000);

  it('an interactive step stops the walk at once, not started, saying why', async () => {
    const file = ws.write('ask.md', `# Asks

\`\`\`bash {name=first}
echo first-ran
\`\`\`

\`\`\`bash {name=ask interactive}
read -r -p "really? " answer; echo "answer=[$answer]"
\`\`\`
`);
    const result = await endsWithin(ws.spawn(['run', file, '--yes']), 40_000);
    expect(result).not.toBeNull();
    expect(result?.code).toBe(1);
    expect(result?.stdout).toContain('first-ran');
    expect(result?.stdout).toContain('STOPPED: step ask is interactive (it needs a person typing at a terminal) and stepgate has no terminal here');
    const [id] = ws.sessionIds();
    const started = ws.events(id ?? '').flatMap((e) => (e.type === 'step-started' ? [e.key] : []));
    expect(started).toHaveLength(1);
    expect(started[0]).toMatch(/first/);
  }, 60_000);

  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    it(`${signal} to stepgate during a run: check leaves none of the check's processes`, async () => {
      const seconds = uniqueSleepSeconds();
      const file = ws.write('check.md', `# Waits

\`\`\`check {retries=1}
run: sleep ${seconds}; true
timeout: 120s
\`\`\`
`);
      const child = ws.spawn(['run', file, '--yes']);
      const done = collect(child);
      const sleeper = await waitFor('the check to start its sleep', () => processesWith(`sleep ${seconds}`)[0], 30_000);
      const group = processGroupMembers(sleeper.pgid);
      expect(group.length).toBeGreaterThan(0);
      child.kill(signal);
      await done;
      await waitFor(`the check's process group ${sleeper.pgid} to be gone`, () => processGroupMembers(sleeper.pgid).length === 0, 15_000);
      expect(processesWith(`sleep ${seconds}`)).toEqual([]);
    }, 60_000);
  }
});
