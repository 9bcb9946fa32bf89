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
 * Who asks for a take-over. An abstract socket has no file mode: every local user can connect
 * and write anything, so what a request says about its sender is a claim. Node has no
 * SO_PEERCRED, so the holder learns the requester's uid from the kernel another way, a
 * challenge (`askToLetGo` and `writeProof` on the requester's side, `checkProof` on the
 * holder's): it answers a `steal` with 128 random bits; the requester creates
 * `/tmp/stepgate-steal-<nonce>` (O_CREAT|O_EXCL|O_NOFOLLOW, so never through a link or into a
 * file that was there) holding the lock's name, the nonce, the holder it was shown (pid and
 * start) and a digest of its own claim (`proofText`), and says so on
 * the same connection; the holder opens that path itself (O_NOFOLLOW, never a path the requester
 * names), requires a regular file with one link and exactly those bytes, and takes its owner
 * (`st_uid`, set by the kernel from the creator's fsuid; only root can chown) as the
 * requester's uid. Why that is sound:
 * - the nonce goes only to that connection and is fresh, so only that requester (or someone it
 *   told) can write it, and a file holding it was written after the challenge by its owner;
 * - the name is fixed by the holder under /tmp, which must be root's and sticky: nobody but the
 *   owner (and root) can rename or replace an entry there, and a symlink or a FIFO is refused;
 * - a hard link to another user's file is refused by its link count (and by
 *   `fs.protected_hardlinks`), so a file owned by root can pass only if root wrote the nonce;
 * - the content names the lock, so a root stepgate taking over lock A from a squatter cannot be
 *   used to prove root to the holder of lock B (the squatter relaying B's nonce); it names the
 *   holder shown and the requester's claim, so a squatter of this lock that relays a real
 *   holder's challenge to a root requester gets that holder to let go only to that requester,
 *   for its own reason, as it asked (and both journals say so).
 * Strangers: every connection is bounded in total time (4 s) and line length, a holder serves
 * 32 at once, and a line that is not a request (`null`, `[]`) only closes its connection.
 * The file is world-readable (0644) because a non-root holder must read a root requester's
 * proof; it holds nothing secret (the nonce is worth something only on its own connection).
 * Policy: the holder honours a take-over only from its own uid or root, and answers anyone
 * else with a sentence the requester prints; a lock without `onSteal` never lets go. What the
 * holder is then told (`VerifiedSteal`) is the verified uid and its user name, beside what the
 * requester claims (login, pid, session, reason), kept as claims.
 *
 * Known limits: any local user can bind a name first (a squatter blocks deploys, as a user who
 * can open a shared flock file could), and a holder's description of itself is its own claim;
 * the namespace is per network namespace, so a process in a container with its own network does
 * not see the host's locks; a take-over needs both sides to see the same /tmp (a holder with a
 * private /tmp, systemd's PrivateTmp, cannot be taken over, only stopped); a user who logged in
 * as someone else and became root through sudo is recorded as root (the login behind sudo,
 * SUDO_USER, is the requester's claim).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, fstatSync, lstatSync, openSync, readFileSync, readSync, statSync, unlinkSync } from 'node:fs';
import { writeAllSync } from './write-all.js';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { userInfo } from 'node:os';

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

/** What a requester says about itself when it asks a holder to let go: claims, journaled as such. */
export interface StealRequest {
  /** Its login (SUDO_USER or the OS user). */
  user: string;
  pid: number;
  session?: string;
  reason: string;
}

/** A take-over the holder honoured: who asked, as the kernel says, and what they claimed. */
export interface VerifiedSteal {
  /** The requester's uid: the owner of the proof file it created (see the header). */
  uid: number;
  /** The user name of `uid` on this host (or `uid N` when it has none). */
  user: string;
  /** What the request said: login, pid, session, reason; not verified. */
  claim: StealRequest;
}

interface Request {
  op: 'who' | 'steal' | 'proof';
  steal?: StealRequest;
}

/** Where a requester proves its uid (see the header): root's sticky /tmp, the same for every user. */
export const PROOF_DIR = '/tmp';
const NONCE = /^[0-9a-f]{32}$/;

function proofPath(nonce: string): string {
  return `${PROOF_DIR}/stepgate-steal-${nonce}`;
}

/**
 * The bytes a proof file holds: the lock's name binds it to this lock, the nonce to this
 * request, the holder's pid and start to the holder the requester was shown, and a digest of
 * the requester's claim to what it asked. A squatter that relays another holder's challenge to
 * a root requester (and that root's proof back) can then only make that holder let go to that
 * requester, with that requester's own reason: what the requester asked for, shown as it is.
 */
export function proofText(name: string, nonce: string, holder: { pid: number; since: number }, claim: StealRequest): string {
  const digest = createHash('sha256').update(JSON.stringify([claim.user, claim.pid, claim.session ?? null, claim.reason])).digest('hex');
  return `stepgate lock take-over proof\nlock: ${name}\nnonce: ${nonce}\nholder: ${holder.pid} ${holder.since}\nclaim: ${digest}\n`;
}

/** The user name of a uid: our own from libc, another from /etc/passwd (root, a requester). */
export function userNameOf(uid: number): string {
  try {
    const me = userInfo();
    if (me.uid === uid) return me.username;
  } catch {
    // no passwd entry for this process
  }
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [user, , id] = line.split(':');
      if (user && id === String(uid)) return user;
    }
  } catch {
    // unreadable: the number says it
  }
  return `uid ${uid}`;
}

