/** Helpers for the execution tests: polling waits, throwaway users, sudoers entries. */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach } from 'vitest';
import { openShell } from '../../src/exec/shell.js';
import type { Shell, ShellOptions } from '../../src/exec/types.js';

/** Poll until `check` returns a truthy value; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** Wait until the shell's screen shows `text`. */
export function waitForScreen(shell: Shell, text: string, timeoutMs = 20_000): Promise<string[]> {
  return waitFor(`screen to show ${JSON.stringify(text)}`, () => {
    const lines = shell.screen().lines;
    return lines.some((l) => l.includes(text)) ? lines : undefined;
  }, timeoutMs);
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

export { addSudoers, createUser, removeSudoers, removeUser } from '../helpers/test-users.js';

export function processAlive(pid: number): boolean {
  if (!existsSync(`/proc/${pid}`)) return false;
  try {
    const stat = execFileSync('cat', [`/proc/${pid}/stat`], { encoding: 'utf8' });
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** A process as a failed wait should name it: pid, state, parent and argv, read from /proc. */
export function describeProcess(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
    return `pid ${pid} (${state}, parent ${ppid}): ${argv}`;
  } catch {
    return `pid ${pid} (gone)`;
  }
}

/** Every process's argv, read from /proc, joined with spaces (processes that end mid-read are skipped). */
export function allCommandLines(): string[] {
  const lines: string[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      lines.push(readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' '));
    } catch {
      // gone already
    }
  }
  return lines;
}

/** Scan all command lines for `needles` until `pending` settles; returns its result and what was seen. */
export async function scanWhile<T>(pending: Promise<T>, needles: string[]): Promise<{ result: T; found: Set<string> }> {
  const found = new Set<string>();
  let done = false;
  const settled = pending.finally(() => {
    done = true;
  });
  while (!done) {
    for (const line of allCommandLines()) for (const n of needles) if (line.includes(n)) found.add(n);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return { result: await settled, found };
}

/**
 * A temporary directory per test and the shells opened in it (`cwd` there unless given), closed
 * and removed after each test. Call at the top of a test file.
 */
export function shellFixture(prefix: string, defaults: ShellOptions = {}): { readonly dir: string; open(opts?: ShellOptions): Promise<Shell> } {
  let dir = '';
  const shells: Shell[] = [];
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const sh of shells.splice(0)) await sh.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get dir() {
      return dir;
    },
    async open(opts: ShellOptions = {}) {
      const sh = await openShell({ cwd: dir, ...defaults, ...opts });
      shells.push(sh);
      return sh;
    },
  };
}
