/**
 * Host-wide locks that the kernel releases with the process: one Linux abstract-namespace unix
 * socket per lock name. Binding a name is atomic (exactly one process gets it, `EADDRINUSE` for
 * every other), the namespace is shared by every user of the host (of its network namespace),
 * and the kernel frees the name the moment the holder dies, SIGKILL included, so there is no
 * stale lock to detect and no window between "is it stale?" and "take it" (issue 13 item 3).
 *
 * Why not the alternatives:
 * - a pid file (the old session lock): read pid, see it dead, remove, create is a race two
 *   resumes both win;
 * - `flock(1)` on a shared file (Node has no flock): the file must sit in a directory every
 *   operator can write, created by the first one with a mode the others can open; in a sticky
 *   world-writable directory `fs.protected_regular` then refuses to open another user's file
 *   with O_CREAT, even for root, and the helper process has to be tied to stepgate's life by a
 *   pipe. The socket needs no file, no mode and no helper.
 * - the socket is also a channel: the holder answers who it is (session, login user, since
 *   when, current step: live, not a file written once) and hears a take-over request.
 *
 * Known limits: any local user can bind a name first (a squatter blocks deploys, as a user who
 * can open a shared flock file could); the namespace is per network namespace, so a process in
 * a container with its own network does not see the host's locks.
 */
import { createHash } from 'node:crypto';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What a holder says about itself to whoever asks. */
export interface LockHolder {
  pid: number;
  /** The login behind sudo (SUDO_USER or the OS user). */
  user: string;
  host: string;
  /** Clock ms since the epoch when the lock was taken. */
  since: number;
  session?: string;
  runbook?: string;
  /** The step it is on, as the operator would name it. */
  step?: string;
  /** A TUI in its detachable terminal: it can be watched (`stepgate attach --watch`). */
  detached?: boolean;
}

/** Who asks a holder to let go, and why (journaled by both sides). */
export interface StealRequest {
  user: string;
  pid: number;
  session?: string;
  reason: string;
}

interface Request {
  op: 'who' | 'steal';
  steal?: StealRequest;
}

/** How long a question to a holder may take: a holder whose event loop is stuck does not answer. */
const ASK_TIMEOUT_MS = 2000;

/** The abstract socket name for a lock name (a leading NUL; hashed to stay under 108 bytes). */
export function lockAddress(name: string): string {
  return `\0stepgate-lock-${createHash('sha256').update(name).digest('hex').slice(0, 40)}`;
}

export class HostLock {
  private constructor(
    readonly name: string,
    private server: Server | undefined,
  ) {}

  /**
   * Takes the lock, or returns `undefined` when another process holds it. `describe` is asked
   * for the holder's details on every question (so the current step is always current);
   * `onSteal` hears a take-over request: the lock is already released when it is called.
   */
  static async tryAcquire(
    name: string,
    describe: () => LockHolder,
    onSteal?: (request: StealRequest) => void,
  ): Promise<HostLock | undefined> {
    const server = createServer({ allowHalfOpen: false });
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
      server.listen(lockAddress(name), () => resolve(true));
    });
    if (!bound) return undefined;
    const lock = new HostLock(name, server);
    // The lock must never keep stepgate alive by itself.
    server.unref();
    server.on('connection', (socket) => lock.answer(socket, describe, onSteal));
    return lock;
  }

  get held(): boolean {
    return this.server !== undefined;
  }

  private answer(socket: Socket, describe: () => LockHolder, onSteal?: (request: StealRequest) => void): void {
    socket.unref();
    socket.setTimeout(ASK_TIMEOUT_MS, () => socket.destroy());
    socket.on('error', () => undefined);
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (text.length > 4096) socket.destroy();
      const end = text.indexOf('\n');
      if (end < 0) return;
      let request: Request;
      try {
        request = JSON.parse(text.slice(0, end)) as Request;
      } catch {
        socket.destroy();
        return;
      }
      socket.end(`${JSON.stringify(describe())}\n`);
      if (request.op === 'steal' && request.steal && typeof request.steal.reason === 'string' && this.server) {
        this.release();
        onSteal?.(request.steal);
      }
    });
  }

  /** Frees the name at once (the kernel would at exit anyway). */
  release(): void {
    const server = this.server;
    this.server = undefined;
    server?.close();
  }
}

