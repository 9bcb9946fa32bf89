/**
 * `stepgate run deploy.md | tee deploy.log` in a real terminal: stdout is a pipe, but the
 * operator is at the controlling terminal, so manual items and confirm= steps are asked there
 * (not ticked by --yes, not a stop); the log gets text without escape sequences. Without any
 * terminal the walk stops at them and says --yes is how to tick them (plain-run.test.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const BOOK = `# Pipe

- [ ] CI is green

\`\`\`bash {name=colour confirm=true}
printf '\\033[1;31mred\\033[0m \\033]0;title\\007done\\n'
\`\`\`
`;

function inTerminal(command: string): { output: () => string; write: (d: string) => void; waitFor: (text: string) => Promise<void>; exit: Promise<number> } {
  const env = Object.fromEntries(Object.entries(ws.env()).filter((e): e is [string, string] => e[1] !== undefined));
  const p = pty.spawn('/bin/sh', ['-c', command], { cols: 80, rows: 24, cwd: ws.dir, env });
  let out = '';
  p.onData((d) => (out += d));
  return {
    output: () => out,
    write: (d) => p.write(d),
    waitFor: (text) =>
      new Promise((resolve, reject) => {
        const started = Date.now();
        const poll = (): void => {
          if (out.includes(text)) return resolve();
          if (Date.now() - started > 20_000) return reject(new Error(`no "${text}" in:\n${out}`));
          setTimeout(poll, 20);
        };
        poll();
      }),
    exit: new Promise((resolve) => p.onExit(({ exitCode }) => resolve(exitCode))),
  };
}

describe('plain mode with stdout to a pipe, on a terminal', () => {
  it('asks the manual item and the confirm= step on the terminal; the log has no escapes', async () => {
    ws.write('pipe.md', BOOK);
    const t = inTerminal(`node ${CLI} run pipe.md | tee deploy.log`);
    await t.waitFor('done? [y/N]');
    t.write('y\r');
    await t.waitFor('run it? [y/N]');
    t.write('yes\r');
    expect(await t.exit).toBe(0);
    const log = readFileSync(join(ws.dir, 'deploy.log'), 'utf8');
    expect(log).toContain('red done');
    expect(log).toContain('== completed ==');
    expect(log).not.toMatch(/[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/);
    const [id] = ws.sessionIds();
    const decisions = ws.events(id ?? '').filter((e) => e.type === 'decision');
    // Ticked by a person at the terminal, not by --yes.
    expect(decisions.map((e) => (e.type === 'decision' ? e.decision : undefined))).toEqual([{ kind: 'confirm' }, { kind: 'confirm' }]);
  });

  it('stops, non-zero, when the operator says no, and says how to continue', async () => {
    ws.write('pipe.md', BOOK);
    const t = inTerminal(`node ${CLI} run pipe.md < /dev/null > out.log`);
    await t.waitFor('done? [y/N]');
    t.write('n\r');
    expect(await t.exit).toBe(1);
    const out = readFileSync(join(ws.dir, 'out.log'), 'utf8');
    expect(out).toMatch(/STOPPED: manual item "CI is green" not ticked; continue with: stepgate resume \S+/);
  });
});
