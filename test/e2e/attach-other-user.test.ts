/**
 * `stepgate attach` as another login user (issue 12): real users, a real sudoers rule, real
 * tmux. The owner's TUI loses its terminal mid-step; a user with a NOPASSWD rule for the owner
 * attaches through `sudo -n -u OWNER` (detaches with ctrl-\, exit 1: unfinished, and comes back)
 * and takes the session on, journaled as themself; a user
 * without one is refused naming the rule and its fix. The socket never leaves the owner's 0700
 * directory: the attaching user cannot even see it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { announce } from '../../src/exec/beacon.js';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSudoers, checkoutUnreachable, createUser, removeSudoers, removeUser, sudoMissing } from '../helpers/test-users.js';
import { CLI, journalEvents, startTui, type Tui, until } from './tui-harness.js';

type Event = Record<string, unknown> & { type: string };

const TMUX = (process.env['PATH'] ?? '')
  .split(delimiter)
  .map((d) => join(d, 'tmux'))
  .find((p) => existsSync(p));
const ROOT = process.getuid?.() === 0;
const why = !ROOT ? 'not root (throwaway users need root)' : TMUX === undefined ? 'tmux is not on PATH' : (sudoMissing() ?? checkoutUnreachable());
if (why !== undefined) process.stderr.write(`${import.meta.filename}: skipped: ${why}\n`);

const users: string[] = [];
const sudoers: string[] = [];
const tuis: Tui[] = [];
let dir = '';
let owner = '';
let attacher = '';
let stranger = '';

const home = (user: string): string => `/home/${user}`;
const stateOf = (user: string): string => join(home(user), 'sg-state');

beforeAll(() => {
  if (why !== undefined) return;
  if (!existsSync(CLI)) throw new Error(`build first (npm run build): ${CLI} is missing`);
  owner = createUser('sgown');
  attacher = createUser('sgatt');
  stranger = createUser('sgstr');
  users.push(owner, attacher, stranger);
  sudoers.push(addSudoers(`${attacher}-attach`, `${attacher} ALL=(${owner}) NOPASSWD: ALL`));
  // As sudo before 1.9.14 without Ubuntu's sudoers: the command gets the attacher's terminal.
  sudoers.push(addSudoers(`${attacher}-nopty`, `Defaults:${attacher} !use_pty`));
  // A site that keeps a variable through sudo (env_keep): the attacher's own must still not reach the owner.
  sudoers.push(addSudoers(`${attacher}-keep`, `Defaults:${attacher} env_keep += "SG_OPERATOR_SECRET"`));
  dir = mkdtempSync(join(tmpdir(), 'sg-attach-other-'));
  const file = join(dir, 'walk.md');
  writeFileSync(
    file,
    ['# Sleepy walk', '', '## Steps', '', '```bash {name=slow}', `sleep 5; echo done > ${join(dir, 'slow.txt')}`, '```', '', '```bash {name=next}', `echo next > ${join(dir, 'next.txt')}`, '```', ''].join('\n'),
  );
  // The owner's workspace: the runbook is theirs (trusted), the steps write beside it.
  const uid = Number(execFileSync('id', ['-u', owner], { encoding: 'utf8' }).trim());
  chownSync(dir, uid, uid);
  chownSync(file, uid, uid);
  chmodSync(dir, 0o755);
});

afterAll(() => {
  for (const tui of tuis.splice(0)) {
    try {
      tui.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  if (owner !== '') {
    // The owner's private server, if a failed test left it.
    spawnSync('pkill', ['-KILL', '-u', owner], { stdio: 'ignore' });
  }
  for (const file of sudoers.splice(0)) removeSudoers(file);
  for (const user of users.splice(0)) {
    try {
      removeUser(user);
    } catch {
      // a process of it still ending: the next run's sweep removes it
    }
  }
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

/** A process's controlling terminal (tty_nr in /proc/PID/stat). */
function ttyOf(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4] ?? '';
}