/** Asks the holder of `name` who it is; `undefined` when nobody holds it or it does not answer. */
export function lockHolder(name: string): Promise<LockHolder | undefined> {
  return ask(name, { op: 'who' });
}

/**
 * Asks the holder to let go (it journals the reason and stops), then takes the lock as soon as
 * the name is free. Returns the lock and who held it, or `undefined` with the holder when it
 * did not let go within `timeoutMs` (a stuck process: it has to be stopped).
 */
export async function stealLock(
  name: string,
  request: StealRequest,
  describe: () => LockHolder,
  onSteal?: (request: StealRequest) => void,
  timeoutMs = 5000,
): Promise<{ lock?: HostLock; from?: LockHolder }> {
  const first = await HostLock.tryAcquire(name, describe, onSteal);
  if (first) return { lock: first };
  const from = await ask(name, { op: 'steal', steal: request });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lock = await HostLock.tryAcquire(name, describe, onSteal);
    if (lock) return from ? { lock, from } : { lock };
    if (Date.now() > deadline) return from ? { from } : {};
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Waits until the lock is free and takes it. `onHolder` hears the holder's details whenever
 * they change (the operator watches the other deploy go on); `signal` stops the wait.
 */
export async function waitForLock(
  name: string,
  describe: () => LockHolder,
  options: { onHolder?: (holder: LockHolder | undefined) => void; signal?: AbortSignal; pollMs?: number; onSteal?: (request: StealRequest) => void } = {},
): Promise<HostLock | undefined> {
  let last = '';
  for (;;) {
    if (options.signal?.aborted) return undefined;
    const lock = await HostLock.tryAcquire(name, describe, options.onSteal);
    if (lock) return lock;
    const holder = await lockHolder(name);
    const seen = JSON.stringify(holder ?? null);
    if (seen !== last) {
      last = seen;
      options.onHolder?.(holder);
    }
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
  }
}

function ask(name: string, request: Request): Promise<LockHolder | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(lockAddress(name));
    let text = '';
    const done = (holder: LockHolder | undefined): void => {
      socket.destroy();
      resolve(holder);
    };
    socket.setTimeout(ASK_TIMEOUT_MS, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0) return;
      try {
        done(parseHolder(JSON.parse(text.slice(0, end))));
      } catch {
        done(undefined);
      }
    });
    socket.on('end', () => done(undefined));
  });
}

function parseHolder(value: unknown): LockHolder | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== 'number' || typeof v.user !== 'string' || typeof v.since !== 'number') return undefined;
  const holder: LockHolder = { pid: v.pid, user: v.user, host: typeof v.host === 'string' ? v.host : '?', since: v.since };
  for (const key of ['session', 'runbook', 'step'] as const) {
    const field = v[key];
    if (typeof field === 'string') holder[key] = field;
  }
  if (v.detached === true) holder.detached = true;
  return holder;
}

/** One line for an operator: who holds the lock, since when, where it is. */
export function describeHolder(name: string, holder: LockHolder | undefined, now = Date.now()): string {
  if (!holder) return `the lock ${name} is held by a process that does not answer (stuck, or not a stepgate)`;
  const minutes = Math.max(0, Math.round((now - holder.since) / 60_000));
  const since = `${new Date(holder.since).toISOString().replace('T', ' ').slice(0, 19)} UTC (${minutes} min ago)`;
  const parts = [`the lock ${name} is held by ${holder.user} (pid ${holder.pid} on ${holder.host})`];
  if (holder.session !== undefined) parts.push(`session ${holder.session}`);
  parts.push(`since ${since}`);
  if (holder.step !== undefined) parts.push(`at ${holder.step}`);
  return parts.join(', ');
}
