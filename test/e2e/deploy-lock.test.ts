/**
 * The runbook's deploy lock (`lock:` front matter, src/commands/runbook-lock.ts): a second run
 * of the same runbook is refused at once in plain mode, naming the holder; `--wait-lock` waits
 * for it; `--steal-lock REASON` takes it over and the holder stops, resumable.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace, collect, waitForOutput } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

function runbook(lock: string): string {
  return `---\ntitle: Locked deploy\nlock: ${lock}\n---\n# Locked deploy\n\n## Wait\n\nWait until the test says go.\n\n\`\`\`bash {name=hold}\necho holding; while [ ! -f go ]; do sleep 0.1; done; echo released\n\`\`\`\n`;
}

describe('the deploy lock', () => {
  it('refuses a second run at once naming the holder, lets --wait-lock wait, and --steal-lock take it over', async () => {
    const lock = `test-deploy-${randomBytes(4).toString('hex')}`;
    ws.write('deploy.md', runbook(lock));
    const first = ws.spawn(['run', 'deploy.md', '--yes']);
    const firstDone = collect(first);
    await waitForOutput(first, 'holding');

    const refused = await ws.run(['run', 'deploy.md', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(new RegExp(`the lock ${lock} is held by \\S+ \\(pid ${first.pid} on \\S+\\), session \\d{8}-\\d{6}-[0-9a-f]+, since .* UTC \\(\\d+ min ago\\), at hold`));
    expect(refused.stderr).toContain('--wait-lock');
    expect(ws.sessionIds()).toHaveLength(1);

    const waiting = ws.spawn(['run', 'deploy.md', '--yes', '--wait-lock']);
    const waitingDone = collect(waiting);
    let waitErr = '';
    waiting.stderr?.on('data', (d: Buffer) => (waitErr += d.toString()));
    for (let i = 0; i < 200 && !waitErr.includes('waiting:'); i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(waitErr).toContain(`waiting: the lock ${lock} is held by`);
    writeFileSync(join(ws.dir, 'go'), '');
    expect((await firstDone).code).toBe(0);
    const waited = await waitingDone;
    expect(waited.code, waited.stderr).toBe(0);
    expect(waited.stdout).toContain('== completed ==');

    // Take it over from a holder that is stuck at its step.
    ws.write('deploy.md', runbook(lock).replace('while [ ! -f go ]', 'while [ ! -f go2 ]'));
    const stuck = ws.spawn(['run', 'deploy.md', '--yes']);
    const stuckDone = collect(stuck);
    await waitForOutput(stuck, 'holding');
    const taker = ws.spawn(['run', 'deploy.md', '--yes', '--steal-lock', 'the first operator lost their connection']);
    const takerDone = collect(taker);
    await waitForOutput(taker, 'holding');
    const gone = await stuckDone;
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toContain('the lock of this runbook was taken over by');
    expect(gone.stderr).toContain('the first operator lost their connection');
    writeFileSync(join(ws.dir, 'go2'), '');
    const took = await takerDone;
    expect(took.code, took.stderr).toBe(0);
    expect(took.stderr).toMatch(/took the lock over from \S+ \(pid \d+, session \S+\): the first operator lost their connection/);
  }, 240_000);
});
