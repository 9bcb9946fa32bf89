/** One process at a time on a session: a host lock named by the journal's real path. */
import { realpath } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { HostLock, lockHolder } from '../exec/lock.js';
import { ensurePrivateDir } from './private-files.js';

export class SessionBusyError extends Error {}

/**
 * The host lock that keeps one process at a time on a session (see `exec/lock.ts`): the kernel
 * releases it when that process dies, so a resume after a SIGKILL finds it free and two
 * resumes never both take it. Named by the journal's real path, so it is the same for every
 * way of naming the state directory.
 */
async function sessionLockName(dir: string, id: string): Promise<string> {
  const real = await realpath(dir).catch(() => dir);
  return `session:${join(real, id)}`;
}

/** The pid of a live process holding the session's lock, if any. */
export async function sessionOwner(dir: string, id: string): Promise<number | undefined> {
  const holder = await lockHolder(await sessionLockName(dir, id));
  return holder && holder.pid !== process.pid ? holder.pid : undefined;
}

/** Takes the session's lock, or throws `SessionBusyError` naming the holder. Returns the release. */
export async function lockSession(dir: string, id: string): Promise<() => Promise<void>> {
  ensurePrivateDir(dir);
  const name = await sessionLockName(dir, id);
  const since = Date.now();
  // What it says of itself to any local user who asks is only what a second resume needs to
  // name the holder (its pid and login): the session id and runbook stay out of it.
  const lock = await HostLock.tryAcquire(name, () => ({ pid: process.pid, user: loginName(), host: hostname(), since }));
  if (!lock) {
    const holder = await lockHolder(name);
    throw new SessionBusyError(holder ? `session ${id} is in use by process ${holder.pid} (${holder.user})` : `session ${id} is in use by another process`);
  }
  return async () => lock.release();
}

/** Who is at the keyboard: the login behind sudo, else the OS user. */
function loginName(): string {
  const viaSudo = process.env.SUDO_USER;
  if (viaSudo) return viaSudo;
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}
