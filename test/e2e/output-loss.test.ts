/**
 * stepgate's output going away mid-step: the reader of a pipe leaves (EPIPE), or the terminal
 * really closes (a pty whose other side is gone: writes fail with EIO beside the SIGHUP). The
 * running step is stopped and journaled as a dropped terminal, the exit code says interrupted,
 * and nothing of the step runs on after stepgate has gone.
 */
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { processAlive, waitFor } from '../exec/helpers.js';
import { collect, Workspace } from './plain-harness.js';
import type { SessionEvent } from '../../src/session/types.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

/** A step that says which shell runs it, then prints forever; and a step after it. */
const ENDLESS = `# Endless

\`\`\`bash {name=endless}
echo $$ > shell.pid
seq 1 50
while true; do echo tick; sleep 0.05; done
\`\`\`

\`\`\`bash {name=after}
touch after-ran
\`\`\`
`;

function onlySession(): SessionEvent[] {
  const [id, ...more] = ws.sessionIds();
  expect(more).toEqual([]);
  return ws.events(id ?? '');
}

/** The journal says the terminal closed (by `cause`), once, and the step was stopped for it. */
function expectDropJournaled(cause: string): void {
  const events = onlySession();
  const closed = events.filter((e) => e.type === 'terminal-closed');
  expect(closed).toHaveLength(1);
  expect(closed[0]).toMatchObject({ signal: cause, kept: false });
  const finished = events.filter((e) => e.type === 'step-finished');
  expect(finished).toHaveLength(1);
  expect(finished[0]).toMatchObject({ interrupted: true });
  expect(String((finished[0] as { reason?: string }).reason)).toContain(cause);
  expect(events.some((e) => e.type === 'step-started' && (e as { key?: string }).key?.endsWith('#after'))).toBe(false);
}

/** The step's shell is gone soon after stepgate: the rest of the step does not run unsupervised. */
async function expectStepShellGone(): Promise<void> {
  const pid = Number(readFileSync(join(ws.dir, 'shell.pid'), 'utf8'));
  expect(pid).toBeGreaterThan(1);
  await waitFor(`the step's shell ${pid} to end`, () => !processAlive(pid), 20_000);
}