function isStealRequest(value: unknown): value is StealRequest {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.user === 'string' && typeof v.pid === 'number' && typeof v.reason === 'string' && (v.session === undefined || typeof v.session === 'string');
}

/**
 * The holder's side of the challenge: the uid that wrote `nonce` for lock `name` in its proof
 * file, or why there is none. Opens only `proofPath(nonce)`, never a path the requester names.
 */
function checkProof(name: string, nonce: string, holder: { pid: number; since: number }, claim: StealRequest): { uid: number } | { error: string } {
  const path = proofPath(nonce);
  try {
    const dir = statSync(PROOF_DIR);
    if (!dir.isDirectory() || dir.uid !== 0 || ((dir.mode & 0o022) !== 0 && (dir.mode & 0o1000) === 0)) {
      return { error: `cannot tell who asks: ${PROOF_DIR} is not a directory of root's that only owners can change (sticky)` };
    }
  } catch {
    return { error: `cannot tell who asks: ${PROOF_DIR} is missing` };
  }
  const expected = Buffer.from(proofText(name, nonce, holder, claim));
  let fd: number;
  try {
    // O_NOFOLLOW: a symlink at the name is refused; O_NONBLOCK: a FIFO there cannot hold us up.
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { error: `cannot tell who asks: no readable proof at ${path} (${code ?? 'error'}); the requester must run on this host, with the same /tmp` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.nlink !== 1 || st.size !== expected.length) return { error: `cannot tell who asks: ${path} is not a proof (a regular file with one link and the nonce)` };
    const got = Buffer.alloc(expected.length);
    if (readSync(fd, got, 0, got.length, 0) !== got.length || !got.equals(expected)) return { error: `cannot tell who asks: ${path} does not hold this request's nonce` };
    // The proof is spent: the holder removes it when it can (the requester does too).
    try {
      const now = lstatSync(path);
      if (now.ino === st.ino && now.dev === st.dev) unlinkSync(path);
    } catch {
      // the requester's to remove (a non-root holder cannot remove root's file in a sticky /tmp)
    }
    return { uid: st.uid };
  } finally {
    closeSync(fd);
  }
}

/** Who may take a lock over from this process: its own uid, or root. */
function mayTakeOver(uid: number): boolean {
  const own = process.geteuid?.() ?? process.getuid?.();
  return uid === 0 || uid === own;
}

/** The holder's answer to a requester it does not honour, for the requester to print. */
function notYours(uid: number): string {
  const own = process.geteuid?.() ?? process.getuid?.() ?? -1;
  const owner = userNameOf(own);
  const who = own === 0 ? 'root' : `${owner} or root`;
  return `only ${who} can take it over: its process runs as ${owner} (uid ${own}), you are ${userNameOf(uid)} (uid ${uid})`;
}

/** What a lock without a take-over handler answers (a session's own lock, a journal's append lock). */
const NOT_STEALABLE = 'this lock cannot be taken over: stop the process that holds it';

/** How long a question to a holder may take: a holder whose event loop is stuck does not answer. */
const ASK_TIMEOUT_MS = 2000;
/** The longest line either side reads: every message is a few hundred bytes. */
const MAX_LINE = 4096;
/** Connections a holder serves at once (more are refused by the kernel's accept): askers are few. */
const MAX_CONNECTIONS = 32;

/**
 * Ends a conversation on the lock's socket, either side, that goes quiet for ASK_TIMEOUT_MS or
 * lasts twice that in all: an idle timeout alone lets a peer that sends a byte a second hold it
 * for an hour.
 */
function bound(socket: Socket, expire: () => void): void {
  socket.setTimeout(ASK_TIMEOUT_MS, expire);
  const deadline = setTimeout(expire, 2 * ASK_TIMEOUT_MS);
  deadline.unref();
  socket.on('close', () => clearTimeout(deadline));
}

