/**
 * `stepgate resume` on a terminal opens the TUI where the session stopped: the built CLI in a
 * real pseudo-terminal at 80x24 with NO_COLOR, killed with SIGKILL at a blocked gate (or in
 * the middle of a step), then `stepgate resume` in a new pty shows the same gate, with the
 * check attempts or the transcript the journal points to, and takes keys to go on.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { journalEvents, startTui } from './tui-harness.js';

const root = join(import.meta.dirname, '..', '..');
const cli = join(root, 'dist', 'cli.js');
const COLS = 80;

/** What an unhealthy app answers: the body says why, and its end is what the operator needs. */
const BODY = JSON.stringify({ status: 'degraded', db: 'connection refused by 10.0.3.7:5432', hint: 'see /var/log/app/db.log' });

let server: Server | undefined;
const dirs: string[] = [];
const strays: string[] = [];

beforeAll(() => {
  if (!existsSync(cli)) throw new Error(`build first (npm run build): ${cli} is missing`);
});

afterEach(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
  // A step's background sleep that the SIGKILL left behind, by the pid it wrote.
  for (const file of strays.splice(0)) {
    if (!existsSync(file)) continue;
    try {
      process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('stepgate resume in a real terminal', () => {
  it('after a SIGKILL at a blocked health check, opens the TUI at that gate with the attempts from the journal; retry passes it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-resume-e2e-'));
    dirs.push(dir);
    const flag = join(dir, 'healthy');
    const answered: number[] = [];
    server = createServer((_req, res) => {
      const ok = existsSync(flag);
      answered.push(ok ? 200 : 503);
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(ok ? '{"status":"ok"}' : BODY);
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    const file = join(dir, 'deploy.md');
    writeFileSync(
      file,
      `# Resume e2e\n\n## Build\n\n\`\`\`bash {name=build}\necho "built release 7"\n\`\`\`\n\n## Health\n\n\`\`\`check {name=healthz}\nname: app healthz\nhttp: http://127.0.0.1:${address.port}/healthz\nretries: 2\nbackoff: 200ms\ntimeout: 10s\n\`\`\`\n`,
    );
    // 10 s per attempt: the server is this test's own process, and under load both attempts
    // of 2 s timed out before it answered (the 503s the test reads come back at once).
    const stateDir = join(dir, 'state');

    const first = startTui([file], dir, stateDir);
    await first.waitFor('enter run');
    first.press('a');
    await first.waitFor('BLOCKED at healthz (attempt 1)');
    // The SSM session drops and takes stepgate with it, without a chance to write anything.
    first.kill('SIGKILL');
    await first.exited;

    const tui = startTui(['resume'], dir, stateDir);
    let s = await tui.waitFor('BLOCKED at healthz (attempt 1)');
    s = await tui.waitFor('1. [r] retry the step');
    expect(s).toContain('[x] build');
    expect(s).toMatch(/>\[!\] check healthz/);
    // Each row leads with why (the body's status), then the probe's error.
    expect(s).toContain('[!] app healthz failed after 2 attempts: degraded (bad status 503');
    expect(s).toMatch(/1\/2 degraded · bad status 503 \(expected 200-299\): \{"status":"degraded"/);
    expect(s).toMatch(/2\/2 degraded · bad status 503/);
    // The newest attempt's body is wrapped, not cut: its end is on the screen.
    expect(s.replace(/\n\s*/g, '')).toContain('"hint":"see /var/log/app/db.log"}');
    for (const line of s.split('\n')) expect(line.length).toBeLessThanOrEqual(COLS);

    tui.press('t');
    s = await tui.waitFor('transcript of healthz (esc or q closes)');
    expect(s).toContain('attempt 2/2: bad status 503');
    tui.press('\u001B');
    await tui.waitFor('1. [r] retry the step');

    writeFileSync(flag, '');
    tui.press('r');
    s = await tui.waitFor('ENDED: completed');
    expect(s).toContain('[x] check healthz');
    tui.press('q');
    expect(await tui.exited).toBe(0);

    const events = journalEvents(stateDir, { only: true });
    expect(events.filter((e) => e.type === 'session-resumed')).toHaveLength(1);
    expect(events.filter((e) => e.type === 'decision').map((e) => (e['decision'] as { kind: string }).kind)).toEqual(['retry']);
    expect(events.filter((e) => e.type === 'check-attempt').map((e) => [e['attempt'], e['ok'], e['status']])).toEqual([
      [1, false, 503],
      [2, false, 503],
      [1, true, 200],
    ]);
    expect(answered).toEqual([503, 503, 200]);
  });

  // Seen 3 times in about 20 runs, only with another vitest process running the exec tests at
  // the same time: the first run's step showed `running` with no output for 20 s. Not
  // understood yet (see the session-2 note); one retry keeps CI from hanging on it meanwhile.
  it('after a SIGKILL mid-step, the gate names the step\'s transcript and shows its end; skip with a reason goes on', { retry: 1 }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-resume-e2e-'));
    dirs.push(dir);
    const pidFile = join(dir, 'sleep.pid');
    strays.push(pidFile);
    const file = join(dir, 'migrate.md');
    writeFileSync(
      file,
      `# Migrate\n\n## Migrate\n\n\`\`\`bash {name=migrate}\necho "migrating 1/3"; echo "migrating 2/3"\nsleep 60 & echo $! > '${pidFile}'; wait\n\`\`\`\n\n## Tell\n\n\`\`\`bash {name=tell}\necho "told the team"\n\`\`\`\n`,
    );
    const stateDir = join(dir, 'state');
    const first = startTui([file], dir, stateDir);
    await first.waitFor('enter run');
    first.press('\r');
    await first.waitFor(/^migrating 2\/3\s*$/m);
    first.kill('SIGKILL');
    await first.exited;

    const tui = startTui(['resume'], dir, stateDir);
    let s = await tui.waitFor('BLOCKED at migrate (attempt 1)');
    s = await tui.waitFor(/^migrating 2\/3\s*$/m);
    expect(s.replace(/\n\s*/g, ' ')).toContain('[!] stepgate stopped while this step ran (killed, hung up or crashed); its outcome is unknown');
    // The session's transcript directory (beside it: the journal, the lock, the kept shell state).
    const transcript = readdirSync(join(stateDir, 'sessions'), { withFileTypes: true }).find((f) => f.isDirectory())?.name;
    expect(s.replace(/\n\s*/g, '')).toMatch(new RegExp(`its output until then \\(t shows it\\): ?${join(stateDir, 'sessions', transcript ?? '?').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/\\d+-migrate-1\\.log`));

    tui.press('s');
    await tui.waitFor('reason:');
    tui.press('ran the rest by hand');
    tui.press('\r');
    await tui.waitFor('[-] migrate');
    s = await tui.waitFor('READY 2/2 tell');
    tui.press('\r');
    await tui.waitFor('ENDED: completed');
    tui.press('q');
    expect(await tui.exited).toBe(0);
    const skip = journalEvents(stateDir, { only: true }).find((e) => e.type === 'decision');
    expect(skip?.['decision']).toMatchObject({ kind: 'skip', reason: 'ran the rest by hand' });
  });

  it('opening a runbook whose last session is unfinished asks to resume it: enter resumes that session, n starts a new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-resume-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'fix.md');
    const flag = join(dir, 'fixed');
    writeFileSync(file, `# Fix\n\n## Try\n\n\`\`\`bash {name=try}\necho "checking for the fix"; test -e '${flag}' || { echo "not fixed: no flag file"; exit 1; }; echo "it works now"\n\`\`\`\n`);
    const stateDir = join(dir, 'state');
    // The plain run blocks at the failing step and leaves its session unfinished.
    const plain = spawnSync(process.execPath, [cli, 'run', file, '--yes'], { cwd: dir, env: { ...process.env, STEPGATE_STATE_DIR: stateDir }, encoding: 'utf8' });
    expect(plain.status).not.toBe(0);
    const sessions = (): string[] => readdirSync(join(stateDir, 'sessions')).filter((f) => f.endsWith('.jsonl'));
    expect(sessions()).toHaveLength(1);
    const blocked = sessions()[0]!.replace(/\.jsonl$/, '');

    const tui = startTui([file], dir, stateDir);
    let s = await tui.waitFor('resume it instead of starting again from the first step? [Y/n]');
    expect(s.replace(/\n/g, "")).toContain(`session ${blocked} of this runbook is unfinished (blocked at try; started `);
    // A line is read here, unlike the TUI's y/n keys: the prompt says enter is needed.
    expect(s.replace(/\n/g, '')).toContain('from the first step? [Y/n] then enter:');
    writeFileSync(flag, '');
    tui.press('\r');
    s = await tui.waitFor('BLOCKED at try (attempt 1)');
    // The failed run's output is not on this new shell's screen: its transcript's end stands in.
    s = await tui.waitFor('not fixed: no flag file');
    expect(s).toContain('checking for the fix');
    tui.press('r');
    await tui.waitFor('ENDED: completed');
    tui.press('q');
    expect(await tui.exited).toBe(0);
    // The same session went on: no second journal, and its journal says it was resumed.
    expect(sessions()).toEqual([`${blocked}.jsonl`]);
    expect(journalEvents(stateDir).map((e) => e.type)).toContain('session-resumed');

    // Finished now: nothing to offer; a new unfinished one is offered, and n declines it.
    rmSync(flag);
    spawnSync(process.execPath, [cli, 'run', file, '--yes'], { cwd: dir, env: { ...process.env, STEPGATE_STATE_DIR: stateDir }, encoding: 'utf8' });
    expect(sessions()).toHaveLength(2);
    const again = startTui([file], dir, stateDir);
    await again.waitFor('[Y/n] then enter:');
    // n alone answers nothing yet (it waits for enter, as the prompt says); n then enter does.
    again.press('n');
    await again.waitFor('[Y/n] then enter: n');
    expect(again.screen()).not.toContain('enter run');
    again.press('\r');
    await again.waitFor('enter run');
    again.press('\r');
    await again.waitFor('BLOCKED at try (attempt 1)');
    again.press('q');
    await again.exited;
    expect(sessions()).toHaveLength(3);
    // Two plain runs and two TUIs, one after the other: 15 s alone, past 30 s beside other
    // suites, past 60 s at a load of 13.
  }, 180_000);

  it('the resume offer: a stray answer is asked again, ctrl-c cancels (exit 130), and a --var the session answered otherwise asks to start a new session instead', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-resume-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'color.md');
    writeFileSync(file, `---\nvars:\n  COLOR: {prompt: "Color", default: red}\n---\n# Color\n\n## Try\n\n\`\`\`bash {name=try}\necho "color=$COLOR"; exit 3\n\`\`\`\n`);
    const stateDir = join(dir, 'state');
    const env = { ...process.env, STEPGATE_STATE_DIR: stateDir };
    expect(spawnSync(process.execPath, [cli, 'run', file, '--yes', '--var', 'COLOR=blue'], { cwd: dir, env, encoding: 'utf8' }).status).toBe(1);
    const sessions = (): string[] => readdirSync(join(stateDir, 'sessions')).filter((f) => f.endsWith('.jsonl'));
    const blocked = sessions()[0]!.replace(/\.jsonl$/, '');

    const tui = startTui([file], dir, stateDir);
    await tui.waitFor('[Y/n]');
    tui.press('q\r');
    await tui.waitFor('please answer y or n');
    tui.press('\u0003');
    await tui.waitFor('cancelled; nothing started');
    expect(await tui.exited).toBe(130);
    expect(sessions()).toHaveLength(1);

    // resume with a var that would change an answer is refused, not ignored.
    const refused = spawnSync(process.execPath, [cli, 'resume', blocked, '--plain', '--var', 'COLOR=green'], { cwd: dir, env, encoding: 'utf8' });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain(`session ${blocked} answered COLOR=blue (you gave --var COLOR=green), and a session keeps its answers`);

    // The TUI given another value does not offer that session: it says so and starts anew.
    const other = startTui([file, '--var', 'COLOR=green'], dir, stateDir);
    const asked = await other.waitFor('start a new session with your values instead? [Y/n]');
    expect(asked.replace(/\n/g, '')).toContain('but it answered COLOR=blue (you gave green): resuming it would go on with its values');
    expect(asked).not.toContain('resume it instead of starting again');
    other.press('\r');
    await other.waitFor('enter run');
    other.press('q');
    await other.exited;
  });

  it('the resume offer reads keys typed ahead of its asking again: q enter ctrl-c cancels, x enter n enter starts anew', async () => {
    // Regression: each asking had its own reader, and the keys that came in the same read as
    // the stray answer reached none (and in between, a ctrl-c met a cooked terminal: SIGINT).
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-resume-e2e-'));
    dirs.push(dir);
    const file = join(dir, 'again.md');
    writeFileSync(file, `# Again\n\n## Try\n\n\`\`\`bash {name=try}\necho "trying"; exit 3\n\`\`\`\n`);
    const stateDir = join(dir, 'state');
    const env = { ...process.env, STEPGATE_STATE_DIR: stateDir };
    expect(spawnSync(process.execPath, [cli, 'run', file, '--yes'], { cwd: dir, env, encoding: 'utf8' }).status).toBe(1);
    const sessions = (): string[] => readdirSync(join(stateDir, 'sessions')).filter((f) => f.endsWith('.jsonl'));

    const cancelled = startTui([file], dir, stateDir);
    await cancelled.waitFor('[Y/n] then enter:');
    cancelled.press('q\r\u0003');
    await cancelled.waitFor('cancelled; nothing started');
    expect(cancelled.screen()).toContain('please answer y or n');
    expect(await cancelled.exited).toBe(130);
    expect(sessions()).toHaveLength(1);

    const fresh = startTui([file], dir, stateDir);
    await fresh.waitFor('[Y/n] then enter:');
    fresh.press('x\rn\r');
    await fresh.waitFor('enter run');
    fresh.press('q');
    await fresh.exited;
    expect(sessions()).toHaveLength(2);
  });

  it('refuses a journal whose key and macs were both removed (review F3) as an edited one; --accept-edited-journal opens it, recorded', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'stepgate-resume-e2e-'));
    dirs.push(dir);
    const marker = join(dir, 'marker');
    const file = join(dir, 'three.md');
    writeFileSync(file, `# Three\n\n\`\`\`bash {name=one}\necho one\n\`\`\`\n\n\`\`\`bash {name=two}\nexit 3\n\`\`\`\n\n\`\`\`bash {name=three}\ntouch ${marker}\n\`\`\`\n`);
    const stateDir = join(dir, 'state');
    const run = spawnSync(process.execPath, [cli, 'run', file, '--yes'], { cwd: dir, env: { ...process.env, STEPGATE_STATE_DIR: stateDir, CI: 'false', NO_COLOR: '1' }, stdio: 'ignore' });
    expect(run.status).toBe(1);
    const sessions = join(stateDir, 'sessions');
    const name = readdirSync(sessions).find((n) => n.endsWith('.jsonl'));
    if (!name) throw new Error('no journal');
    const id = name.slice(0, -'.jsonl'.length);
    const path = join(sessions, name);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(path, `${lines.map((l) => l.replace(/^\{"mac":"[0-9a-f]*",/, '{')).map((l) => (/"type":"step-finished".*#two"/.test(l) ? l.replace('"ok":false', '"ok":true') : l)).join('\n')}\n`);
    rmSync(join(sessions, `${id}.key`));

    const refused = startTui(['resume', id], dir, stateDir);
    expect(await refused.exited).toBe(2);
    expect(refused.output()).toContain('has no hash chain');
    expect(existsSync(marker)).toBe(false);

    const tui = startTui(['resume', id, '--accept-edited-journal'], dir, stateDir);
    await tui.waitFor('three');
    const resumed = journalEvents<{ type: string; acceptedEdits?: Array<{ line: number; what: string }> }>(stateDir).find((e) => e.type === 'session-resumed');
    expect(resumed?.acceptedEdits).toEqual([{ line: 1, what: expect.stringContaining('has no hash chain') }]);
    tui.kill('SIGKILL');
    await tui.exited;
  });
});
