/**
 * The runbook's deploy lock (front matter `lock: NAME`, default: the runbook's real path): one
 * unfinished session of it per host at a time, across users, through `exec/lock.ts`. A second
 * operator is told who holds it (session, login, since when, current step) and may wait
 * (`--wait-lock`, watching the holder's step change) or take it over (`--steal-lock REASON`:
 * the holder hears the reason, stops its step and exits, its session left to resume).
 */
import { realpathSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { HostLock, describeHolder, stealLock, waitForLock, type LockHolder, type StealRequest } from '../exec/lock.js';
import type { Runbook } from '../runbooks/model.js';

export interface RunbookLockOptions {
  wait: boolean;
  steal?: string;
  /** The holder's details as they are now (session id, current step). */
  describe(): { session?: string; step?: string };
  /** Where the waiting operator watches the holder. */
  err: NodeJS.WritableStream;
  /** The lock was taken over by someone else. */
  onStolen(request: StealRequest): void;
}

export type RunbookLockResult = { lock: HostLock; stolenFrom?: LockHolder } | { refused: string };

export function runbookLockName(file: string, runbook: Runbook): string {
  if (runbook.frontMatter.lock !== undefined) return runbook.frontMatter.lock;
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function login(): string {
  if (process.env.SUDO_USER) return process.env.SUDO_USER;
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? '?');
  }
}

export async function takeRunbookLock(file: string, runbook: Runbook, options: RunbookLockOptions): Promise<RunbookLockResult> {
  const name = runbookLockName(file, runbook);
  const address = `runbook:${name}`;
  const since = Date.now();
  const describe = (): LockHolder => {
    const now = options.describe();
    const holder: LockHolder = { pid: process.pid, user: login(), host: hostname(), since, runbook: file };
    if (now.session !== undefined) holder.session = now.session;
    if (now.step !== undefined) holder.step = now.step;
    return holder;
  };
  if (options.steal !== undefined) {
    const taken = await stealLock(address, { user: login(), pid: process.pid, reason: options.steal }, describe, options.onStolen);
    if (taken.lock) return taken.from ? { lock: taken.lock, stolenFrom: taken.from } : { lock: taken.lock };
    return { refused: `${describeHolder(name, taken.from)}; it did not let go within 5 s (stop that process, then try again)` };
  }
  const lock = await HostLock.tryAcquire(address, describe, options.onStolen);
  if (lock) return { lock };
  if (!options.wait) {
    const { lockHolder } = await import('../exec/lock.js');
    const holder = await lockHolder(address);
    return { refused: `${describeHolder(name, holder)}\n  wait for it with --wait-lock, or take it over with --steal-lock REASON (journaled)` };
  }
  const waited = await waitForLock(address, describe, {
    onSteal: options.onStolen,
    onHolder: (holder) => options.err.write(`stepgate: waiting: ${describeHolder(name, holder)}\n`),
  });
  if (!waited) return { refused: `gave up waiting for the lock ${name}` };
  return { lock: waited };
}
