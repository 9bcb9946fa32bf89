/**
 * `stepgate run` on a real terminal (node-pty): keys typed reach the running step with the
 * step's own echo, and Ctrl-C interrupts the step and ends the run with 130.
 */
import pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

interface Term {
  output(): string;
  write(data: string): void;
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  exit: Promise<number>;
}

function spawnTerm(args: string[]): Term {
  const env = Object.fromEntries(Object.entries(ws.env()).filter((e): e is [string, string] => e[1] !== undefined));
  const p = pty.spawn(process.execPath, [CLI, ...args], { cols: 100, rows: 30, cwd: ws.dir, env });
  let out = '';
  p.onData((d) => (out += d));
  const exit = new Promise<number>((resolve) => p.onExit(({ exitCode }) => resolve(exitCode)));
  return {
    output: () => out,
    write: (data) => p.write(data),
    waitFor: (text, timeoutMs = 20_000) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = (): void => {
          if (out.includes(text)) return resolve();
          if (Date.now() - started > timeoutMs) return reject(new Error(`no "${text}" after ${timeoutMs}ms in:\n${out}`));
          setTimeout(poll, 20);
        };
        poll();
      }),
    exit,
  };
}

describe('stepgate run on a terminal', () => {
  it('forwards typed keys to the running step (a y/n prompt)', async () => {
    ws.write('ask.md', '# Ask\n\nAsk the operator.\n\n```bash {name=ask}\nread -r -p "proceed? " answer; echo "got:$answer"\n```\n');
    const t = spawnTerm(['run', 'ask.md']);
    await t.waitFor('proceed? ');
    t.write('yes\r');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('got:yes');
    expect(t.output()).toContain('== completed ==');
  });

  it('forwards keys to a confirm= step once the operator said yes (the question and the step share the terminal)', async () => {
    ws.write('ask.md', '# Ask\n\nAsk the operator.\n\n```bash {name=ask confirm}\nread -r -p "proceed? " answer; echo "got:$answer"\n```\n');
    const t = spawnTerm(['run', 'ask.md']);
    await t.waitFor('[y/N]');
    t.write('y\r');
    await t.waitFor('proceed? ');
    t.write('yes\r');
    expect(await t.exit).toBe(0);
    expect(t.output()).toContain('got:yes');
    expect(t.output()).toContain('== completed ==');
  });

  it('Ctrl-C typed on the terminal interrupts the step, journals it, and exits 130', async () => {
    ws.write('slow.md', '# Slow\n\n```bash {name=slow}\necho sleeping; sleep 20\n```\n');
    const t = spawnTerm(['run', 'slow.md']);
    await t.waitFor('sleeping');
    t.write('\u0003');
    expect(await t.exit).toBe(130);
    const [id] = ws.sessionIds();
    expect(ws.events(id ?? '').at(-1)).toMatchObject({ type: 'step-finished', interrupted: true, ok: false });
  });
});