function parseRequest(line: string): Request | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const op = (value as Record<string, unknown>).op;
  return op === 'who' || op === 'steal' || op === 'proof' ? (value as Request) : undefined;
}

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
   * `onSteal` hears a take-over request it honoured (the requester proved to be this process's
   * uid or root): the lock is already released when it is called. Without `onSteal` the lock
   * refuses every take-over.
   */
  static async tryAcquire(name: string, describe: () => LockHolder, onSteal?: (steal: VerifiedSteal) => void): Promise<HostLock | undefined> {
    const server = createServer({ allowHalfOpen: false });
    const bound = await new Promise<boolean>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(false) : reject(error)));
      server.listen(lockAddress(name), () => resolve(true));
    });
    if (!bound) return undefined;
    const lock = new HostLock(name, server);
    // The lock must never keep stepgate alive by itself, nor take all of its descriptors.
    server.unref();
    server.maxConnections = MAX_CONNECTIONS;
    server.on('connection', (socket) => lock.answer(socket, describe, onSteal));
    return lock;
  }

  get held(): boolean {
    return this.server !== undefined;
  }

  /**
   * One connection: `who` is answered with the holder's details; `steal` with them and a
   * challenge (or a refusal when this lock cannot be taken over), then the requester's `proof`
   * with `granted` or a refusal. One request per connection.
   */
  private answer(socket: Socket, describe: () => LockHolder, onSteal?: (steal: VerifiedSteal) => void): void {
    socket.unref();
    // A whole question and its proof within a bound, not only between bytes: a requester that
    // trickles a byte a second would otherwise keep its descriptor for an hour.
    bound(socket, () => socket.destroy());
    socket.on('error', () => undefined);
    let text = '';
    let challenge: { nonce: string; claim: StealRequest; holder: { pid: number; since: number } } | undefined;
    const reply = (value: object, more = false): void => {
      if (more) socket.write(`${JSON.stringify(value)}\n`);
      else socket.end(`${JSON.stringify(value)}\n`);
    };
    const onLine = (line: string): boolean => {
      // Anyone on the host can connect and send anything (`null`, `[]`, `"x"`): only an object
      // with a known op is a request.
      const request = parseRequest(line);
      if (!request) {
        socket.destroy();
        return false;
      }
      if (!challenge) {
        if (request.op !== 'steal') {
          reply(describe());
          return false;
        }
        if (!isStealRequest(request.steal)) {
          socket.destroy();
          return false;
        }
        if (!onSteal || !this.server) {
          reply({ ...describe(), refused: NOT_STEALABLE });
          return false;
        }
        const shown = describe();
        challenge = { nonce: randomBytes(16).toString('hex'), claim: request.steal, holder: { pid: shown.pid, since: shown.since } };
        reply({ ...shown, challenge: challenge.nonce }, true);
        return true;
      }
      if (request.op !== 'proof') {
        socket.destroy();
        return false;
      }
      const proof = checkProof(this.name, challenge.nonce, challenge.holder, challenge.claim);
      if ('error' in proof) {
        reply({ refused: proof.error });
        return false;
      }
      if (!mayTakeOver(proof.uid)) {
        reply({ refused: notYours(proof.uid) });
        return false;
      }
      if (!this.server) {
        reply({ refused: 'the lock was released meanwhile' });
        return false;
      }
      reply({ granted: true });
      this.release();
      onSteal?.({ uid: proof.uid, user: userNameOf(proof.uid), claim: challenge.claim });
      return false;
    };
    let open = true;
    socket.on('data', (chunk) => {
      if (!open) return;
      try {
        text += chunk.toString('utf8');
        for (let end = text.indexOf('\n'); open && end >= 0; end = text.indexOf('\n')) {
          const line = text.slice(0, end);
          text = text.slice(end + 1);
          open = onLine(line);
        }
        if (open && text.length > MAX_LINE) {
          open = false;
          socket.destroy();
        }
      } catch {
        // Nothing a stranger sends may take the holder (a deploy mid-step) down with it.
        open = false;
        socket.destroy();
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
 * Asks the holder to let go, proving this process's uid (see the header); the holder journals
 * it and stops. Then takes the lock as soon as the name is free. Returns the lock and who held
 * it; or, without the lock, the holder and its refusal (not this uid's, a lock that cannot be
 * taken over), or only the holder when it did not let go within `timeoutMs` (a stuck process:
 * it has to be stopped).
 */
export async function stealLock(
  name: string,
  request: StealRequest,
  describe: () => LockHolder,
  onSteal?: (steal: VerifiedSteal) => void,
  timeoutMs = 5000,
): Promise<{ lock?: HostLock; from?: LockHolder; refused?: string }> {
  const first = await HostLock.tryAcquire(name, describe, onSteal);
  if (first) return { lock: first };
  const answer = await askToLetGo(name, request);
  const from = answer.holder;
  if (answer.refused !== undefined) return from ? { from, refused: answer.refused } : { refused: answer.refused };
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lock = await HostLock.tryAcquire(name, describe, onSteal);
    if (lock) return from ? { lock, from } : { lock };
    if (Date.now() > deadline) return from ? { from } : {};
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * The requester's side of a take-over: `steal`, the challenge answered with a proof file (made
 * here, never at a path the holder names: only the nonce comes from it, checked to be hex), then
 * the holder's verdict. The proof is removed whatever happens.
 */
function askToLetGo(name: string, request: StealRequest): Promise<{ holder?: LockHolder; refused?: string }> {
  return new Promise((resolve) => {
    const socket = createConnection(lockAddress(name));
    let text = '';
    let holder: LockHolder | undefined;
    let proof: string | undefined;
    let settled = false;
    const done = (refused?: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (proof !== undefined) removeProof(proof);
      resolve({ ...(holder ? { holder } : {}), ...(refused !== undefined ? { refused } : {}) });
    };
    // A holder (or a squatter) that trickles bytes must not hold us.
    bound(socket, () => done());
    socket.on('error', () => done());
    socket.on('end', () => done());
    socket.on('connect', () => socket.write(`${JSON.stringify({ op: 'steal', steal: request } satisfies Request)}\n`));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (text.length > MAX_LINE && text.indexOf('\n') < 0) {
        done();
        return;
      }
      for (let end = text.indexOf('\n'); !settled && end >= 0; end = text.indexOf('\n')) {
        const line = text.slice(0, end);
        text = text.slice(end + 1);
        let value: Record<string, unknown>;
        try {
          value = JSON.parse(line) as Record<string, unknown>;
        } catch {
          done();
          return;
        }
        if (typeof value.refused === 'string') {
          holder ??= parseHolder(value);
          done(value.refused);
        } else if (value.granted === true) {
          done();
        } else if (proof === undefined && typeof value.challenge === 'string' && NONCE.test(value.challenge)) {
          holder = parseHolder(value);
          if (!holder) {
            done('the holder did not say who it is; nothing was proved');
            return;
          }
          try {
            proof = writeProof(name, value.challenge, holder, request);
          } catch (error) {
            done(`cannot prove who asks: ${(error as Error).message}`);
            return;
          }
          socket.write(`${JSON.stringify({ op: 'proof' } satisfies Request)}\n`);
        } else {
          // An older holder answers a steal with its details only, and lets go or not.
          holder ??= parseHolder(value);
          done();
        }
      }
    });
  });
}

/** Creates the proof file for `nonce` (never an existing file or a link), readable by a holder of another uid. */
function writeProof(name: string, nonce: string, holder: { pid: number; since: number }, claim: StealRequest): string {
  const path = proofPath(nonce);
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644);
  try {
    // Whatever the umask: a non-root holder must read a root requester's proof.
    fchmodSync(fd, 0o644);
    writeAllSync(fd, proofText(name, nonce, holder, claim));
  } catch (error) {
    closeSync(fd);
    removeProof(path);
    throw error;
  }
  closeSync(fd);
  return path;
}

function removeProof(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // the holder removed it already
  }
}