/** The owner's `stepgate attach --registry` processes: what an attach runs as the owner. */
function ownerAttaches(user: string): number[] {
  const uid = Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return statSync(`/proc/${p}`).uid === uid && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('--registry');
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * The owner makes their tmux pass a clipboard write to every attached client (set-clipboard on,
 * an OSC 52 printed into the TUI's pane), with a visible marker beside it; then waits until
 * `tui` has been sent the marker. What the attacher's terminal got is then `tui.output()`.
 */
async function ownerWritesClipboard(registry: string, tui: Tui, marker: string): Promise<void> {
  const tmux = (...args: string[]): string => execFileSync('runuser', ['-u', owner, '--', TMUX ?? 'tmux', '-S', join(registry, 'sock'), ...args], { encoding: 'utf8' }).trim();
  tmux('set', '-s', 'set-clipboard', 'on');
  const pane = tmux('display', '-p', '#{pane_tty}');
  execFileSync('runuser', ['-u', owner, '--', 'sh', '-c', `printf '\\033]52;c;cGF5bG9hZA==\\007${marker}' > ${pane}`]);
  await until(`${marker} relayed to the attached terminal`, () => tui.output().includes(marker));
}

/** `attach ID` to another user's TUI asks first (anyone can announce one): yes. */
async function confirmAttach(tui: Tui): Promise<void> {
  await tui.waitFor('attach to it as');
  tui.press('y\r');
}

function events(): Event[] {
  return journalEvents(stateOf(owner));
}

describe.skipIf(why !== undefined)('attach as another login user', () => {
  it('goes through sudo -n -u OWNER for a user with the rule, refuses one without it, and never shows the socket to either', async () => {
    const as = (user: string) => ({ user, home: home(user) });
    const first = startTui(['walk.md'], dir, stateOf(owner), { detach: true, as: as(owner) });
    tuis.push(first);
    await first.waitFor('READY 1/2 slow', 60_000);
    first.press('\r');
    await first.waitFor('RUNNING slow');
    // The owner's SSM session drops mid-step.
    process.kill(-first.pid, 'SIGHUP');
    await first.exited;
    await until('slow.txt written by the step', () => existsSync(join(dir, 'slow.txt')));
    const id = String(events()[0]?.['id']);
    expect(id).toMatch(/^\d{8}-\d{6}-/);

    // Another login user, whose own journals are empty, is told the deploy runs (trial: told
    // only "nothing to resume", they might have started it again).
    const asStranger = (args: string[]) =>
      spawnSync('runuser', ['-u', stranger, '--', process.execPath, CLI, ...args], { cwd: dir, env: { ...process.env, HOME: home(stranger), STEPGATE_STATE_DIR: stateOf(stranger) }, encoding: 'utf8' });
    const listed = asStranger(['sessions']);
    expect(listed.stdout).toContain(`note: ${owner} runs session ${id} (`);
    // Attaching means becoming the owner: not offered to a user who may not (a trial was offered it, then refused).
    expect(listed.stdout).toContain(`detached on this host; attaching to it means becoming ${owner}, which ${stranger} may not here`);
    expect(listed.stdout).not.toContain(`stepgate attach ${id}`);
    const asAttacher = spawnSync('runuser', ['-u', attacher, '--', process.execPath, CLI, 'sessions'], { cwd: dir, env: { ...process.env, HOME: home(attacher), STEPGATE_STATE_DIR: stateOf(attacher) }, encoding: 'utf8' });
    expect(asAttacher.stdout).toContain(`detached on this host: stepgate attach ${id} (or --watch)`);
    const resumed = asStranger(['resume', '--plain']);
    expect(resumed.status).toBe(2);
    expect(resumed.stderr).toContain(`stepgate: note: ${owner} runs session ${id} (`);

    // The socket is in the owner's 0700 directory; the other users cannot see into it.
    const detach = join(stateOf(owner), 'detach');
    const [token = ''] = readdirSync(detach);
    const registry = join(detach, token);
    expect(statSync(registry).mode & 0o777).toBe(0o700);
    expect(statSync(registry).uid).toBe(Number(execFileSync('id', ['-u', owner], { encoding: 'utf8' }).trim()));
    for (const user of [attacher, stranger]) expect(spawnSync('runuser', ['-u', user, '--', 'test', '-e', join(registry, 'sock')]).status).toBe(1);

    // Wrapped at 80 columns, mid-word: compared without white space.
    const flat = (text: string): string => text.replace(/\s+/g, '');

    // A false beacon could name any directory: as the owner, attach takes only its own private one.
    const parent = mkdtempSync(join(tmpdir(), 'sg-planted-'));
    chmodSync(parent, 0o755);
    const planted = join(parent, 'abcdefabcdef');
    execFileSync('install', ['-d', '-m', '700', '-o', attacher, planted]);
    const forged = startTui(['attach', '--registry', planted], dir, stateOf(owner), { detach: true, as: as(owner) });
    tuis.push(forged);
    expect(await forged.exited).toBe(2);
    expect(flat(forged.screen())).toContain(flat(`is not a private directory of ${owner}`));
    rmSync(parent, { recursive: true, force: true });

    // Without a rule for the owner: refused, naming the rule and the fix.
    const refused = startTui(['attach', id], dir, stateOf(stranger), { detach: true, as: as(stranger) });
    tuis.push(refused);
    await confirmAttach(refused);
    expect(await refused.exited).toBe(2);
    const said = flat(refused.screen());
    expect(said).toContain(flat(`session ${id} runs detached as ${owner}; attaching to it means becoming ${owner}`));
    expect(said).toContain(flat(`${stranger} may not use sudo without a password`));
    expect(said).toContain(flat(`${stranger} ALL=(${owner}) NOPASSWD: ALL`));

    // With the rule, --watch first: the attacher sees where the session waits, read-only, as
    // themself in the journal; enter and q there run and quit nothing.
    const watcher = startTui(['attach', '--watch', id], dir, stateOf(attacher), { detach: true, as: as(attacher) });
    tuis.push(watcher);
    await confirmAttach(watcher);
    await watcher.waitFor('READY 2/2 next', 60_000);
    const watching = await until('a read-only terminal-attached in the journal', () =>
      events().find((e) => e.type === 'terminal-attached' && (e['terminal'] as { readOnly?: boolean }).readOnly === true),
    );
    expect((watching['terminal'] as { who: { user: string } }).who.user).toBe(attacher);
    watcher.press('\r');
    watcher.press('q');
    watcher.press('\u001C');
    await watcher.waitFor(`come back with: stepgate attach ${id}`);
    expect(await watcher.exited).toBe(0);
    expect(existsSync(join(dir, 'next.txt'))).toBe(false);
    expect(events().some((e) => e.type === 'step-started' && String(e['key']).endsWith('#next'))).toBe(false);

    // With the rule: the attacher sees where the session waits and runs the next step.
    const back = startTui(['attach', id], dir, stateOf(attacher), { detach: true, as: as(attacher), env: { SG_OPERATOR_SECRET: 'hunter2-attacher' } });
    tuis.push(back);
    await confirmAttach(back);
    await back.waitFor('READY 2/2 next', 60_000);
    // Through sudo too, the owner's processes run on a pty of stepgate's, not the attacher's
    // terminal (sudo's use_pty is not on everywhere: a re-review ran a command as the attacher).
    const viaSudo = ownerAttaches(owner);
    expect(viaSudo.length).toBeGreaterThan(0);
    for (const pid of viaSudo) expect(ttyOf(pid)).not.toBe(ttyOf(back.pid));
    // Nor the attacher's environment: sudo was handed the whole of it, and env_keep kept a token.
    for (const pid of viaSudo) expect(readFileSync(`/proc/${pid}/environ`, 'utf8')).not.toContain('hunter2-attacher');
    // What the owner's tmux prints reaches the attacher's terminal drawn, never obeyed: a
    // clipboard write (OSC 52) from the owner's pane is dropped on the way (it arrived before).
    await ownerWritesClipboard(registry, back, 'SUDO-MARK');
    expect(back.output()).not.toContain('\u001b]52;');
    const attached = await until('terminal-attached in the journal', () =>
      events().find((e) => e.type === 'terminal-attached' && (e['terminal'] as { readOnly?: boolean }).readOnly !== true),
    );
    expect((attached['terminal'] as { who: { user: string } }).who.user).toBe(attacher);
    // ctrl-\ detaches through sudo too; the session is unfinished, so the status is 1.
    back.press('\u001C');
    await back.waitFor(`come back with: stepgate attach ${id}`);
    expect(await back.exited).toBe(1);
    await until('terminal-detached in the journal', () => events().find((e) => e.type === 'terminal-detached'));
    expect(events().some((e) => e.type === 'step-started' && String(e['key']).endsWith('#next'))).toBe(false);

    // Root attaches through runuser: the owner's processes get a terminal of runuser's, never
    // root's own (the owner runs the tmux server, which can make a client run a command: in
    // root's terminal session it could type into that terminal). A bare attach lists another
    // user's TUI and asks; it does not attach by itself.
    if (ROOT) {
      const rootState = mkdtempSync(join(tmpdir(), 'sg-root-attach-'));
      try {
        const bare = startTui(['attach'], dir, rootState, { detach: true });
        tuis.push(bare);
        await bare.waitFor('attach to which');
        bare.press('\r');
        expect(await bare.exited).toBe(0);
        expect(flat(bare.screen())).toContain(flat(`${id}`));
        // One of root's own session ids in another user's beacon is a look-alike: refused.
        const mineId = '20261207-000000-abcdef';
        mkdirSync(join(rootState, 'sessions'), { recursive: true });
        writeFileSync(join(rootState, 'sessions', `${mineId}.jsonl`), '');
        const uid = Number(execFileSync('id', ['-u', owner], { encoding: 'utf8' }).trim());
        const fake = await announce('0123456789ab', () => ({ user: owner, uid, pid: process.pid, registry, session: { id: mineId, runbook: '/root/deploy.md', since: Date.now() } }));
        try {
          const lured = startTui(['attach', mineId], dir, rootState, { detach: true });
          tuis.push(lured);
          expect(await lured.exited).toBe(2);
          expect(flat(lured.output())).toContain(flat(`session ${mineId} is yours, but the detached TUI that claims it runs as ${owner}: not attaching`));
        } finally {
          fake?.close();
        }
        const rooted = startTui(['attach', id], dir, rootState, { detach: true });
        tuis.push(rooted);
        await confirmAttach(rooted);
        await rooted.waitFor('READY 2/2 next', 60_000);
        const ownerSide = ownerAttaches(owner);
        expect(ownerSide.length).toBeGreaterThan(0);
        for (const pid of ownerSide) expect(ttyOf(pid)).not.toBe(ttyOf(rooted.pid));
        await ownerWritesClipboard(registry, rooted, 'ROOT-MARK');
        expect(rooted.output()).not.toContain('\u001b]52;');
        // The owner decides what ctrl-\ does in their tmux: here it switches to a look-alike
        // that records what is typed next (a review captured a secret so). stepgate sends the
        // key on, then nothing more, and ends the relay itself, in its own words.
        const sock = join(registry, 'sock');
        const captured = join(home(owner), 'captured');
        const asOwner = (...args: string[]): void => void execFileSync('runuser', ['-u', owner, '--', TMUX ?? 'tmux', '-S', sock, ...args]);
        asOwner('new-session', '-d', '-s', 'fake', `cat > ${captured}`);
        asOwner('bind', '-n', 'C-\\', 'switch-client', '-t', 'fake');
        try {
          rooted.press('\u001C');
          rooted.press('typed-after-leaving\r');
          await rooted.waitFor(`come back with: stepgate attach ${id}`);
          expect(rooted.output()).toContain(`stepgate: back from ${owner}'s TUI; session ${id} keeps running as ${owner}`);
          expect(await rooted.exited).toBe(1);
          expect(existsSync(captured) ? readFileSync(captured, 'utf8') : '').not.toContain('typed-after-leaving');
        } finally {
          // Gone with its last client where the server destroys unattached sessions.
          spawnSync('runuser', ['-u', owner, '--', TMUX ?? 'tmux', '-S', sock, 'kill-session', '-t', 'fake'], { stdio: 'ignore' });
          asOwner('bind', '-n', 'C-\\', 'detach-client');
        }
      } finally {
        rmSync(rootState, { recursive: true, force: true });
      }
    }

    const again = startTui(['attach', id], dir, stateOf(attacher), { detach: true, as: as(attacher) });
    tuis.push(again);
    await confirmAttach(again);
    await again.waitFor('READY 2/2 next', 60_000);
    again.press('\r');
    await again.waitFor('ENDED: completed', 30_000);
    expect(readFileSync(join(dir, 'next.txt'), 'utf8')).toBe('next\n');
    again.press('q');
    await again.waitFor(`session ${id} completed`);
    expect(await again.exited).toBe(0);
    const log = execFileSync('runuser', ['-u', owner, '--', process.execPath, CLI, 'log', id], {
      env: { ...process.env, HOME: home(owner), STEPGATE_STATE_DIR: stateOf(owner) },
      encoding: 'utf8',
    });
    expect(log).toContain(`ATTACHED ${attacher}`);
  }, 240_000);
});