describe('output lost mid-step', () => {
  it('a pipe whose reader leaves (EPIPE): the step is stopped and journaled, exit 130, nothing after it runs', async () => {
    const file = ws.write('endless.md', ENDLESS);
    const child = ws.spawn(['run', file, '--yes']);
    const result = collect(child);
    // Read until the step prints, then go away as `| head -3` would.
    await new Promise<void>((resolve) => {
      let seen = '';
      child.stdout?.on('data', (d: Buffer) => {
        seen += d.toString();
        if (seen.includes('tick')) {
          child.stdout?.destroy();
          resolve();
        }
      });
    });
    const { code, stderr } = await result;
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('EPIPE: interrupting the running step');
    expectDropJournaled('EPIPE');
    await expectStepShellGone();
  }, 60_000);

  it('a file with no room left (`> deploy.log` on a full disk: EFBIG here): stopped and journaled, exit 130, no stack trace', async () => {
    const file = ws.write('flood.md', ENDLESS.replace('seq 1 50', 'seq 1 100000'));
    const log = join(ws.dir, 'deploy.log');
    // A file-size limit makes the kernel refuse the write for real, as a full disk would.
    const child = spawn('sh', ['-c', `exec prlimit --fsize=20000 "${process.execPath}" "${CLI}" run "${file}" --yes >"${log}"`], { cwd: ws.dir, env: ws.env(), stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    const { code, stderr } = await collect(child);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain('EFBIG: interrupting the running step');
    expect(stderr).not.toMatch(/Error: |\n\s+at /);
    expect(statSync(log).size).toBe(20000);
    expectDropJournaled('EFBIG');
    const trail = await ws.run(['log', ws.sessionIds()[0]!]);
    expect(trail.stdout).toContain("OUTPUT LOST (EFBIG: no room left where stepgate's output goes); the running step was stopped");
    await expectStepShellGone();
  }, 60_000);

  it('outside a session, output cut short for want of room is said, with exit 1, not a quiet exit 0', async () => {
    const file = ws.write('one.md', '# One\n\nSay it.\n\n```bash {name=one}\necho one\n```\n');
    expect((await ws.run(['run', file, '--yes'])).code).toBe(0);
    const [id] = ws.sessionIds();
    // `log` writes line by line: the line past the limit fails.
    const r = spawnSync('sh', ['-c', `exec prlimit --fsize=300 "${process.execPath}" "${CLI}" log ${id} >"${join(ws.dir, 'trail.txt')}"`], { cwd: ws.dir, env: ws.env(), encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^stepgate: EFBIG: file too large, write: the output is incomplete\n$/);
  });

  it('a single write cut short by the limit (`plan` writes once) is said too, not a quiet exit 0 with part of the file', () => {
    const file = ws.write('one.md', '# One\n\nSay it.\n\n```bash {name=one}\necho one\n```\n');
    const out = join(ws.dir, 'plan.txt');
    const whole = spawnSync(process.execPath, [CLI, 'plan', file], { cwd: ws.dir, env: ws.env(), encoding: 'utf8' });
    expect(whole.status).toBe(0);
    const limit = Math.floor(whole.stdout.length / 2);
    // Node's stdout to a file took write(2)'s count of a cut buffer as the whole of it.
    const r = spawnSync('sh', ['-c', `exec prlimit --fsize=${limit} "${process.execPath}" "${CLI}" plan "${file}" >"${out}"`], { cwd: ws.dir, env: ws.env(), encoding: 'utf8' });
    expect(statSync(out).size).toBe(limit);
    expect(r.stderr).toMatch(/^stepgate: EFBIG: file too large, write: the output is incomplete\n$/);
    expect(r.status).toBe(1);
  });

  it('a terminal that closes (EIO and SIGHUP together): journaled once, exit 130, and node does not abort resetting the dead terminal', async () => {
    const file = ws.write('endless.md', ENDLESS);
    const errors = join(ws.dir, 'stderr.txt');
    // stderr to a file: the terminal it would go to is the one that closes.
    const term = pty.spawn('/bin/sh', ['-c', `exec "${process.execPath}" "${CLI}" run "${file}" --yes 2>"${errors}"`], {
      name: 'xterm-256color',
      cols: 80,
      rows: 24,
      cwd: ws.dir,
      env: ws.env() as Record<string, string>,
    });
    const exited = new Promise<{ exitCode: number; signal?: number }>((resolve) => term.onExit(resolve));
    let seen = '';
    term.onData((d) => (seen += d));
    await waitFor('the step printing', () => seen.includes('tick'), 30_000);
    // What an SSH or SSM client's end does to the pty: its other side is closed (node-pty's
    // destroy() closes the master, then hangs up the child; its typings leave it out).
    (term as unknown as { destroy(): void }).destroy();
    const end = await exited;
    const text = readFileSync(errors, 'utf8');
    expect(text).not.toMatch(/Assertion failed|ResetStdio|Error: write/);
    expect(end.signal ?? 0, text).toBe(0);
    expect(end.exitCode, text).toBe(130);
    const events = onlySession();
    const cause = String(events.find((e) => e.type === 'terminal-closed')?.signal);
    // Which one the process sees first is the kernel's choice.
    expect(['SIGHUP', 'EIO']).toContain(cause);
    expectDropJournaled(cause);
    await expectStepShellGone();
  }, 60_000);

  it('the login shell hung up first, then its terminal closed (an SSM drop in tmux): no stack trace from restoring the dead terminal', async () => {
    const file = ws.write('endless.md', ENDLESS);
    const errors = join(ws.dir, 'stderr.txt');
    // bash is the terminal's session leader and stepgate its job, as at a login prompt.
    const term = pty.spawn('/bin/bash', ['-c', `"${process.execPath}" "${CLI}" run "${file}" --yes 2>"${errors}"; :`], {
      name: 'xterm-256color',
      cols: 80,
      rows: 24,
      cwd: ws.dir,
      env: ws.env() as Record<string, string>,
    });
    let seen = '';
    term.onData((d) => (seen += d));
    await waitFor('the step printing', () => seen.includes('tick'), 30_000);
    const stepgate = Number(readFileSync(`/proc/${term.pid}/task/${term.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    process.kill(term.pid, 'SIGHUP');
    (term as unknown as { destroy(): void }).destroy();
    await waitFor('stepgate to end', () => !processAlive(stepgate), 30_000);
    const text = readFileSync(errors, 'utf8');
    expect(text).not.toMatch(/setRawMode|Error: |\n\s+at /);
    expect(onlySession().some((e) => e.type === 'terminal-closed')).toBe(true);
  }, 60_000);
});
