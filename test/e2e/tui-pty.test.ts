/**
 * The TUI end to end: the built CLI in a real pseudo-terminal (node-pty) at 80x24 with
 * NO_COLOR, a real pty shell for the steps, and a real HTTP health check against a server in
 * this test that answers 503 until the recovery step heals it. The pty's output goes through
 * a headless terminal, so the assertions read the screen the operator would see; then the
 * journal on disk is checked.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { journalEvents, startTui as startTuiArgs, type Tui } from './tui-harness.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const COLS = 80;

function runbook(port: number, flag: string): string {
  return `---
title: E2E deploy
---
# E2E deploy

## Build

Print what was built.

\`\`\`bash {name=build}
echo "built release 7"
\`\`\`

## Health

The app must answer on /healthz.

\`\`\`check {name=healthz recover=#bring-it-back}
name: app healthz
http: http://127.0.0.1:${port}/healthz
retries: 2
backoff: 200ms
timeout: 2s
\`\`\`

## Bring it back

Heal the app; stepgate then runs the blocked check again.

\`\`\`bash {name=heal}
touch '${flag}' && echo "healed the app"
\`\`\`
`;
}

function startTui(file: string, cwd: string, stateDir: string): Tui {
  return startTuiArgs([file], cwd, stateDir);
}

let server: Server | undefined;
const dirs: string[] = [];

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`build first (npm run build): ${cli} is missing`);
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('stepgate FILE in a real terminal', () => {
  it('runs a step, blocks at a failing health check, walks the recovery path, passes, quits; screen and journal agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const flag = join(dir, 'healthy');
    const requests: number[] = [];
    server = createServer((_req, res) => {
      const ok = existsSync(flag);
      requests.push(ok ? 200 : 503);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' });
      res.end(ok ? 'ok' : 'starting');
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const file = join(dir, 'deploy.md');
    writeFileSync(file, runbook(address.port, flag));
    const stateDir = join(dir, 'state');

    const tui = startTui(file, dir, stateDir);
    await tui.waitFor('enter run');
    let s = tui.screen();
    expect(s).toContain('stepgate · E2E deploy');
    expect(s).toContain('>[ ] build: Print what was built.');
    expect(s).toContain(' [ ] check healthz: The app must answer on /healthz.');
    // The recovery-only section is not part of the walk.
    expect(s).not.toContain('heal:');

    tui.press('\r');
    await tui.waitFor('[x] build');
    await tui.waitFor('>[ ] check healthz');
    // The output of the step that just ran shows under the next one's code.
    s = await tui.waitFor('output of build:');
    expect(s).toMatch(/^built release 7\s*$/m);
    tui.press('k');
    s = await tui.waitFor('build · bash · Build · deploy.md:10 · ok');
    // The step's output line itself, not the `echo "built release 7"` of its code.
    expect(s).toMatch(/^built release 7\s*$/m);

    tui.press('j');
    await tui.waitFor('>[ ] check healthz');
    tui.press('\r');
    s = await tui.waitFor('BLOCKED at healthz (attempt 1)');
    expect(s).toContain('[!] app healthz failed after 2 attempts');
    expect(s).toMatch(/1\/2 .*503/);
    expect(s).toMatch(/2\/2 .*503/);
    expect(s).toContain('2. [c] recover: deploy.md#bring-it-back');
    expect(s).toMatch(/>\[!\] check healthz/);

    tui.press('c');
    s = await tui.waitFor('depth 1');
    expect(s).toContain('in recovery: Bring it back (blocked at healthz)');
    expect(s).toContain('>[ ] heal: Heal the app');
    tui.press('\r');
    // Back at the blocked check, which waits for enter; the path's step stays listed under it.
    s = await tui.waitFor('RECOVERY DONE');
    expect(s).toContain('depth 0');
    expect(s).toContain('recovery done: Bring it back');
    expect(s).toMatch(/^ {3}\[x\] heal: Heal the app/m);
    tui.press('\r');
    s = await tui.waitFor('ENDED: completed');
    expect(s).toContain('depth 0');
    expect(s).toContain('[x] build');
    expect(s).toContain('[x] check healthz');
    expect(s).toContain('session completed');
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(COLS);

    tui.press('q');
    expect(await tui.exited).toBe(0);

    const events = journalEvents(stateDir, { only: true });
    const finished = events.filter((e) => e.type === 'step-finished').map((e) => [String(e.key).split('#')[1], e.ok]);
    expect(finished).toEqual([
      ['build', true],
      ['healthz', false],
      ['heal', true],
      ['healthz', true],
    ]);
    const attempts = events.filter((e) => e.type === 'check-attempt').map((e) => [e.attempt, e.ok, e.status]);
    expect(attempts).toEqual([
      [1, false, 503],
      [2, false, 503],
      [1, true, 200],
    ]);
    const decision = events.find((e) => e.type === 'decision') as { decision: { kind: string; path: { label: string } } } | undefined;
    expect(decision?.decision.kind).toBe('recover');
    expect(decision?.decision.path.label).toContain('#bring-it-back');
    expect(requests).toEqual([503, 503, 200]);
  });
});

describe('stepgate FILE, more', () => {
  it('follows a resize: the compact layout fits, and the step\'s pty gets the output pane\'s size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'size.md');
    writeFileSync(file, '# Sizes\n\n## Size\n\nShow the terminal size the step sees.\n\n```bash {name=size}\necho "size $(stty size) NODE_ENV=${NODE_ENV:-unset}"\n```\n');
    const tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.resize(50, 14);
    const compact = await tui.waitFor(/READY 1\/1 size +\? help/);
    for (const line of compact.split('\n')) expect(line.length).toBeLessThanOrEqual(50);
    tui.resize(60, 20);
    await tui.waitFor(/READY 1\/1 size +enter run/);
    tui.press('\r');
    // 60x20: 19 rows for the frame, 11 for the detail pane, 10 of them for the output.
    await tui.waitFor('ENDED: completed');
    tui.press('k');
    // The step's own output pane (the summary shows the same output underneath it).
    const review = await tui.waitFor('size · bash · Size · size.md:7 · ok');
    // The TUI loads React's production build but leaves NODE_ENV alone for the steps.
    expect(review).toContain('size 10 60 NODE_ENV=unset');
    tui.press('q');
    expect(await tui.exited).toBe(0);
  });

  it('says when a running step has gone quiet on a question (a password prompt); i attaches and the answer reaches it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'pw.md');
    writeFileSync(file, '# Pw\n\n## Ask\n\nAsk for a password.\n\n```bash {name=pw}\nread -r -s -p "[sudo] password for ops: " pw; echo; echo "len:${#pw}"\n```\n');
    const tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('the step may be waiting for input: "[sudo] password for ops:"');
    tui.press('i');
    await tui.waitFor('ATTACHED');
    tui.press('hunter2\r');
    const s = await tui.waitFor('ENDED: completed');
    expect(s).toContain('len:7');
    expect(s).not.toContain('hunter2');
    tui.press('q');
    expect(await tui.exited).toBe(0);
  });

  it('a hang-up while a step runs (a dropped SSM session) exits 130 and leaves the step resumable as interrupted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'hup.md');
    writeFileSync(file, '# Hang-up\n\n## Wait\n\nWait for a long time.\n\n```bash {name=wait}\necho waiting-$((6*7)); sleep 60\n```\n');
    const tui = startTui(file, dir, join(dir, 'state'));
    // Preflight looked at the host before the first step, and says so on the first row.
    expect(await tui.waitFor('enter run')).toMatch(/\[x\] preflight: the host can run every step +\d+ ms/);
    tui.press('\r');
    // The code pane shows `echo waiting` before the step runs: wait for the running mark.
    await tui.waitFor('[>] wait');
    tui.kill('SIGHUP');
    expect(await tui.exited).toBe(130);
    const events = journalEvents<{ type: string; interrupted?: boolean }>(join(dir, 'state'));
    // The step never passes on its own: either its interrupted end is journaled, or the journal
    // stops at step-started, which resume reads as interrupted. Either way it is resumable.
    expect(events.map((e) => e.type).slice(0, 3)).toEqual(['session-started', 'preflight', 'step-started']);
    expect(events.filter((e) => e.type === 'step-finished').every((e) => e.interrupted === true)).toBe(true);
    const resumed = await execa(process.execPath, [cli, 'resume', '--yes'], { cwd: dir, reject: false, env: { STEPGATE_STATE_DIR: join(dir, 'state'), CI: 'true' } });
    expect(resumed.stdout + resumed.stderr).toMatch(/interrupted/);
    expect(resumed.exitCode).toBe(1);
  });

  it('without a terminal, `stepgate tui FILE` says so in one line and runs in plain mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'plain.md');
    writeFileSync(file, '# Plain\n\n## Say\n\nSay hello.\n\n```bash {name=hello}\necho "hello from plain mode"\n```\n');
    const result = await execa(process.execPath, [cli, 'tui', file], {
      cwd: dir,
      env: { ...process.env, CI: 'false', NO_COLOR: '1', STEPGATE_STATE_DIR: join(dir, 'state') },
      stdin: 'ignore',
      reject: false,
      timeout: 30_000,
    });
    expect(result.exitCode).toBe(0);
    expect(result.stderr.split('\n').filter((l) => l.includes('plain mode'))).toEqual(['stepgate: stdin/stdout is not a terminal; running in plain mode (stepgate run)']);
    expect(result.stdout).toContain('hello from plain mode');
    expect(result.stdout).not.toContain('\u001B[?1049h');
  });

  it('an empty reason to skip a blocked step says a reason is required, with an example', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'gate.md');
    writeFileSync(file, '# Gate\n\n## Go\n\nFails.\n\n```bash {name=boom}\nexit 3\n```\n\nAfter it.\n\n```bash {name=after}\necho after\n```\n');
    const tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('BLOCKED at boom');
    tui.press('s');
    await tui.waitFor('It is required: type why it is safe to skip it.');
    tui.press('\r');
    const s = await tui.waitFor('a reason is required');
    expect(s).toContain('a reason is required, e.g. "restarted by hand, OPS-12" (esc cancels)');
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(COLS);
    tui.press('\x1b');
    await tui.waitFor((screen) => !screen.includes('reason:'));
    tui.press('q');
    expect(await tui.exited).toBe(1);
  });
  it('offers enter gate only on the blocked step\'s row, where enter opens the gate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'gate.md');
    writeFileSync(file, '# Gate\n\n## Go\n\nFails.\n\n```bash {name=boom}\nexit 3\n```\n\nAfter it.\n\n```bash {name=after}\necho after\n```\n');
    const tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('BLOCKED at boom');
    const footer = (screen: string): string => screen.split('\n').filter((line) => line.trim() !== '').at(-1) ?? '';
    tui.press('\x1b');
    expect(footer(await tui.waitFor((s) => footer(s).includes('enter gate')))).toMatch(/^BLOCKED at boom +enter gate · r retry · s skip/);
    // The row past the gate: enter there only says to resolve the gate first.
    tui.press('\x1b[B');
    await tui.waitFor('>[ ] after');
    const past = await tui.waitFor((screen) => !footer(screen).includes('enter gate'));
    expect(footer(past)).toMatch(/^BLOCKED at boom +r retry · s skip/);
    tui.press('\r');
    await tui.waitFor('resolve the gate first');
    // Back on the blocked row, enter opens the gate.
    tui.press('\x1b[A');
    await tui.waitFor('>[!] boom');
    expect(footer(await tui.waitFor((screen) => footer(screen).includes('enter gate')))).toContain('enter gate · r retry');
    tui.press('\r');
    expect(footer(await tui.waitFor('esc list'))).toContain('↑↓ enter');
    tui.press('\x1b');
    await tui.waitFor('enter gate');
    tui.press('q');
    expect(await tui.exited).toBe(1);
  });
});

describe('stepgate DIR in a real terminal', () => {
  it('quitting before anything ran does not point to a resume that would refuse; after a step it does', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'two.md');
    writeFileSync(file, '# Two\n\n## Go\n\n```bash {name=one}\necho one\n```\n\n```bash {name=two}\necho two\n```\n');
    let tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('q');
    await tui.exited;
    expect(tui.output()).toMatch(/session \S+ closed before anything ran \(nothing to resume: open the runbook again to start\)/);
    expect(tui.output()).not.toContain('continue with: stepgate resume');
    tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('READY 2/2 two');
    tui.press('q');
    await tui.exited;
    expect(tui.output()).toMatch(/session \S+ is unfinished \(in progress at two\); continue with: stepgate resume \S+/);
  });

  it('ctrl-c on a running step: its output shows ^C once (the terminal echoes each ctrl-c the pty gets)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'wait.md');
    writeFileSync(file, '# Wait\n\n## Go\n\nWait.\n\n```bash {name=wait}\necho waiting-$((6*7)); sleep 60\n```\n');
    const tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\r');
    // The output, not the code (which reads waiting-$((6*7))).
    await tui.waitFor('waiting-42');
    tui.press('\u0003');
    const s = await tui.waitFor('BLOCKED at wait');
    expect(s).toContain('waiting-42');
    expect(s.match(/\^C/g)).toHaveLength(1);
    tui.press('q');
    await tui.exited;
  });

  it('ctrl-\\ in a TUI in place says it cannot detach there (in stepgate\'s own tmux the key never reaches the TUI)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'one.md');
    writeFileSync(file, '# One\n\n## Go\n\n```bash {name=one}\necho one\n```\n');
    const tui = startTui(file, dir, join(dir, 'state'));
    await tui.waitFor('enter run');
    tui.press('\u001C');
    await tui.waitFor('in place here (your tmux/screen, or no tmux): ctrl-\\ does not detach');
    tui.press('q');
    await tui.exited;
  });

  it('lists an unfinished session in the picker and resumes it where it stopped', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-tui-e2e-'));
    dirs.push(dir);
    const books = join(dir, 'books');
    mkdirSync(books);
    writeFileSync(
      join(books, 'two.md'),
      '---\ntitle: Two steps\ndescription: First one, then the other.\n---\n# Two steps\n\n## Steps\n\nThe first.\n\n```bash {name=first}\necho one\n```\n\nThe second.\n\n```bash {name=second}\necho two\n```\n',
    );
    const stateDir = join(dir, 'state');
    let tui = startTuiArgs([books], dir, stateDir);
    let s = await tui.waitFor('enter open');
    expect(s).toContain('> Two steps');
    expect(s).toContain('two.md · 2 steps, 0 checks · First one, then the other.');
    tui.press('\r');
    await tui.waitFor('enter run');
    tui.press('\r');
    await tui.waitFor('[x] first');
    tui.press('q');
    expect(await tui.exited).toBe(1);

    tui = startTuiArgs([books], dir, stateDir);
    s = await tui.waitFor('enter open');
    expect(s).toMatch(/> resume Two steps · in progress at second/);
    tui.press('\r');
    // The operator is told the shell is new and what it got back, then the status line says
    // where the session is.
    await tui.waitFor('[stepgate] new shell: cwd ');
    s = await tui.waitFor('READY 2/2 second');
    expect(s).toContain('[x] first');
    tui.press('\r');
    await tui.waitFor('ENDED: completed');
    tui.press('q');
    expect(await tui.exited).toBe(0);

    const types = journalEvents(stateDir, { only: true }).map((e) => e.type);
    expect(types.filter((t) => t === 'session-resumed')).toHaveLength(1);
    expect(types.filter((t) => t === 'step-finished')).toHaveLength(2);
  });
});
