/**
 * The TUI's launcher (the `stepgate FILE` an operator types outside tmux) only starts the
 * private tmux server with stepgate inside it: it must not load the runbook parser, the
 * session or Ink, which the stepgate inside loads again (issue 14: the first frame waited for
 * both). Proved on the real path: the built CLI in a real pty, tmux, every module each process
 * loaded recorded by test/helpers/trace-imports.mjs (one file per pid).
 */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { tracedSources } from '../helpers/traced-sources.js';
import { CLI, TMUX, endDetached, startTui, type Tui } from './tui-harness.js';
import { ROOT } from '../helpers/paths.js';

if (TMUX === undefined) process.stderr.write(`${import.meta.filename}: tmux is not on PATH; the launcher test is skipped\n`);

const dirs: string[] = [];
const tuis: Tui[] = [];
afterEach(() => endDetached(tuis, dirs));


const HEAVY = /node_modules\/(ink|react|mdast-util-from-markdown|micromark|@xterm\/[^/]*|node-pty)\/|src\/session\/store\.ts|src\/runbooks\/parse\.ts/;

describe.skipIf(TMUX === undefined)('the TUI launcher', () => {
  it('starts tmux with stepgate inside without loading the parser, the session or Ink itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-launcher-'));
    dirs.push(dir);
    const traces = join(dir, 'traces');
    execFileSync('mkdir', [traces]);
    const file = join(dir, 'walk.md');
    writeFileSync(file, '# Launcher walk\n\n## Steps\n\nSay hello.\n\n```bash {name=hello}\necho hello\n```\n');
    const tui = startTui([file], dir, join(dir, 'state'), {
      detach: true,
      env: { NODE_OPTIONS: `--import=${resolve(ROOT, 'test/helpers/trace-imports.mjs')}`, TRACE_IMPORTS_DIR: traces },
    });
    tuis.push(tui);
    await tui.waitFor((s) => s.includes('Launcher walk') && s.includes('enter run'), 60_000);
    tui.press('q');
    await tui.exited;
    const launcher = tracedSources(join(traces, `${tui.pid}.txt`));
    expect(launcher.filter((s) => s.startsWith('unmapped'))).toEqual([]);
    expect(launcher.some((s) => s.endsWith('src/commands/detach.ts'))).toBe(true);
    expect(launcher.filter((s) => HEAVY.test(s))).toEqual([]);
    // The stepgate inside tmux (another pid) is the one that loaded them.
    const inside = readdirSync(traces).filter((name) => name !== `${tui.pid}.txt`);
    expect(inside.flatMap((name) => tracedSources(join(traces, name))).some((s) => /node_modules\/ink\//.test(s))).toBe(true);
  }, 120_000);

  it('draws UTF-8 in its tmux when the locale names none (SSM sessions often set no LANG)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sg-launcher-'));
    dirs.push(dir);
    execFileSync('chmod', ['755', dir]);
    const file = join(dir, 'walk.md');
    writeFileSync(file, '# Locale walk\n\n## Steps\n\nSay hello.\n\n```bash {name=hello}\necho hello\n```\n');
    // The operator's terminal is itself a tmux pane here (as in the trial that found it): a
    // tmux client there, with no locale, drew · as ~ and arrows as _ unless told -u.
    const socket = join(dir, 'outer.sock');
    const { LANG: _l, LC_ALL: _a, LC_CTYPE: _c, LANGUAGE: _g, TMUX: _t, TMUX_PANE: _p, ...env } = process.env;
    // TMUX unset: in the operator's own tmux stepgate runs in place; this pane plays a plain terminal.
    const inner = `env -u TMUX CI=false NO_COLOR=1 STEPGATE_STATE_DIR=${join(dir, 'state')} ${process.execPath} ${CLI} ${file}; sleep 60`;
    const tmux = (...args: string[]): string => execFileSync(TMUX ?? 'tmux', ['-S', socket, ...args], { env, encoding: 'utf8' });
    tmux('-f', '/dev/null', 'new-session', '-d', '-x', '80', '-y', '24', inner);
    try {
      let screen = '';
      for (let turn = 0; turn < 300 && !screen.includes('enter run'); turn += 1) {
        await new Promise((r) => setTimeout(r, 100));
        screen = tmux('capture-pane', '-p');
      }
      expect(screen).toMatch(/stepgate · Locale walk/);
      tmux('send-keys', 'q');
    } finally {
      execFileSync(TMUX ?? 'tmux', ['-S', socket, 'kill-server'], { stdio: 'ignore' });
    }
  }, 120_000);
});
