/**
 * `stepgate FILE` with no terminal falls back to plain mode: the TUI's placement flags must not
 * turn that into a usage error (`--no-detach` is what plain mode does), while `--detach`, which
 * cannot be had there, is refused saying why. The built CLI, no stdin, as CI runs it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI as cli } from '../helpers/paths.js';

let dir = '';
let file = '';

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stepgate-plain-fallback-'));
  file = path.join(dir, 'hello.md');
  writeFileSync(file, '# Hello\n\nSay hello.\n\n```bash {name=hello}\necho hello-from-step\n```\n');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const run = (args: string[]) =>
  execa(process.execPath, [cli, ...args], { cwd: dir, reject: false, stdin: 'ignore', env: { STEPGATE_STATE_DIR: path.join(dir, 'state'), CI: 'true', NO_COLOR: '1' } });

describe('the plain fallback of stepgate FILE', { timeout: 60_000 }, () => {
  it('runs the runbook with --no-detach, which asks for what plain mode does anyway', async () => {
    const r = await run([file, '--no-detach', '--yes']);
    expect(r.stderr).not.toContain('unknown option');
    expect(r.stdout).toContain('hello-from-step');
    expect(r.exitCode).toBe(0);
  });

  it('runs it with --quiet too: plain mode rings no bell, so the flag asks for nothing it lacks', async () => {
    const r = await run([file, '--quiet', '--yes']);
    expect(r.stderr).not.toContain('unknown option');
    expect(r.stdout).toContain('hello-from-step');
    expect(r.exitCode).toBe(0);
  });

  it('refuses --detach, saying why, before anything runs', async () => {
    const r = await run([file, '--detach', '--yes']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('--detach needs a terminal to detach from');
    expect(r.stdout).not.toContain('hello-from-step');
  });
});
