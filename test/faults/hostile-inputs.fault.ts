/**
 * Hostile runbook files through the built CLI's lint and plan: each must end within a deadline
 * with a diagnostic (exit 0 or 2), never hang, crash with a stack trace or exit by a signal.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { printFigures, record } from './tally.js';

let dir: string;

const aliasBomb = ['```check', 'a: &a ["x","x","x","x","x","x","x","x","x"]', ...'bcdefghi'.split('').map((l, i) => `${l}: &${l} [*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]},*${'abcdefghi'[i]}]`), 'http: http://localhost:1/', '```', ''].join('\n');
const frontBomb = `---\n${aliasBomb.split('\n').slice(1, 11).join('\n')}\n---\n# T\n`;

const INPUTS: Array<[string, () => void]> = [
  ['binary', () => writeFileSync(join(dir, 'binary.md'), Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 7919) % 256)))],
  ['nul-bytes', () => writeFileSync(join(dir, 'nul-bytes.md'), '# Title\n\n```bash\necho a\0b\n```\n')],
  ['invalid-utf8', () => writeFileSync(join(dir, 'invalid-utf8.md'), Buffer.concat([Buffer.from('# T\n\n```bash\necho '), Buffer.from([0xc3, 0x28, 0xff, 0xfe]), Buffer.from('\n```\n')]))],
  ['yaml-alias-bomb-check', () => writeFileSync(join(dir, 'yaml-alias-bomb-check.md'), `# T\n\n${aliasBomb}`)],
  ['yaml-alias-bomb-front-matter', () => writeFileSync(join(dir, 'yaml-alias-bomb-front-matter.md'), frontBomb)],
  ['symlink-loop', () => {
    symlinkSync('symlink-loop-b.md', join(dir, 'symlink-loop.md'));
    symlinkSync('symlink-loop.md', join(dir, 'symlink-loop-b.md'));
  }],
  ['fifo', () => execFileSync('mkfifo', [join(dir, 'fifo.md')])],
  ['dev-zero', () => symlinkSync('/dev/zero', join(dir, 'dev-zero.md'))],
  ['directory', () => execFileSync('mkdir', [join(dir, 'directory.md')])],
  ['escape-sequences', () => writeFileSync(join(dir, 'escape-sequences.md'), '# \x1b]0;owned\x07Title \x1b]52;c;ZXZpbA==\x07\n\nProse \x1bc reset.\n\n```bash {name=a}\necho hi\n```\n')],
  ['over-limit', () => writeFileSync(join(dir, 'over-limit.md'), 'x'.repeat(5 * 1024 * 1024))],
  ['links-to-fifo', () => writeFileSync(join(dir, 'links-to-fifo.md'), '---\nbefore: fifo.md\n---\n# T\n\n```bash {name=a}\necho hi\n```\n')],
];

function cli(args: string[], ms: number): Promise<{ code: number | null; signal: string | null; out: string; hung: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: 'true', STEPGATE_PARSE_CACHE: 'off' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let hung = false;
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, hung });
    });
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-faults-'));
  for (const [, make] of INPUTS) make();
});
afterAll(() => {
  printFigures();
  rmSync(dir, { recursive: true, force: true });
});

describe('hostile inputs', () => {
  for (const [name] of INPUTS) {
    for (const command of ['lint', 'plan'] as const) {
      it(`${command} ${name}.md ends with a diagnostic`, async () => {
        const r = await cli([command, `${name}.md`], 20_000);
        const held = !r.hung && r.signal === null && (r.code === 0 || r.code === 2) && !/\n\s+at .*\.js:\d+/.test(r.out) && !/\x1b\]52|\x1b\]0;|\x1bc/.test(r.out);
        record(`hostile input (${command})`, held, `${name}: ${r.hung ? 'hung' : `exit ${r.code ?? r.signal}`}`);
        expect(r.hung, `${command} hung on ${name}`).toBe(false);
        expect(r.signal).toBeNull();
        expect([0, 2]).toContain(r.code);
        expect(r.out).not.toMatch(/\n\s+at .*\.js:\d+/);
      });
    }
  }
});
