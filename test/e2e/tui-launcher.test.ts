/**
 * The TUI's launcher (the `stepgate FILE` an operator types outside tmux) only starts the
 * private tmux server with stepgate inside it: it must not load the runbook parser, the
 * session or Ink, which the stepgate inside loads again (issue 14: the first frame waited for
 * both). Proved on the real path: the built CLI in a real pty, tmux, every module each process
 * loaded recorded by test/helpers/trace-imports.mjs (one file per pid).
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { CLI, startTui, type Tui } from './tui-harness.js';
import { ROOT } from '../helpers/paths.js';

const TMUX = (process.env['PATH'] ?? '')
  .split(delimiter)
  .map((d) => join(d, 'tmux'))
  .find((p) => existsSync(p));
if (TMUX === undefined) process.stderr.write(`${import.meta.filename}: tmux is not on PATH; the launcher test is skipped\n`);

const dirs: string[] = [];
const tuis: Tui[] = [];
afterEach(() => {
  for (const tui of tuis.splice(0)) {
    try {
      tui.kill('SIGKILL');
    } catch {
      // gone
    }
  }
  for (const dir of dirs.splice(0)) {
    const detach = join(dir, 'state', 'detach');
    for (const d of existsSync(detach) ? readdirSync(detach) : []) {
      try {
        execFileSync(TMUX ?? 'tmux', ['-S', join(detach, d, 'sock'), 'kill-server'], { stdio: 'ignore' });
      } catch {
        // already gone
      }
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/** The sources a process ran, from its trace: a file of dist/ stands for what was bundled into it. */
function sourcesOf(trace: string): string[] {
  const bundled = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle-inputs.json'), 'utf8')) as Record<string, string[]>;
  const distUrl = pathToFileURL(join(ROOT, 'dist')).href + '/';
  return readFileSync(trace, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .flatMap((url) => (url.startsWith(distUrl) ? (bundled[url.slice(distUrl.length)] ?? [`unmapped ${url}`]) : [fileURLToPath(url)]));
}

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
    const launcher = sourcesOf(join(traces, `${tui.pid}.txt`));
    expect(launcher.filter((s) => s.startsWith('unmapped'))).toEqual([]);
    expect(launcher.some((s) => s.endsWith('src/commands/detach.ts'))).toBe(true);
    expect(launcher.filter((s) => HEAVY.test(s))).toEqual([]);
    // The stepgate inside tmux (another pid) is the one that loaded them.
    const inside = readdirSync(traces).filter((name) => name !== `${tui.pid}.txt`);
    expect(inside.flatMap((name) => sourcesOf(join(traces, name))).some((s) => /node_modules\/ink\//.test(s))).toBe(true);
  }, 120_000);
});
