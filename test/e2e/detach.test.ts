/**
 * A dropped terminal never stops a running step (issue 12): the built CLI in a real pty at
 * 80x24 starts itself in its private tmux server; the pty's process group gets SIGHUP, as
 * when an SSM session drops; the step finishes, nothing after it starts; `stepgate attach`
 * from a new pty shows that state and takes keys, `attach --watch` sees it and cannot act.
 * Without tmux on PATH and inside $TMUX the TUI runs in place, and a hang-up is journaled as
 * a closed terminal, not as the operator's Ctrl-C (issue 11, item 9).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CLI, TMUX, endDetached, journalEvents, startTui, type Tui, until } from './tui-harness.js';

type Event = Record<string, unknown> & { type: string };


// Said, not silent: without tmux the real-tmux tests below are skipped.
if (TMUX === undefined) process.stderr.write(`${import.meta.filename}: tmux is not on PATH; the real-tmux tests are skipped\n`);

const dirs: string[] = [];
const tuis: Tui[] = [];

beforeAll(() => {
  if (!existsSync(CLI)) throw new Error(`build first (npm run build): ${CLI} is missing`);
});

afterEach(() => endDetached(tuis, dirs, (dir) => [join(dir, 'outer.sock')]));

/** The walk's TUI, detached-capable, running its slow first step. */
async function runningDetached(dir: string, file: string, state: string): Promise<void> {
  const live = startTui([file], dir, state, { detach: true });
  tuis.push(live);
  await live.waitFor('READY 1/2 slow', 60_000);
  live.press('\r');
  await live.waitFor('RUNNING slow');
}

function workspace(): { dir: string; file: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'sg-detach-'));
  dirs.push(dir);
  const file = join(dir, 'walk.md');
  writeFileSync(
    file,
    [
      '# Sleepy walk',
      '',
      '## Steps',
      '',
      'Sleep, then write a file.',
      '',
      '```bash {name=slow}',
      `env > ${join(dir, 'env.txt')}; sleep 5; echo done > ${join(dir, 'slow.txt')}`,
      '```',
      '',
      'The next step.',
      '',
      '```bash {name=next}',
      `echo next > ${join(dir, 'next.txt')}`,
      '```',
      '',
    ].join('\n'),
  );
  return { dir, file, state: join(dir, 'state') };
}

function started(list: Event[], step: string): Event[] {
  return list.filter((e) => e.type === 'step-started' && String(e['key']).endsWith(`#${step}`));
}

