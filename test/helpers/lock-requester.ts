/**
 * A take-over request to a host lock (src/exec/lock.ts) written the way another local user could
 * write it: plain `node:net` on the abstract socket, no stepgate code, with whatever it claims
 * about itself (root, pid 1). Run as a throwaway user (`runuser -u USER`) it is the reported
 * attack; it can also answer the holder's challenge with a proof file of its own, or wait for the
 * test to plant something at the proof path first.
 */
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * - `raw`: sends the steal line only (the reviewer's reproduction) and waits;
 * - `own`: answers a challenge with a proof file it creates itself (its own uid);
 * - `wait`: prints the challenge, waits for a line on stdin, plants a symlink at the proof path
 *   when given a target, then says the proof is there.
 */
export type RequesterMode = 'raw' | 'own' | 'wait';

const SCRIPT = `
import { createHash } from 'node:crypto';
import { closeSync, openSync, symlinkSync, writeSync, constants } from 'node:fs';
import { createConnection } from 'node:net';
import { createInterface } from 'node:readline';
const [mode, name, target] = process.argv.slice(2);
const out = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
const stdinLine = new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const address = '\\0stepgate-lock-' + createHash('sha256').update(name).digest('hex').slice(0, 40);
const socket = createConnection(address);
const CLAIM = { user: 'root', pid: 1, reason: 'forged' };
socket.on('connect', () => socket.write(JSON.stringify({ op: 'steal', steal: CLAIM }) + '\\n'));
let text = '';
socket.on('data', async (chunk) => {
  text += chunk.toString('utf8');
  for (let end = text.indexOf('\\n'); end >= 0; end = text.indexOf('\\n')) {
    const value = JSON.parse(text.slice(0, end));
    text = text.slice(end + 1);
    out({ got: value });
    if (typeof value.challenge !== 'string' || mode === 'raw') continue;
    const path = '/tmp/stepgate-steal-' + value.challenge;
    if (mode === 'own') {
      const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
      const claim = createHash('sha256').update(JSON.stringify([CLAIM.user, CLAIM.pid, null, CLAIM.reason])).digest('hex');
      writeSync(fd, 'stepgate lock take-over proof\\nlock: ' + name + '\\nnonce: ' + value.challenge + '\\nholder: ' + value.pid + ' ' + value.since + '\\nclaim: ' + claim + '\\n');
      closeSync(fd);
    } else {
      await stdinLine;
      if (target) symlinkSync(target, path);
    }
    socket.write(JSON.stringify({ op: 'proof' }) + '\\n');
  }
});
socket.on('close', () => { out({ closed: true }); process.exit(0); });
socket.on('error', (error) => { out({ error: error.message }); process.exit(0); });
`;

/** What the requester script claims to be when it asks for a take-over. */
export const REQUESTER_CLAIM = { user: 'root', pid: 1, reason: 'forged' };

/** A directory every user can read, holding the requester script; remove it with `rmSync(dir, { recursive: true })`. */
export function requesterScript(): { dir: string; script: string } {
  const dir = mkdtempSync('/tmp/sglk-requester-');
  chmodSync(dir, 0o755);
  const script = join(dir, 'requester.mjs');
  writeFileSync(script, SCRIPT, { mode: 0o644 });
  return { dir, script };
}

export function removeRequesterScript(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export interface RequesterRun {
  /** Every line the holder sent, in order. */
  got: Array<Record<string, unknown>>;
  /** The challenge, once the holder sent one. */
  challenge(): Promise<string>;
  /** Lets a `wait` requester go on. */
  proceed(): void;
  /** The requester ended (the holder closed the connection). */
  done: Promise<void>;
}

/** Runs the requester (as `user` through runuser, or as this process's user) against the lock `name`. */
export function runRequester(script: string, mode: RequesterMode, name: string, options: { user?: string; target?: string } = {}): RequesterRun {
  const args = [script, mode, name, ...(options.target !== undefined ? [options.target] : [])];
  const child = options.user !== undefined ? spawn('runuser', ['-u', options.user, '--', process.execPath, ...args]) : spawn(process.execPath, args);
  const got: Array<Record<string, unknown>> = [];
  let text = '';
  let stderr = '';
  const waiters: Array<(nonce: string) => void> = [];
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
      const value = JSON.parse(text.slice(0, end)) as { got?: Record<string, unknown> };
      text = text.slice(end + 1);
      if (!value.got) continue;
      got.push(value.got);
      const nonce = value.got.challenge;
      if (typeof nonce === 'string') for (const wake of waiters.splice(0)) wake(nonce);
    }
  });
  const done = new Promise<void>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`requester exited ${code}: ${stderr}`))));
  });
  return {
    got,
    challenge: () => {
      const seen = got.find((g) => typeof g.challenge === 'string')?.challenge;
      return typeof seen === 'string' ? Promise.resolve(seen) : new Promise((resolve) => waiters.push(resolve));
    },
    proceed: () => child.stdin.write('\n'),
    done,
  };
}