/**
 * Waits until the lock is free and takes it. `onHolder` hears the holder's details whenever
 * they change (the operator watches the other deploy go on); `signal` stops the wait.
 */
export async function waitForLock(
  name: string,
  describe: () => LockHolder,
  options: { onHolder?: (holder: LockHolder | undefined) => void; signal?: AbortSignal; pollMs?: number; onSteal?: (steal: VerifiedSteal) => void } = {},
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
    // Bounded, and a line of a bounded length: a squatter that trickles spaces would otherwise
    // hold a plain run (told who holds the lock) and grow its memory.
    bound(socket, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('connect', () => socket.write(`${JSON.stringify(request)}\n`));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\n');
      if (end < 0) {
        if (text.length > MAX_LINE) done(undefined);
        return;
      }
      try {
        done(parseHolder(JSON.parse(text.slice(0, end))));
      } catch {
        done(undefined);
      }
    });
    socket.on('end', () => done(undefined));
  });
}

/**
 * What a holder says of itself is another process's text, printed on the operator's terminal:
 * control characters (an escape sequence that retitles the window, clears the screen or hides
 * text) are shown as `?`, and a field is cut at 200 characters.
 */
function plainField(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?').slice(0, 200);
}

function parseHolder(value: unknown): LockHolder | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.pid !== 'number' || typeof v.user !== 'string' || typeof v.since !== 'number' || !Number.isFinite(v.since)) return undefined;
  const holder: LockHolder = { pid: v.pid, user: plainField(v.user), host: typeof v.host === 'string' ? plainField(v.host) : '?', since: v.since };
  for (const key of ['session', 'runbook', 'step'] as const) {
    const field = v[key];
    if (typeof field === 'string') holder[key] = plainField(field);
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