describe.skipIf(TMUX === undefined)('the TUI in its detachable terminal (tmux on PATH)', () => {
  it('survives SIGHUP to its terminal mid-step: the step finishes, nothing next starts; attach shows it and runs the next step; --watch cannot act', async () => {
    const { dir, file, state } = workspace();
    const first = startTui([file], dir, state, { detach: true, env: { SG_OPERATOR_MARK: 'kept as is' } });
    tuis.push(first);
    await first.waitFor('READY 1/2 slow', 60_000);
    // It is the TUI in a tmux server of its own, on a socket in a 0700 directory.
    const [token] = readdirSync(join(state, 'detach'));
    expect(token).toMatch(/^[0-9a-f]{12}$/);
    const tuiDir = join(state, 'detach', token ?? '');
    expect(readdirSync(tuiDir)).toContain('sock');
    first.press('\r');
    await first.waitFor('RUNNING slow');
    await until('step-started slow in the journal', () => started(journalEvents(state), 'slow').length === 1);

    // The SSM session drops: the kernel hangs up the terminal's foreground process group.
    process.kill(-first.pid, 'SIGHUP');
    await first.exited;

    await until('slow.txt written by the step', () => existsSync(join(dir, 'slow.txt')));
    // The steps saw the operator's environment, and nothing of tmux's.
    const stepEnv = readFileSync(join(dir, 'env.txt'), 'utf8');
    expect(stepEnv).toMatch(/^SG_OPERATOR_MARK=kept as is$/m);
    expect(stepEnv).toMatch(/^NO_COLOR=1$/m);
    expect(stepEnv).toMatch(/^TERM=xterm-256color$/m);
    expect(stepEnv).not.toMatch(/^(TMUX|TMUX_PANE|TERM_PROGRAM|TERM_PROGRAM_VERSION|STEPGATE_DETACH_CHILD)=/m);
    const finished = await until('slow finished in the journal', () => journalEvents(state).find((e) => e.type === 'step-finished'));
    expect(finished['ok']).toBe(true);
    const closed = await until('terminal-closed in the journal', () => journalEvents(state).find((e) => e.type === 'terminal-closed'));
    expect(closed['signal']).toBe('SIGHUP');
    expect(closed['kept']).toBe(true);

    // Listed as waiting for a key, not as a step running; discard says how to reach it.
    const heldId = String(journalEvents(state)[0]?.['id']);
    const asOperator = { env: { ...process.env, STEPGATE_STATE_DIR: state }, encoding: 'utf8' as const };
    expect(execFileSync(process.execPath, [CLI, 'sessions'], asOperator)).toContain('detached, waiting at next (for a key to go on)');
    const discard = spawnSync(process.execPath, [CLI, 'discard', heldId, '--reason', 'testing'], asOperator);
    expect(discard.status).toBe(1);
    expect(discard.stderr).toContain(`it runs detached in a TUI; attach to it (stepgate attach ${heldId}) and quit it with q, then discard it`);

    // A new SSM session: attach shows where it is, at its own size.
    const back = startTui(['attach'], dir, state, { detach: true });
    tuis.push(back);
    const screen = await back.waitFor('READY 2/2 next', 60_000);
    expect(screen).toMatch(/\[x\] slow/);
    expect(started(journalEvents(state), 'next')).toHaveLength(0);
    const id = String(journalEvents(state)[0]?.['id']);

    // A second operator watches: sees the same screen, and q (quit) does nothing there.
    const watcher = startTui(['attach', '--watch', id], dir, state, { detach: true });
    tuis.push(watcher);
    await watcher.waitFor('READY 2/2 next', 60_000);
    await until('the watcher journaled as attached', () => journalEvents(state).some((e) => e.type === 'terminal-attached' && (e['terminal'] as { readOnly?: boolean }).readOnly === true));
    watcher.press('q');
    watcher.press('\r');

    back.press('\r');
    await back.waitFor('ENDED: completed', 30_000);
    expect(readFileSync(join(dir, 'next.txt'), 'utf8')).toBe('next\n');
    expect(started(journalEvents(state), 'next')).toHaveLength(1);
    await watcher.waitFor(/\[x\] next/);

    // ctrl-\ detaches the watcher; q quits the TUI and the attach says how the session ended.
    watcher.press('\u001C');
    await watcher.waitFor('come back with: stepgate attach');
    expect(await watcher.exited).toBe(0);
    // A watcher still there when the owner quits is told the TUI ended, not that it ended
    // "without saying how" (a trial read that as a crash), and owns no outcome.
    const stays = startTui(['attach', '--watch', id], dir, state, { detach: true });
    tuis.push(stays);
    await stays.waitFor('ENDED: completed', 60_000);
    back.press('q');
    await back.waitFor(`session ${id} completed`);
    expect(await back.exited).toBe(0);
    // tmux's own `[exited]` is taken back: stepgate's line says what ended.
    expect(back.screen()).not.toContain('[exited]');
    expect(await stays.exited).toBe(0);
    expect(stays.screen()).not.toContain('without saying how');
    const log = execFileSync(process.execPath, [CLI, 'log', id], { env: { ...process.env, STEPGATE_STATE_DIR: state }, encoding: 'utf8' });
    expect(log).toMatch(/TERMINAL CLOSED \(SIGHUP\).*kept running/);
    expect(log).toMatch(/ATTACHED root|ATTACHED \S+ on \/dev\//);
    expect(log).toMatch(/ATTACHED .*watching \(read-only\)/);
    await until('the private server gone with the TUI', () => !existsSync(join(tuiDir, 'sock')) || !existsSync(tuiDir));
  }, 240_000);

  it('a tmux client killed while its terminal stays says how to come back (tmux alone prints only [exited])', async () => {
    const { dir, file, state } = workspace();
    const first = startTui([file], dir, state, { detach: true });
    tuis.push(first);
    await first.waitFor('READY 1/2 slow', 60_000);
    const client = Number(execFileSync('pgrep', ['-P', String(first.pid), 'tmux'], { encoding: 'utf8' }).trim().split('\n')[0]);
    expect(client).toBeGreaterThan(0);
    process.kill(client, 'SIGTERM');
    const s = await first.waitFor('come back with: stepgate attach');
    expect(s.replace(/\n/g, '')).toMatch(/the tmux client ended \(killed or lost its terminal\); (session \S+|stepgate) keeps running/);
    expect(await first.exited).toBe(130);
    // And it did keep running: attach finds it where it was.
    const back = startTui(['attach'], dir, state, { detach: true });
    tuis.push(back);
    await back.waitFor('READY 1/2 slow', 60_000);
  }, 120_000);

  it('a bare resume that passes over a running detached session asks before taking an older one (trial: n to attach resumed last week\'s deploy)', async () => {
    const { dir, file, state } = workspace();
    // An older session of another runbook, blocked at a failed step.
    const old = join(dir, 'old.md');
    writeFileSync(old, '# Old deploy\n\n```bash {name=broken}\nfalse\n```\n');
    const blocked = spawnSync(process.execPath, [CLI, 'run', old, '--yes'], { cwd: dir, env: { ...process.env, STEPGATE_STATE_DIR: state }, stdio: 'ignore' });
    expect(blocked.status).toBe(1);
    const oldJournal = readdirSync(join(state, 'sessions')).find((n) => n.endsWith('.jsonl')) ?? '';
    const oldId = oldJournal.replace(/\.jsonl$/, '');
    // The session the operator means runs now, detached.
    await runningDetached(dir, file, state);
    const back = startTui(['resume'], dir, state, { detach: true });
    tuis.push(back);
    await back.waitFor('attach to it instead of resuming an older session? [Y/n]', 60_000);
    back.press('n\r');
    const asked = await back.waitFor(/resume session \S+ instead/);
    expect(asked.replace(/\n/g, '')).toContain(`resume session ${oldId} instead`);
    expect(asked.replace(/\n/g, '')).toMatch(/blocked at broken; started \d{4}-\d\d-\d\d/);
    back.press('\r');
    await back.waitFor('nothing resumed');
    expect(await back.exited).toBe(0);
    const oldEvents = readFileSync(join(state, 'sessions', oldJournal), 'utf8');
    expect(oldEvents).not.toContain('session-resumed');
  }, 120_000);

  it('a bare resume when the only unfinished session runs detached asks to attach, and n says how to go back to it (trial: told to wait 5 s or kill it)', async () => {
    const { dir, file, state } = workspace();
    await runningDetached(dir, file, state);
    const back = startTui(['resume'], dir, state, { detach: true });
    tuis.push(back);
    const asked = await back.waitFor('attach to it? [Y/n]', 60_000);
    expect(asked).not.toContain('instead of resuming an older session');
    back.press('n\r');
    // Wrapped at 80 columns, mid-word: compared without white space.
    const said = (await back.waitFor(/goes back to it/)).replace(/\s+/g, '');
    expect(said).toMatch(/\)runsdetachedinaTUI\(process\d+\),andnoothersessionisunfinished:stepgateattach\S+goesbacktoit/);
    expect(said).not.toContain('stop that process');
    expect(await back.exited).toBe(2);
  }, 120_000);

  it('inside $TMUX the TUI runs in place: no second tmux inside the first', async () => {
    const { dir, file, state } = workspace();
    const outer = join(dir, 'outer.sock');
    const { TMUX: _t, TMUX_PANE: _p, NODE_ENV: _n, ...env } = process.env;
    execFileSync(TMUX ?? 'tmux', ['-S', outer, '-f', '/dev/null', 'new-session', '-d', '-x', '80', '-y', '24', '--', process.execPath, CLI, file], {
      env: { ...env, CI: 'false', NO_COLOR: '1', TERM: 'xterm-256color', STEPGATE_STATE_DIR: state },
      cwd: dir,
    });
    const pane = (): string => execFileSync(TMUX ?? 'tmux', ['-S', outer, 'capture-pane', '-p'], { encoding: 'utf8' });
    await until('the TUI in the outer tmux', () => pane().includes('READY 1/2 slow'), 60_000);
    expect(existsSync(join(state, 'detach'))).toBe(false);
  }, 120_000);
});

