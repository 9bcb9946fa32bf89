/**
 * The runbook's deploy lock (front matter `lock: NAME`, default: the runbook's real path): one
 * running session of it per host at a time, across users, through `exec/lock.ts`. Held by a
 * plain run, the TUI and `resume` alike (issue 11). A second operator is told who holds it
 * (session, login, since when, current step, and how to attach to or watch a detached TUI) and may wait
 * (`--wait-lock`, watching the holder's step change) or take it over (`--steal-lock REASON`:
 * journaled in both sessions; the holder stops its step and exits, its session left to resume).
 * A take-over is honoured only from the holder's own uid or root, proved to the holder (not
 * claimed: see `exec/lock.ts`); anyone else is told who can take it over.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import { hostname, userInfo } from 'node:os';
import { HostLock, describeHolder, lockHolder, stealLock, waitForLock, type LockHolder, type VerifiedSteal } from '../exec/lock.js';
import type { Runbook } from '../runbooks/model.js';
import { displayText } from '../session/printable.js';
import { currentItem } from '../session/reducer.js';
import type { SessionStore } from '../session/store.js';
import type { LockParty, SessionEvent } from '../session/types.js';
import { loadRunbookFile } from './load.js';

// The command-line flags every command that runs a session takes (a module of their own: the TUI's launcher checks them without loading the lock).
import type { LockFlags } from './lock-flags.js';
export { lockFlags, type LockFlags } from './lock-flags.js';

/** The lock is refused: who holds it and what to do (exit 1, as a blocked run). */
export class LockRefused extends Error {}

/** For the picker's one-line message: who holds the lock, without the flags it cannot take. */
export function shortLockRefusal(error: unknown): never {
  if (error instanceof LockRefused) throw new LockRefused(error.message.split('\n')[0] ?? error.message);
  throw error;
}

