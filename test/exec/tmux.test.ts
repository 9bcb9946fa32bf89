/**
 * The private tmux server's config, on a real tmux: invisible (no status line, no prefix, no
 * mouse, no escape delay, one key bound: the detach key), the operator's ~/.tmux.conf never
 * read, the session kept when its last client goes. And the one decision of where the TUI runs.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { TMUX_SESSION, TmuxServer, findTmux, tmuxConfig } from '../../src/exec/tmux.js';
import { NO_TMUX_NOTE, placement } from '../../src/commands/detach.js';

const TMUX = findTmux();
// Said, not silent: without tmux the real-tmux tests below are skipped.
if (TMUX === undefined) process.stderr.write(`${import.meta.filename}: tmux is not on PATH; the real-tmux tests are skipped\n`);

const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) {
    if (TMUX) {
      try {
        execFileSync(TMUX, ['-S', join(dir, 'sock'), 'kill-server'], { stdio: 'ignore' });
      } catch {
        // not running
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

describe.skipIf(TMUX === undefined)('the private tmux server (real tmux)', () => {
  it('is invisible and ignores ~/.tmux.conf; only ctrl-\\ is bound; the session outlives its clients', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-tmux-'));
    dirs.push(dir);
    // An operator's config that would show a status line and a prefix: never read.
    writeFileSync(join(dir, '.tmux.conf'), 'set -g status on\nset -g prefix C-a\nset -g mouse on\n');
    const conf = join(dir, 'tmux.conf');
    writeFileSync(conf, tmuxConfig({ notify: 'kill -USR2 #{pane_pid}', term: 'xterm-256color' }));
    const sock = join(dir, 'sock');
    const env = { ...process.env, HOME: dir, TMUX: '' };
    execFileSync(TMUX ?? 'tmux', ['-S', sock, '-f', conf, 'new-session', '-d', '-s', TMUX_SESSION, '-x', '80', '-y', '24', '--', 'sleep', '60'], { env });
    const show = (...args: string[]): string => execFileSync(TMUX ?? 'tmux', ['-S', sock, ...args], { env, encoding: 'utf8' }).trim();
    expect(show('show', '-gv', 'status')).toBe('off');
    expect(show('show', '-gv', 'prefix')).toBe('None');
    expect(show('show', '-gv', 'mouse')).toBe('off');
    expect(show('show', '-sv', 'escape-time')).toBe('0');
    expect(show('show', '-gv', 'assume-paste-time')).toBe('0');
    expect(show('show', '-gv', 'default-terminal')).toBe('xterm-256color');
    expect(show('show', '-gv', 'destroy-unattached')).toBe('off');
    const root = show('list-keys', '-T', 'root').split('\n');
    expect(root).toHaveLength(1);
    expect(root[0]).toMatch(/C-\\\\\s+detach-client$/);
    expect(show('show-hooks', '-g')).toMatch(/client-attached.*kill -USR2/);
    // No client attached (-d), and it is still there.
    const server = new TmuxServer(TMUX ?? 'tmux', sock);
    expect(await server.alive()).toBe(true);
    expect(await server.clients()).toEqual([]);
    expect(await server.panePid()).toBeGreaterThan(0);
  });

  it('refuses a notify command that could break out of its quotes', () => {
    expect(() => tmuxConfig({ notify: "kill '1'" })).toThrow(/quotes/);
  });
});

describe('where the TUI runs', () => {
  const withTmux = { PATH: TMUX ? TMUX.slice(0, TMUX.lastIndexOf('/')) : '/usr/bin' };
  const noTmux = { PATH: mkdtempSync(join(tmpdir(), 'sg-notmux-')) };
  dirs.push(noTmux.PATH);

  it.skipIf(TMUX === undefined)('wraps on a terminal outside tmux and screen, with tmux on PATH', () => {
    expect(placement({}, withTmux).kind).toBe('wrap');
    expect(placement({ detach: true }, withTmux).kind).toBe('wrap');
  });

  it('runs in place inside tmux or screen, with --no-detach or STEPGATE_DETACH=0', () => {
    expect(placement({}, { ...withTmux, TMUX: '/tmp/tmux-0/default,1,0' })).toEqual({ kind: 'in-place' });
    expect(placement({}, { ...withTmux, STY: '123.pts-0.host' })).toEqual({ kind: 'in-place' });
    // --detach inside the operator's own multiplexer: in place, and said (it does not insist there).
    const inside = placement({ detach: true }, { ...withTmux, TMUX: '/tmp/tmux-0/default,1,0' });
    expect(inside.kind).toBe('in-place');
    expect(inside.kind === 'in-place' ? inside.note : undefined).toMatch(/^inside tmux\/screen stepgate runs in place: yours keeps it running/);
    expect(placement({ noDetach: true }, withTmux)).toEqual({ kind: 'in-place' });
    expect(placement({}, { ...withTmux, STEPGATE_DETACH: '0' })).toEqual({ kind: 'in-place' });
  });

  it('without tmux: in place with the note, and --detach is a clear error', () => {
    expect(existsSync(join(noTmux.PATH, 'tmux'))).toBe(false);
    expect(placement({}, noTmux)).toEqual({ kind: 'in-place', note: NO_TMUX_NOTE });
    const refused = placement({ detach: true }, noTmux);
    expect(refused.kind).toBe('error');
    expect(refused.kind === 'error' && refused.message).toMatch(/--detach needs tmux.*apt-get install tmux.*dnf install tmux/);
    expect(placement({ detach: true, noDetach: true }, withTmux).kind).toBe('error');
  });

  it('finds tmux only on PATH', () => {
    expect(findTmux({ PATH: ['', noTmux.PATH].join(delimiter) })).toBeUndefined();
  });
});
