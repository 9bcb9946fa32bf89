/**
 * A runbook or a linked file that is not a regular file (a FIFO, /dev/zero, a directory, a
 * socket, a symlink loop) is refused at once, naming the file and what it is; reads stop at
 * the size limit whatever stat says.
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunbookFileSync } from '../../src/commands/load.js';
import { readRegularFile } from '../../src/commands/regular-file.js';
import { CLI } from '../helpers/paths.js';

let dir: string;
let socketServer: net.Server;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-special-'));
  execFileSync('mkfifo', [join(dir, 'fifo.md')]);
  symlinkSync('loop-b.md', join(dir, 'loop-a.md'));
  symlinkSync('loop-a.md', join(dir, 'loop-b.md'));
  symlinkSync('/dev/zero', join(dir, 'zero.md'));
  socketServer = net.createServer();
  await new Promise<void>((resolve) => socketServer.listen(join(dir, 'sock.md'), resolve));
  writeFileSync(join(dir, 'main.md'), '---\nbefore: fifo.md\n---\n# Main\n\nSay hi.\n\n```bash {name=hi}\necho hi\n```\n');
});
afterAll(async () => {
  await new Promise((resolve) => socketServer.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/** The built CLI's result, or null when it had to be killed (it hung on the file). */
function cli(args: string[], ms = 20_000): Promise<{ code: number | null; out: string } | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve(signal === 'SIGKILL' ? null : { code, out });
    });
  });
}

const message = (file: string): string => readRunbookFileSync(join(dir, file)).runbook.diagnostics.map((d) => d.message).join('\n');

describe('runbook files that are not regular files', () => {
  it('names a FIFO, a device, a directory, a socket and a symlink loop for what they are', () => {
    expect(message('fifo.md')).toBe(`${join(dir, 'fifo.md')} is a named pipe (FIFO), not a regular file; give a regular .md file`);
    expect(message('zero.md')).toBe(`${join(dir, 'zero.md')} is a character device, not a regular file; give a regular .md file`);
    expect(message('sock.md')).toBe(`${join(dir, 'sock.md')} is a socket, not a regular file; give a regular .md file`);
    expect(readRunbookFileSync(dir).runbook.diagnostics[0]?.message).toBe(`${dir} is a directory, not a regular file; give a .md file`);
    expect(message('loop-a.md')).toBe(`cannot read ${join(dir, 'loop-a.md')}: a loop of symbolic links`);
  });

  it('reads no more than the limit, whatever stat says the size is', () => {
    // /proc files say size 0 and hold more.
    const refused = readRegularFile('/proc/self/maps', 64);
    expect(Buffer.isBuffer(refused)).toBe(false);
    expect(refused).toMatchObject({ kind: 'too-large', message: '/proc/self/maps holds more than 64 bytes (its size said 0); the limit is 64 bytes' });
  });

  it('reads every byte whether the file is smaller, as large as or larger than its first read', () => {
    // The first read is sized from fstat; the reads after a short one are small; /proc says 0.
    for (const size of [0, 1, 4095, 4096, 4097, 70_000, (1 << 20) + 3]) {
      const file = join(dir, `sized-${size}.md`);
      const text = Buffer.from(Array.from({ length: size }, (_, i) => 97 + (i % 26)));
      writeFileSync(file, text);
      expect(readRegularFile(file, 2 << 20), `${size} bytes`).toEqual(text);
      expect(readRegularFile(file, size), `${size} bytes, limit ${size}`).toEqual(text);
    }
    const status = readRegularFile('/proc/self/status', 1 << 20);
    expect(Buffer.isBuffer(status) && status.toString('utf8')).toMatch(/^Name:[\s\S]*\nPid:\s+\d+\n[\s\S]*\n$/);
  });

  it('lint and run refuse a FIFO (as the runbook or as a before: checklist) at once', async () => {
    const lint = await cli(['lint', 'fifo.md']);
    expect(lint, 'lint hung on the FIFO').not.toBeNull();
    expect(lint?.code).not.toBe(0);
    expect(lint?.out).toContain('fifo.md is a named pipe (FIFO), not a regular file');
    const run = await cli(['run', 'main.md', '--yes']);
    expect(run, 'run hung on the FIFO its before: names').not.toBeNull();
    expect(run?.code).not.toBe(0);
    expect(run?.out).toContain('before: fifo.md: fifo.md is a named pipe (FIFO), not a regular file');
    const zero = await cli(['plan', 'zero.md']);
    expect(zero, 'plan hung reading /dev/zero').not.toBeNull();
    expect(zero?.out).toContain('zero.md is a character device, not a regular file');
  }, 90_000);
});
