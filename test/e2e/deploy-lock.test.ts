/**
 * The runbook's deploy lock (`lock:` front matter, src/commands/runbook-lock.ts): a second run
 * of the same runbook is refused at once in plain mode, naming the holder; `--wait-lock` waits
 * for it; `--steal-lock REASON` takes it over and the holder stops, resumable.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { removeRequesterScript, requesterScript, runRequester } from '../helpers/lock-requester.js';
import { checkoutUnreachable, createUser, removeUser } from '../helpers/test-users.js';
import { Workspace, collect, waitForOutput } from './plain-harness.js';
import { startTui, type Tui, until } from './tui-harness.js';
import type { SessionEvent } from '../../src/session/types.js';

let ws: Workspace;
const tuis: Tui[] = [];
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => {
  for (const tui of tuis.splice(0)) {
    try {
      tui.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  ws.remove();
});

function lockEvents(id: string): Array<Extract<SessionEvent, { type: 'lock-taken-over' }>> {
  return ws.events(id).flatMap((e) => (e.type === 'lock-taken-over' ? [e] : []));
}

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

  it("is held by the TUI and by resume; a take-over is journaled in the thief's session and the holder's", async () => {
    const lock = `test-deploy-${randomBytes(4).toString('hex')}`;
    ws.write('deploy.md', runbook(lock));
    const tui = startTui(['deploy.md'], ws.dir, ws.state);
    tuis.push(tui);
    await tui.waitFor('READY 1/1 hold', 60_000);
    tui.press('\r');
    await tui.waitFor('RUNNING hold');
    const [tuiId] = ws.sessionIds();
    expect(tuiId).toBeDefined();

    // A plain run beside the TUI is refused, naming the TUI's session and step.
    const refused = await ws.run(['run', 'deploy.md', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`the lock ${lock} is held by`);
    expect(refused.stderr).toMatch(new RegExp(`session ${tuiId}, since .*, at hold`));
    // So is a second TUI, in stepgate's words as plain run's (a trial's lacked `stepgate: `).
    const second = startTui(['deploy.md'], ws.dir, ws.state);
    tuis.push(second);
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(`stepgate: the lock ${lock} is held by`);

    // Taken over: the TUI stops its step and leaves, both journals say who, from whom and why.
    const thief = ws.spawn(['run', 'deploy.md', '--yes', '--steal-lock', 'the TUI operator went home']);
    const thiefDone = collect(thief);
    await waitForOutput(thief, 'holding');
    expect(await tui.exited).not.toBe(0);
    const ids = ws.sessionIds();
    const thiefId = ids.find((id) => id !== tuiId) ?? '';
    const lost = await until('the holder journaled the loss', () => lockEvents(tuiId ?? '').find((e) => e.side === 'lost'));
    // The holder journals the thief's user as its uid proved it; pid and session as claimed.
    expect(lost).toMatchObject({ lock, reason: 'the TUI operator went home', by: { session: thiefId, pid: thief.pid, uid: process.getuid?.(), user: userInfo().username } });
    const tuiFinished = ws.events(tuiId ?? '').find((e) => e.type === 'step-finished');
    expect(tuiFinished).toMatchObject({ interrupted: true });
    expect(String((tuiFinished as { reason?: string }).reason)).toContain('taken over by');
    const took = lockEvents(thiefId).find((e) => e.side === 'took');
    expect(took).toMatchObject({ lock, reason: 'the TUI operator went home', from: { session: tuiId }, by: { session: thiefId } });
    const log = await ws.run(['log', tuiId ?? '']);
    expect(log.stdout).toMatch(new RegExp(`LOCK ${lock} LOST to ${userInfo().username} \\(uid ${process.getuid?.()}; claimed: pid ${thief.pid}, session ${thiefId}(, login \\S+)?\\): the TUI operator went home`));
    const report = await ws.run(['report', thiefId]);
    expect(report.stdout).toMatch(/\*\*Deploy lock\*\* \| .*taken over by \S+ from \S+ \(session \S+\): the TUI operator went home/);

    // While the thief holds it, resuming the TUI's session is refused as well, in plain mode and in the TUI.
    const plainResume = await ws.run(['resume', tuiId ?? '', '--yes', '--rerun-interrupted']);
    expect(plainResume.code, plainResume.stderr).toBe(1);
    expect(plainResume.stderr).toMatch(new RegExp(`the lock ${lock} is held by .*session ${thiefId}`));
    const tuiResume = startTui(['resume', tuiId ?? ''], ws.dir, ws.state);
    tuis.push(tuiResume);
    expect(await tuiResume.exited).toBe(1);
    expect(tuiResume.screen()).toContain(`the lock ${lock} is held by`);
    writeFileSync(join(ws.dir, 'go'), '');
    expect((await thiefDone).code).toBe(0);

    // Free again: the resumed TUI holds it, and a plain run beside it is refused.
    const resumed = startTui(['resume', tuiId ?? ''], ws.dir, ws.state);
    tuis.push(resumed);
    // The TUI takes the lock before its first frame.
    await resumed.waitFor(/hold/, 60_000);
    const beside = await ws.run(['run', 'deploy.md', '--yes']);
    expect(beside.code).toBe(1);
    expect(beside.stderr).toMatch(new RegExp(`session ${tuiId}`));
  }, 240_000);

  it.skipIf(process.getuid?.() !== 0)('is not taken over by another local user, whatever it claims: the run goes on and nothing is journaled as lost', async () => {
    const lock = `test-deploy-${randomBytes(4).toString('hex')}`;
    ws.write('deploy.md', runbook(lock));
    const holder = ws.spawn(['run', 'deploy.md', '--yes']);
    const holderDone = collect(holder);
    await waitForOutput(holder, 'holding');
    const [id] = ws.sessionIds();
    const user = createUser('sglk');
    const { dir, script } = requesterScript();
    try {
      // The reported attack: the socket written to directly, claiming root, the challenge answered.
      const forged = runRequester(script, 'own', `runbook:${lock}`, { user });
      await forged.done;
      expect(String(forged.got.at(-1)?.refused)).toMatch(new RegExp(`^only root can take it over: its process runs as root \\(uid 0\\), you are ${user} \\(uid \\d+\\)$`));
      const raw = runRequester(script, 'raw', `runbook:${lock}`, { user });
      await raw.done;

      // stepgate itself, run by that user with --steal-lock, is told who can take it over.
      if (checkoutUnreachable() === undefined) {
        const mine = join(dir, 'mine');
        mkdirSync(mine);
        writeFileSync(join(mine, 'deploy.md'), runbook(lock));
        execFileSync('chown', ['-R', `${user}:`, mine]);
        chmodSync(mine, 0o755);
        const thief = await collect(
          spawnAs(user, [CLI, 'run', join(mine, 'deploy.md'), '--yes', '--steal-lock', 'forged'], { STEPGATE_STATE_DIR: join(mine, 'state') }, mine),
        );
        expect(thief.code, thief.stderr).toBe(1);
        expect(thief.stderr).toMatch(new RegExp(`the lock ${lock} is held by \\S+ \\(pid ${holder.pid} on \\S+\\).*; only root can take it over: its process runs as root \\(uid 0\\), you are ${user}`));
      }

      writeFileSync(join(ws.dir, 'go'), '');
      const done = await holderDone;
      expect(done.code, done.stderr).toBe(0);
      expect(done.stderr).not.toContain('taken over');
      expect(lockEvents(id ?? '')).toEqual([]);
    } finally {
      removeRequesterScript(dir);
      removeUser(user);
    }
  }, 240_000);
});

/** The built CLI as another user (runuser), without a terminal: plain mode, as in plain-harness. */
function spawnAs(user: string, args: string[], env: Record<string, string>, cwd: string): ChildProcess {
  const vars = Object.entries({ CI: 'false', NO_COLOR: '1', ...env }).map(([k, v]) => `${k}=${v}`);
  return spawn('runuser', ['-u', user, '--', 'env', ...vars, process.execPath, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
}
