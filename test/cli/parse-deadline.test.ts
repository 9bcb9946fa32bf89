/**
 * A large runbook is parsed on a worker thread within a deadline and a heap limit (issue 13
 * item 8): past the deadline the command ends with a too-complex diagnostic naming the file and
 * the fix, and no parse. The deadline is forced to 1 ms here (no thread starts that fast), so
 * the test is about behaviour, not speed.
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
  spawnSync(process.execPath, [CLI, 'plan', 'big.md'], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: 'true', ...env }, encoding: 'utf8', timeout: 60_000 });

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
