/**
 * Throwaway Linux users and sudoers entries for the run-as tests (root only). Each carries a stamp
 * naming the process that made it (pid and start time), so a later run can tell what a killed run
 * left behind from what a run going on beside it still uses: only the first is removed.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

const STAMP = 'stepgate-test';
const SUDOERS_DIR = '/etc/sudoers.d';

/** The kernel's start time of a process (field 22 of /proc/PID/stat), or undefined when it is gone. */
function startTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function ownStamp(): string {
  return `${STAMP} pid=${process.pid} start=${startTime(process.pid) ?? '?'}`;
}

/** True when the stamp names a process that no longer runs (or a reused pid). */
function stampIsStale(text: string): boolean {
  const m = new RegExp(`${STAMP} pid=(\\d+) start=(\\S+)`).exec(text);
  if (!m) return false;
  return startTime(Number(m[1])) !== m[2];
}

/** useradd/userdel take a lock on /etc/passwd; other test files may hold it for a moment. */
function retrying(cmd: string, args: string[]): void {
  for (let attempt = 0; ; attempt++) {
    const res = spawnSync(cmd, args, { encoding: 'utf8' });
    if (res.status === 0) return;
    if (attempt >= 20 || !/lock|try again/i.test(res.stderr)) {
      throw new Error(`${cmd} ${args.join(' ')} failed: ${res.stderr}`);
    }
    execFileSync('sleep', ['0.2']);
  }
}

export interface UserOptions {
  /** A home directory to use instead of a new /home/NAME (not created, not removed). */
  home?: string;
}

/** Create a throwaway user (bash, a home unless `home` is given); returns its name. */
export function createUser(prefix: string, options: UserOptions = {}): string {
  const name = `${prefix}${randomBytes(3).toString('hex')}`;
  const homeArgs = options.home ? ['--no-create-home', '--home-dir', options.home] : ['-m'];
  retrying('useradd', [...homeArgs, '-s', '/bin/bash', '-c', ownStamp(), name]);
  return name;
}

export function removeUser(name: string): void {
  retrying('userdel', ['-r', '-f', name]);
}

/**
 * Why the sudo tests cannot run here, or undefined when they can: a machine without sudo (a
 * fresh container; `.ci/run` installs it) skips them, saying so, instead of failing them.
 */
export function sudoMissing(): string | undefined {
  const found = ['/usr/bin/sudo', '/bin/sudo', '/usr/local/bin/sudo'].some((path) => existsSync(path));
  return found && existsSync(SUDOERS_DIR) ? undefined : `sudo is not installed (${found ? `no ${SUDOERS_DIR}` : 'no sudo binary'}): apt-get install sudo, as .ci/run does`;
}

/** Add a sudoers.d entry; returns its path (remove with removeSudoers). */
export function addSudoers(name: string, line: string): string {
  const file = `${SUDOERS_DIR}/${name}`;
  writeFileSync(file, `# ${ownStamp()}\n${line}\n`, { mode: 0o440 });
  const check = spawnSync('visudo', ['-c', '-f', file], { encoding: 'utf8' });
  if (check.status !== 0) {
    rmSync(file, { force: true });
    throw new Error(`bad sudoers line ${line}: ${check.stdout}${check.stderr}`);
  }
  return file;
}

export function removeSudoers(file: string): void {
  rmSync(file, { force: true });
}

/**
 * Remove the users and sudoers entries that an earlier, killed run left (their stamp names a
 * process that is gone); returns what was removed. Users without a stamp are never touched.
 */
export function sweepStaleTestUsers(): string[] {
  if (process.getuid?.() !== 0) return [];
  const removed: string[] = [];
  if (existsSync(SUDOERS_DIR)) {
    for (const entry of readdirSync(SUDOERS_DIR)) {
      const file = `${SUDOERS_DIR}/${entry}`;
      let text = '';
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        continue;
      }
      if (stampIsStale(text)) {
        rmSync(file, { force: true });
        removed.push(file);
      }
    }
  }
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , , , gecos] = line.split(':');
    if (name && gecos && stampIsStale(gecos)) {
      try {
        removeUser(name);
        removed.push(name);
      } catch {
        // another run's sweep got there first
      }
    }
  }
  return removed;
}

/**
 * Why a throwaway login user cannot run this checkout's built CLI, if it cannot: every
 * directory from `/` down to the checkout must let others through (`x` for others). A clone in
 * a private directory (root's home, a `mktemp -d`) keeps them out, and the tests that start
 * stepgate as such a user are then skipped with this reason instead of failing.
 */
export function checkoutUnreachable(root: string = resolve(import.meta.dirname, '..', '..')): string | undefined {
  for (let dir = root; ; dir = dirname(dir)) {
    const mode = statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      return `other users cannot enter ${dir} (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}), on the way to this checkout: clone it where they can (for example under /srv or /tmp), or chmod o+x that directory`;
    }
    if (dir === dirname(dir)) return undefined;
  }
}