export function runbookLockName(file: string, runbook: Runbook | undefined): string {
  if (runbook?.frontMatter.lock !== undefined) return runbook.frontMatter.lock;
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

export interface SessionLockOptions extends LockFlags {
  /** The session this process runs (new or resumed). */
  session: string;
  /** The session's store once it exists: the current step for whoever asks, the journal for a take-over. */
  store(): SessionStore | undefined;
  /** This TUI runs detached: a refused operator is told how to attach to it or watch it. */
  detached?: boolean;
  /** Where a waiting operator watches the holder. */
  err: NodeJS.WritableStream;
  /** The lock was taken over (by this uid or root, verified) and the loss is journaled: stop the running step and leave. */
  stop(steal: VerifiedSteal): void;
}

/** A held deploy lock: release it when the session's process is done with it. */
export interface HeldRunbookLock {
  name: string;
  lock: HostLock;
  /** Who held it before a `--steal-lock`. */
  stolenFrom?: LockHolder;
  /** Journals the take-over in this session (once its journal has begun); nothing when nothing was taken over. */
  journalTaken(): Promise<void>;
  release(): void;
}

export type SessionLockResult = HeldRunbookLock | { refused: string };

function party(user: string, pid: number, session: string | undefined): LockParty {
  return session !== undefined ? { user, pid, session } : { user, pid };
}

/** Who took the lock, as the holder journals it: the verified user and uid, the rest as claimed. */
function verifiedParty(steal: VerifiedSteal): LockParty {
  const { claim } = steal;
  return {
    ...party(steal.user, claim.pid, claim.session),
    uid: steal.uid,
    ...(claim.user !== steal.user ? { claimedUser: claim.user } : {}),
  };
}

/** Takes the runbook's deploy lock for a session, or says who holds it and what the operator can do. */
export async function holdRunbookLock(file: string, runbook: Runbook | undefined, options: SessionLockOptions): Promise<SessionLockResult> {
  const name = runbookLockName(file, runbook);
  const address = `runbook:${name}`;
  const since = Date.now();
  const describe = (): LockHolder => {
    const store = options.store();
    const cur = store ? currentItem(store.getState().session) : undefined;
    const holder: LockHolder = { pid: process.pid, user: login(), host: hostname(), since, runbook: file, session: options.session };
    if (cur) holder.step = cur.item.step.id;
    if (options.detached) holder.detached = true;
    return holder;
  };
  const onStolen = (steal: VerifiedSteal): void => {
    const store = options.store();
    const lost = store
      ? store
          .getState()
          .actions.record({ type: 'lock-taken-over', lock: name, side: 'lost', by: verifiedParty(steal), reason: steal.claim.reason })
          .catch(() => undefined)
      : Promise.resolve();
    void lost.then(() => options.stop(steal));
  };
  const held = (lock: HostLock, stolenFrom?: LockHolder): HeldRunbookLock => ({
    name,
    lock,
    ...(stolenFrom ? { stolenFrom } : {}),
    async journalTaken() {
      if (options.steal === undefined || !stolenFrom) return;
      const store = options.store();
      await store?.getState().actions.record({
        type: 'lock-taken-over',
        lock: name,
        side: 'took',
        by: party(login(), process.pid, options.session),
        from: party(stolenFrom.user, stolenFrom.pid, stolenFrom.session),
        reason: options.steal,
      });
    },
    release: () => lock.release(),
  });
  if (options.steal !== undefined) {
    const taken = await stealLock(address, { user: login(), pid: process.pid, session: options.session, reason: options.steal }, describe, onStolen);
    if (taken.lock) return held(taken.lock, taken.from);
    // The holder's words (its description, its refusal) come from another process: printable only.
    if (taken.refused !== undefined) return { refused: displayText(`${describeHolder(name, taken.from)}; ${taken.refused}`) };
    return { refused: displayText(`${describeHolder(name, taken.from)}; it did not let go within 5 s (stop that process, then try again)`) };
  }
  const lock = await HostLock.tryAcquire(address, describe, onStolen);
  if (lock) return held(lock);
  if (!options.wait) {
    const holder = await lockHolder(address);
    // A detached holder can be joined (its keys act: its operator may be gone), not only
    // watched (--watch, read-only). Said on the first line, which the picker shows too.
    const id = holder?.detached ? holder.session : undefined;
    const join = id !== undefined ? `; it runs detached: stepgate attach ${id} joins it, stepgate attach --watch ${id} only watches` : '';
    const or = id !== undefined ? 'or ' : '';
    return { refused: `${describeHolder(name, holder)}${join}\n  ${or}wait for it with --wait-lock, or take it over with --steal-lock REASON (journaled in both sessions)` };
  }
  const waited = await waitForLock(address, describe, {
    onSteal: onStolen,
    onHolder: (holder) => options.err.write(`stepgate: waiting: ${describeHolder(name, holder)}\n`),
  });
  if (!waited) return { refused: `gave up waiting for the lock ${name}` };
  return held(waited);
}

/** What the thief says on stderr after a take-over. */
export function tookOverText(held: HeldRunbookLock, reason: string | undefined): string | undefined {
  const from = held.stolenFrom;
  if (!from) return undefined;
  return `stepgate: took the lock over from ${from.user} (pid ${from.pid}${from.session ? `, session ${from.session}` : ''}): ${reason ?? ''}`;
}

/**
 * The lock as plain mode (`run`, `resume`) holds it: a waiting operator watches on stderr, and
 * losing it to a take-over says so there and stops as a hang-up would (the running step is
 * interrupted, the journal says so, stepgate exits).
 */
export function plainLockOptions(session: string, flags: LockFlags, store: () => SessionStore | undefined): SessionLockOptions {
  return {
    ...flags,
    session,
    store,
    err: process.stderr,
    stop: (steal) => {
      process.stderr.write(`\n${lostLockText(steal, session)}\n`);
      process.kill(process.pid, 'SIGTERM');
    },
  };
}

/** Plain mode's words on the lock's outcome (refused, or taken over): the held lock, or undefined when refused. */
export function plainLockHeld(held: SessionLockResult, flags: LockFlags): HeldRunbookLock | undefined {
  if ('refused' in held) {
    process.stderr.write(`stepgate: ${held.refused}\n`);
    return undefined;
  }
  const took = tookOverText(held, flags.steal);
  if (took !== undefined) process.stderr.write(`${took}\n`);
  return held;
}

/** What the holder says when its lock was taken over: the verified user, then what the requester claimed. */
export function lostLockText(steal: VerifiedSteal, session: string): string {
  const { claim } = steal;
  const login = claim.user !== steal.user ? `, login ${claim.user}` : '';
  return displayText(`stepgate: the lock of this runbook was taken over by ${steal.user} (uid ${steal.uid}; claimed: pid ${claim.pid}${claim.session ? `, session ${claim.session}` : ''}${login}): ${claim.reason}; stopping (resume this session later with stepgate resume ${session})`);
}

/**
 * The deploy lock for a session being resumed: its runbook as it is on disk now (the name a new
 * session of it takes); a runbook that cannot be read any more locks its path.
 */
export async function holdSessionRunbookLock(started: Extract<SessionEvent, { type: 'session-started' }>, options: SessionLockOptions): Promise<SessionLockResult> {
  const file = resolve(started.cwd, started.frame.source.file);
  const runbook = await loadRunbookFile(file).then(
    (loaded) => loaded.runbook,
    () => undefined,
  );
  return holdRunbookLock(file, runbook, options);
}
