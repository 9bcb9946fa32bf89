/**
 * Bare `stepgate` on a terminal in a directory without runbooks/: it says where it looked and
 * what to give instead. Real pty, the built CLI.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pty from 'node-pty';
import { afterEach, expect, it } from 'vitest';
import { CLI as cli } from '../helpers/paths.js';

let dir = '';

afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

it('bare stepgate where there is no runbooks/ names the directory and the ways on, exit 2', async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stepgate-no-runbooks-'));
  const { NODE_ENV: _nodeEnv, ...env } = process.env;
  const child = pty.spawn(process.execPath, [cli], {
    name: 'xterm-256color',
    cols: 80,
    rows: 24,
    cwd: dir,
    env: { ...env, CI: 'false', NO_COLOR: '1', STEPGATE_STATE_DIR: path.join(dir, 'state') } as Record<string, string>,
  });
  let out = '';
  child.onData((data) => (out += data));
  const code = await new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
  expect(code).toBe(2);
  const text = out.replace(/\r?\n/g, ' ').replace(/\s+/g, ' ');
  expect(text).toContain(`stepgate: no runbooks directory in ${dir}: give a runbook or a directory of runbooks (stepgate FILE|DIR), or start stepgate where runbooks/ is`);
  expect(text).toContain('usage: stepgate [FILE|DIR]');
});
