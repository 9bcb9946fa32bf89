/**
 * Terminal injection: a hostile runbook (OSC 0/2/52, ESC c and CSI in its title, headings, prose
 * and check names) and an HTTP server on port 0 whose error body holds them too. The bytes the
 * built CLI writes are asserted: `lint`, `plan`, `log`, `report` and `run` to a pipe carry no
 * control sequences; `run` on a terminal keeps a step's colours but no OSC or ESC c; the TUI
 * never writes an OSC (no window title from the runbook's) or ESC c.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import pty from 'node-pty';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { Workspace } from './plain-harness.js';

const ESC = '\u001b';
const HOSTILE = `${ESC}]0;PWNED-TITLE\u0007${ESC}]2;PWNED2\u0007${ESC}]52;c;cm0gLXJmIH4K\u0007${ESC}c${ESC}[2J${ESC}[31m`;
/** Anything a terminal would obey rather than show (tab and newline are text). */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

let ws: Workspace;
let server: Server;
let port = 0;

beforeEach(async () => {
  ws = new Workspace();
  server = createServer((_req, res) => res.writeHead(500).end(`error ${HOSTILE} body`));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  ws.write(
    'hostile.md',
    `---
title: Hostile ${HOSTILE} title
---
# Hostile ${HOSTILE} heading

Prose with ${HOSTILE} inside.

## Section ${HOSTILE} two

Print in colour, and try the terminal.

\`\`\`bash {name=paint}
printf 'out: \\033]0;STEP-TITLE\\007\\033]52;c;Zm9v\\007\\033c\\033[32mgreen\\033[0m done\\n'
\`\`\`

Probe it.

\`\`\`check {name=probe}
name: check ${HOSTILE} name
http: http://127.0.0.1:${port}/fail
retries: 1
\`\`\`
`,
  );
});

afterEach(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  ws.remove();
});

/** The CLI in a real pty; every byte it wrote. */
function inPty(args: string[]): Promise<string> {
  const child = pty.spawn(process.execPath, [CLI, ...args], { name: 'xterm-256color', cols: 80, rows: 24, cwd: ws.dir, env: ws.env() as Record<string, string> });
  let bytes = '';
  child.onData((d) => (bytes += d));
  return new Promise((resolve) => child.onExit(() => resolve(bytes)));
}

describe('text from a runbook or a server', () => {
  it('lint, plan, plan --json, run to a pipe, log and report write no control sequence', async () => {
    const outputs: Array<[string, string]> = [];
    for (const args of [['lint', 'hostile.md'], ['plan', 'hostile.md'], ['plan', '--json', 'hostile.md'], ['run', 'hostile.md', '--yes']]) {
      const r = await ws.run(args);
      outputs.push([`${args.join(' ')} stdout`, r.stdout], [`${args.join(' ')} stderr`, r.stderr]);
    }
    const [id] = ws.sessionIds();
    for (const args of [['log', id ?? ''], ['log', id ?? '', '--json'], ['report', id ?? '']]) {
      const r = await ws.run(args);
      outputs.push([`${args.join(' ')} stdout`, r.stdout], [`${args.join(' ')} stderr`, r.stderr]);
    }
    const run = outputs.find(([what]) => what === 'run hostile.md --yes stdout')?.[1] ?? '';
    expect(run).toContain('Hostile PWNED-TITLE'.slice(0, 8));
    expect(run).toContain('out: green done');
    expect(run).toMatch(/error +body/);
    for (const [what, text] of outputs) expect(CONTROL.test(text), `${what}: ${JSON.stringify(text.slice(0, 300))}`).toBe(false);
  }, 120_000);

  it('run on a terminal keeps the step\'s colours but drops OSC (title, clipboard) and ESC c everywhere', async () => {
    const bytes = await inPty(['run', 'hostile.md', '--yes']);
    expect(bytes).toContain('BLOCKED at step probe');
    expect(bytes).toContain(`${ESC}[32mgreen${ESC}[0m done`);
    expect(bytes).not.toMatch(/\u001b\]|\u001bc|[\u0080-\u009f]/);
    // stepgate's own lines (title, headings, check names, the error body) carry no CSI either.
    expect(bytes).not.toContain(`${ESC}[2J`);
    expect(bytes).not.toContain(`${ESC}[31m`);
  }, 120_000);

  it('the TUI never sets the window title, the clipboard or resets the terminal', async () => {
    const child = pty.spawn(process.execPath, [CLI, 'hostile.md'], { name: 'xterm-256color', cols: 80, rows: 24, cwd: ws.dir, env: { ...(ws.env() as Record<string, string>), STEPGATE_DETACH: '0' } });
    let bytes = '';
    child.onData((d) => (bytes += d));
    const exited = new Promise<void>((resolve) => child.onExit(() => resolve()));
    const until = Date.now() + 60_000;
    while (!bytes.includes('Hostile') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(bytes).toContain('Hostile');
    // Run the step (its output is drawn from the emulator) and look at the check's detail.
    child.write('\r');
    while (!bytes.includes('green done') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
    child.kill('SIGKILL');
    await exited;
    expect(bytes).not.toMatch(/\u001b\]|\u001bc|[\u0080-\u009f]/);
    expect(bytes).not.toContain('PWNED2');
  }, 120_000);
});
