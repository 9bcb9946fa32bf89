/**
 * Running something as the target user, by the rules of the reference guide: when stepgate
 * already is that user, directly; as root, through `runuser`; otherwise through passwordless
 * sudo, checked up front so the operator gets a clear error before anything runs.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { promisify } from 'node:util';
import { runInOwnSession } from './own-session.js';
import { CLOSE_INHERITED_MASTERS } from './close-masters.js';
import { notFoundIn, systemProgram } from './system-programs.js';

const execFileAsync = promisify(execFile);

/** How a command reaches the target user. */
export type RunAsMode = 'self' | 'runuser' | 'sudo';

/** A resolved target user and how to become it. */
export interface RunAs {
  user: string;
  uid: number;
  gid: number;
  home: string;
  /** Login shell from the passwd entry. */
  shell: string;
  mode: RunAsMode;
  /** The user stepgate runs as. */
  invoker: string;
  /** runuser's or sudo's absolute path (system-programs.ts); the bare name when unset. */
  via?: string;
}

/** Raised before anything runs when the target user cannot be reached. */
/** The way out a refusal for a missing user ends with, wherever the user was named. */
export const NO_SUCH_USER_FIX = "Check the runbook's user / --as, or create the user.";

export class RunAsError extends Error {
  constructor(
    readonly user: string,
    message: string,
  ) {
    super(message);
    this.name = 'RunAsError';
  }
}

/** Standard PATH for a shell started through runuser (sudo applies its own secure_path). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

interface PasswdEntry {
  user: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

function parsePasswdLine(line: string): PasswdEntry | undefined {
  const parts = line.split(':');
  if (parts.length < 7) return undefined;
  const [user = '', , uid = '', gid = '', , home = '', shell = ''] = parts;
  return { user, uid: Number(uid), gid: Number(gid), home, shell };
}

/** The passwd entry for a user name, through NSS (`getent`) with /etc/passwd as fallback. */
export async function lookupUser(name: string): Promise<PasswdEntry | undefined> {
  try {
    const getent = systemProgram('getent');
    if (getent === undefined) throw Object.assign(new Error(notFoundIn('getent')), { code: 'ENOENT' });
    const { stdout } = await execFileAsync(getent, ['passwd', '--', name]);
    return parsePasswdLine(stdout.trim());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined;
  }
  const text = await readFile('/etc/passwd', 'utf8');
  for (const line of text.split('\n')) {
    const entry = parsePasswdLine(line);
    if (entry?.user === name) return entry;
  }
  return undefined;
}

/** Every user in /etc/passwd (local users only: an NSS directory is not listed). */
export async function localUsers(): Promise<PasswdEntry[]> {
  const text = await readFile('/etc/passwd', 'utf8').catch(() => '');
  return text.split('\n').flatMap((line) => {
    const entry = parsePasswdLine(line);
    return entry && entry.user !== '' && Number.isSafeInteger(entry.uid) ? [entry] : [];
  });
}

/**
 * The invoking user's own passwd entry, from libc (getpwuid, through NSS as getent goes): the
 * usual case, a runbook run as whoever started it, then costs no `getent` process.
 */
function invokerEntry(): PasswdEntry | undefined {
  try {
    const info = os.userInfo();
    if (info.shell === null) return undefined;
    return { user: info.username, uid: info.uid, gid: info.gid, home: info.homedir, shell: info.shell };
  } catch {
    return undefined;
  }
}

function currentUserName(): string {
  return os.userInfo().username;
}

/**
 * Resolve `user` (undefined = the current user) and check that stepgate can become it.
 * Throws RunAsError naming the user and the fix when it cannot.
 */
export async function resolveRunAs(user?: string): Promise<RunAs> {
  // The start of a session asks this three times over (the command's own check, preflight,
  // the shell), each a getent and perhaps a sudo -n: a yes is good for a little while.
  const key = `${currentUserName()}\0${user ?? ''}`;
  const known = resolved.get(key);
  if (known && Date.now() - known.at < RESOLVED_FOR_MS) return known.runAs;
  const runAs = await resolveAfresh(user);
  resolved.set(key, { runAs, at: Date.now() });
  return runAs;
}

/** How long a successful resolution is reused (a refusal is never reused). */
const RESOLVED_FOR_MS = 30_000;
const resolved = new Map<string, { runAs: RunAs; at: number }>();

