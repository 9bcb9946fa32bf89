/**
 * A large runbook is parsed on a worker thread within a deadline and a heap limit (issue 13
 * item 8): past the deadline the command ends with a too-complex diagnostic naming the file and
 * the fix, and no parse. The deadline is forced to 1 ms here (no thread starts that fast), so
 * the test is about behaviour, not speed. The parse cache is off: a kept parse needs no deadline.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';

let dir: string;
const steps = Array.from({ length: 400 }, (_, i) => `Step ${i}.\n\n\`\`\`bash {name=s${i}}\necho ${i}\n\`\`\`\n`).join('\n');
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-deadline-'));
  writeFileSync(join(dir, 'big.md'), `# Big\n\n${steps}`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const plan = (env: Record<string, string>) =>
  spawnSync(process.execPath, [CLI, 'plan', 'big.md'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: 'true', STEPGATE_STATE_DIR: join(dir, 'state'), STEPGATE_PARSE_CACHE: 'off', ...env }, encoding: 'utf8', timeout: 60_000 });

describe('parse deadline', () => {
  it('refuses a runbook not parsed within the deadline, naming the file and the fix', () => {
    const r = plan({ STEPGATE_PARSE_DEADLINE_MS: '1' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/big\.md:1:1: error too-complex: runbook could not be parsed within 1 ms of CPU time and \d+ MB of heap .*split it into linked runbooks/);
  });

  it('parses the same runbook on the worker when there is time', () => {
    const r = plan({ STEPGATE_PARSE_DEADLINE_MS: '60000' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('s399');
  });
});

describe("the parser's CPU time", () => {
  it('counts one thread, not the whole process: a busy thread beside an idle one', async () => {
    const { ownThreadId, threadCpuMs } = await import('../../src/commands/parse-bounded.js');
    const { Worker } = await import('node:worker_threads');
    // An idle worker says its kernel thread id, then waits; this thread burns 400 ms of CPU.
    const idle = new Worker(`const { parentPort } = require('node:worker_threads'); const tid = Number(require('node:fs').readlinkSync('/proc/thread-self').split('/').pop()); parentPort.postMessage(tid); setInterval(() => {}, 1000);`, { eval: true });
    try {
      const tid = await new Promise<number>((resolve) => idle.once('message', resolve));
      const mine = ownThreadId();
      expect(mine).toBeGreaterThan(0);
      expect(mine).not.toBe(tid);
      const idleBefore = threadCpuMs(tid)!;
      const mineBefore = threadCpuMs(mine!)!;
      const until = process.cpuUsage().user + 400_000;
      while (process.cpuUsage().user < until) Math.sqrt(Math.random());
      // /proc counts in 10 ms ticks; the idle thread gets none of this thread's work.
      expect(threadCpuMs(mine!)! - mineBefore).toBeGreaterThanOrEqual(300);
      expect(threadCpuMs(tid)! - idleBefore).toBeLessThan(100);
    } finally {
      await idle.terminate();
    }
  });

  it('is undefined for a thread that is not there', async () => {
    const { threadCpuMs } = await import('../../src/commands/parse-bounded.js');
    expect(threadCpuMs(2 ** 30)).toBeUndefined();
  });
});

describe('the deadline in wall time', () => {
  it('refuses at the deadline in CPU time, however soon in wall time', async () => {
    const { pastDeadline } = await import('../../src/commands/parse-bounded.js');
    expect(pastDeadline(2_000, 2_000, 2_000)).toBe(true);
    expect(pastDeadline(1_999, 1_999, 2_000)).toBe(false);
  });

  it('refuses at the deadline in wall time a parser that had a good share of a core', async () => {
    const { WALL_CAP_FLOOR, pastDeadline } = await import('../../src/commands/parse-bounded.js');
    // Load 2 on 2 cores: two thirds of a core, 1.3 s of CPU time in 2 s.
    expect(pastDeadline(1_300, 2_000, 2_000)).toBe(true);
    expect(pastDeadline(1_300, 1_999, 2_000)).toBe(false);
    expect(pastDeadline(2_000 * WALL_CAP_FLOOR, 2_000, 2_000)).toBe(true);
  });

  it('gives a starved parser its whole deadline in CPU time, up to five times it in wall time', async () => {
    const { WALL_CAP_FLOOR, pastDeadline } = await import('../../src/commands/parse-bounded.js');
    // Load 10: a tenth of a core. The 10,000-line runbook's parse needs well under the floor.
    expect(pastDeadline(2_000 * WALL_CAP_FLOOR - 10, 9_000, 2_000)).toBe(false);
    expect(pastDeadline(900, 9_999, 2_000)).toBe(false);
    expect(pastDeadline(900, 10_000, 2_000)).toBe(true);
  });
});