describe('the TUI without tmux on PATH', () => {
  it('runs in place, says once that a drop stops the running step; a hang-up is journaled as a closed terminal', async () => {
    const { dir, file, state } = workspace();
    // PATH without tmux: every other command of /usr/bin and /bin, linked.
    const bin = join(dir, 'bin');
    mkdirSync(bin);
    // By name, not existsSync: that follows links, and a dangling one (sudoedit without sudo)
    // was linked twice.
    const linked = new Set<string>(['tmux']);
    for (const from of ['/usr/local/bin', '/usr/bin', '/bin']) {
      if (!existsSync(from)) continue;
      for (const name of readdirSync(from)) {
        if (linked.has(name)) continue;
        linked.add(name);
        symlinkSync(join(from, name), join(bin, name));
      }
    }
    const tui = startTui([file], dir, state, { detach: true, path: bin });
    tuis.push(tui);
    await tui.waitFor('no tmux: a dropped terminal stops the running step', 60_000);
    expect(existsSync(join(state, 'detach'))).toBe(false);
    tui.press('\r');
    await tui.waitFor('RUNNING slow');
    await until('step-started slow in the journal', () => started(journalEvents(state), 'slow').length === 1);
    tui.kill('SIGHUP');
    await tui.exited;
    const list = journalEvents(state);
    const closed = list.find((e) => e.type === 'terminal-closed');
    expect(closed?.['kept']).toBe(false);
    const finished = list.find((e) => e.type === 'step-finished');
    expect(finished?.['interrupted']).toBe(true);
    expect(String(finished?.['reason'])).toMatch(/terminal closed \(SIGHUP\)/);
    expect(list.indexOf(closed as Event)).toBeLessThan(list.indexOf(finished as Event));
    const sessions = execFileSync(process.execPath, [CLI, 'sessions'], { env: { ...process.env, STEPGATE_STATE_DIR: state }, encoding: 'utf8' });
    expect(sessions).toMatch(/interrupted at \S+ \(terminal closed, SIGHUP\)/);
    expect(existsSync(join(dir, 'slow.txt'))).toBe(false);
  }, 120_000);
});
