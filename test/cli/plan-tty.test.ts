/**
 * `stepgate plan FILE` on a terminal fits each code line to its width (rows hanging under the
 * line's `$`), while a pipe and `--json` get every line whole. Real pty, the built CLI.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI as cli } from '../helpers/paths.js';

const LONG = 'rsync -a --delete --exclude .git --exclude node_modules /srv/releases/incoming/ /srv/app/current/ && echo synced';

let dir = '';
let file = '';
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stepgate-plan-tty-'));
  file = path.join(dir, 'deploy.md');
  writeFileSync(file, `# Deploy\n\n## Sync\n\nCopy the release.\n\n\`\`\`bash {name=sync}\n${LONG}\n\`\`\`\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const env = (): Record<string, string> => {
  const { NODE_ENV: _nodeEnv, ...rest } = process.env;
  return { ...rest, CI: 'false', NO_COLOR: '1', STEPGATE_STATE_DIR: path.join(dir, 'state') } as Record<string, string>;
};

describe('stepgate plan', () => {
  it('on an 80-column terminal wraps a long code line under its $ and says so', async () => {
    const child = pty.spawn(process.execPath, [cli, 'plan', file], { name: 'xterm-256color', cols: 80, rows: 24, cwd: dir, env: env() });
    let out = '';
    child.onData((data) => (out += data));
    const code = await new Promise<number>((resolve) => child.onExit(({ exitCode }) => resolve(exitCode)));
    expect(code).toBe(0);
    const lines = out.split(/\r?\n/);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    const at = lines.findIndex((l) => l.startsWith('     $ rsync'));
    expect(at).toBeGreaterThan(0);
    expect(`${lines[at]?.slice(7)}${lines[at + 1]?.slice(11)}`).toBe(LONG);
    expect(lines[at + 1]).toMatch(/^ {11}\S/);
    expect(out).toContain('Long code lines wrap, indented under their $');
  });

  it('through a pipe, and with --json, keeps the line whole', () => {
    const piped = spawnSync(process.execPath, [cli, 'plan', file], { cwd: dir, env: env(), encoding: 'utf8' });
    expect(piped.status).toBe(0);
    expect(piped.stdout).toContain(`     $ ${LONG}\n`);
    expect(piped.stdout).not.toContain('Long code lines wrap');
    const json = spawnSync(process.execPath, [cli, 'plan', '--json', file], { cwd: dir, env: env(), encoding: 'utf8' });
    expect(json.status).toBe(0);
    expect(JSON.stringify(JSON.parse(json.stdout))).toContain(LONG);
  });
});