async function resolveAfresh(user?: string): Promise<RunAs> {
  const invoker = currentUserName();
  const target = user ?? invoker;
  if (!/^[a-z_][a-z0-9_.-]*\$?$/i.test(target)) {
    throw new RunAsError(target, `cannot run as "${target}": not a valid user name`);
  }
  const entry = (target === invoker ? invokerEntry() : undefined) ?? (await lookupUser(target));
  if (!entry) {
    throw new RunAsError(
      target,
      `cannot run as "${target}": no such user on this host (getent passwd ${target} found nothing). ${NO_SUCH_USER_FIX}`,
    );
  }
  const base = { user: entry.user, uid: entry.uid, gid: entry.gid, home: entry.home, shell: entry.shell, invoker };
  if (entry.uid === process.getuid?.()) return { ...base, mode: 'self' };
  if (process.getuid?.() === 0) {
    const runuser = systemProgram('runuser');
    if (runuser === undefined) throw new RunAsError(target, `cannot run as "${target}" from root: ${notFoundIn('runuser')}. Install util-linux, or start stepgate as ${target}.`);
    return { ...base, mode: 'runuser', via: runuser };
  }
  return { ...base, mode: 'sudo', via: await checkSudo(target, invoker, entry.uid === 0) };
}

/** sudo's path, once `sudo -n -u target true` has worked through it. */
async function checkSudo(target: string, invoker: string, superuser: boolean): Promise<string> {
  // A rule to become root is control of the whole host: not a fix to hand out in passing (a
  // trial was told to grant itself root to watch a session).
  const fix = superuser
    ? `have an administrator decide whether ${invoker} may become ${target} (that is control of this whole host), or start stepgate as ${target}`
    : `add a sudoers rule, for example in /etc/sudoers.d/stepgate (edit with visudo -f): ${invoker} ALL=(${target}) NOPASSWD: ALL`;
  const sudo = systemProgram('sudo');
  const missing = `cannot run as "${target}" from ${invoker}: ${notFoundIn('sudo')}. Install sudo and ${fix}, or start stepgate as ${target} or as root.`;
  if (sudo === undefined) throw new RunAsError(target, missing);
  const ran = await runInOwnSession(sudo, ['-n', '-u', target, 'true'], { timeoutMs: 15_000 });
  if (ran.code === 0) return sudo;
  if (ran.error?.code === 'ENOENT') throw new RunAsError(target, missing);
  const said = ran.stderr.trim().split('\n')[0] ?? '';
  throw new RunAsError(
    target,
    `cannot run as "${target}": ${invoker} may not use sudo without a password ` +
      `(sudo -n -u ${target} true failed${said ? `: ${said}` : ''}). To allow it, ${fix}`,
  );
}

/** Login shells that refuse interactive use; sudo -i through them would fail. */
function hasUsableLoginShell(runAs: RunAs): boolean {
  return runAs.shell !== '' && !/(nologin|false)$/.test(runAs.shell);
}

/** A program and its arguments. */
export interface Command {
  file: string;
  args: string[];
}

/**
 * Wrap argv so it runs as the target user. `login` asks for a login environment (sudo -i),
 * used by the session shell; probes run without it.
 */
export function asUser(runAs: RunAs, argv: string[], opts: { login?: boolean; ownTerminal?: boolean } = {}): Command {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('asUser: empty command');
  switch (runAs.mode) {
    case 'self':
      return { file, args };
    case 'runuser':
      // The pty masters stepgate holds (node-pty leaves them open across exec) are closed while
      // still root: closed by the user's own bash, they were in a process of that user's, open
      // to pidfd_getfd, from exec until bash ran (a review typed into root's steps through one).
      // ownTerminal: a pty of runuser's, relayed, so that the user's process never holds the
      // operator's terminal (it could type into it: TIOCSTI).
      return {
        file: '/bin/bash',
        args: ['-c', `${CLOSE_INHERITED_MASTERS}; exec "$@"`, 'stepgate', runAs.via ?? 'runuser', ...(opts.ownTerminal ? ['--pty'] : []), '-u', runAs.user, '--', ...argv],
      };
    case 'sudo':
      if (opts.login && hasUsableLoginShell(runAs)) {
        return { file: runAs.via ?? 'sudo', args: ['-n', '-u', runAs.user, '-i', '--', ...argv] };
      }
      return { file: runAs.via ?? 'sudo', args: ['-n', '-u', runAs.user, '-H', '--', ...argv] };
  }
}

/** Whether the wrapped command already gave the shell a login environment (sudo -i did). */
export function loginDoneByWrapper(runAs: RunAs): boolean {
  return runAs.mode === 'sudo' && hasUsableLoginShell(runAs);
}

/** Environment for a process started as the target user through runuser (no login of its own). */
export function targetUserEnv(runAs: RunAs, base: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ['TERM', 'LANG', 'LANGUAGE', 'LC_ALL', 'LC_CTYPE', 'TZ', 'NO_COLOR', 'COLORTERM']) {
    const value = base[key];
    if (value !== undefined) env[key] = value;
  }
  env.PATH = DEFAULT_PATH;
  env.HOME = runAs.home;
  env.USER = runAs.user;
  env.LOGNAME = runAs.user;
  env.SHELL = runAs.shell || '/bin/bash';
  return env;
}
