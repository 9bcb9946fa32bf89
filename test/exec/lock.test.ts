/**
 * Who may take a host lock over (src/exec/lock.ts). A take-over request arrives on an abstract
 * socket any local user can write to, so the holder proves the requester's uid with a file
 * challenge and honours only its own uid or root; a lock without a take-over handler never lets
 * go. Real sockets, real files in /tmp, real throwaway users (root only), nothing mocked.
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HostLock, describeHolder, lockAddress, lockHolder, proofText, stealLock, type LockHolder, type VerifiedSteal } from '../../src/exec/lock.js';
import { createConnection, createServer, type Socket } from 'node:net';
import { lockSession } from '../../src/session/session-lock.js';
import { ROOT } from '../helpers/paths.js';
import { REQUESTER_CLAIM, removeRequesterScript, requesterScript, runRequester, type RequesterRun } from '../helpers/lock-requester.js';

/** The holder as its challenge showed it to the requester (pid and start). */
function shownBy(run: RequesterRun): { pid: number; since: number } {
  const first = run.got[0] ?? {};
  if (typeof first['pid'] !== 'number' || typeof first['since'] !== 'number') throw new Error(`no holder in the challenge: ${JSON.stringify(first)}`);
  return { pid: first['pid'], since: first['since'] };
}
import { createUser, removeUser } from '../helpers/test-users.js';

const root = process.getuid?.() === 0;
const me = (): LockHolder => ({ pid: process.pid, user: 'holder', host: 'test', since: Date.now() });
const uidOf = (user: string): number => Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim());
const lockName = (): string => `test-lock-${randomBytes(6).toString('hex')}`;

/** Another process's view: does anyone hold `name`, and can a new process take it? */
async function stillHeld(name: string): Promise<boolean> {
  const holder = await lockHolder(name);
  const other = await HostLock.tryAcquire(name, me);
  other?.release();
  return holder?.pid === process.pid && other === undefined;
}

const held: HostLock[] = [];
const planted: string[] = [];
afterEach(() => {
  for (const lock of held.splice(0)) lock.release();
  for (const path of planted.splice(0)) rmSync(path, { force: true });
});

describe.skipIf(!root)('a take-over request from another local user', () => {
  let user = '';
  let uid = -1;
  let dir = '';
  let script = '';
  beforeAll(() => {
    user = createUser('sglk');
    uid = uidOf(user);
    ({ dir, script } = requesterScript());
  });
  afterAll(() => {
    if (user) removeUser(user);
    if (dir) removeRequesterScript(dir);
  });

  it('claiming root and answering the challenge with its own file is refused: the holder keeps the lock and hears nothing', async () => {
    const name = lockName();
    const heard: VerifiedSteal[] = [];
    const lock = await HostLock.tryAcquire(name, me, (steal) => heard.push(steal));
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    const run = runRequester(script, 'own', name, { user });
    const nonce = await run.challenge();
    await run.done;
    const verdict = run.got.at(-1);
    expect(verdict?.refused).toBe(`only root can take it over: its process runs as root (uid 0), you are ${user} (uid ${uid})`);
    expect(verdict?.granted).toBeUndefined();
    expect(heard).toEqual([]);
    expect(lock.held).toBe(true);
    expect(await stillHeld(name)).toBe(true);
    // The spent proof is removed by the holder (root can, in the sticky /tmp).
    expect(existsSync(`/tmp/stepgate-steal-${nonce}`)).toBe(false);
  });

  it('the same request as root is honoured: the holder hears the verified user beside the claims (the script proves its format)', async () => {
    const name = lockName();
    const heard: VerifiedSteal[] = [];
    const lock = await HostLock.tryAcquire(name, me, (steal) => heard.push(steal));
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    const run = runRequester(script, 'own', name);
    await run.done;
    expect(run.got.at(-1)).toEqual({ granted: true });
    expect(heard).toEqual([{ uid: 0, user: 'root', claim: { user: 'root', pid: 1, reason: 'forged' } }]);
    expect(lock.held).toBe(false);
  });

  it('the steal line alone (the reported reproduction) gets a challenge and nothing more', async () => {
    const name = lockName();
    const heard: VerifiedSteal[] = [];
    const lock = await HostLock.tryAcquire(name, me, (steal) => heard.push(steal));
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    const run = runRequester(script, 'raw', name, { user });
    await run.done;
    expect(run.got).toHaveLength(1);
    expect(run.got[0]).toMatchObject({ pid: process.pid, challenge: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(heard).toEqual([]);
    expect(await stillHeld(name)).toBe(true);
  });

  it('a symlink at the proof path is refused, even to a file of root holding the right proof', async () => {
    const name = lockName();
    const heard: VerifiedSteal[] = [];
    const lock = await HostLock.tryAcquire(name, me, (steal) => heard.push(steal));
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    const target = `/tmp/sglk-rootfile-${randomBytes(4).toString('hex')}`;
    planted.push(target);
    const run = runRequester(script, 'wait', name, { user, target });
    const nonce = await run.challenge();
    planted.push(`/tmp/stepgate-steal-${nonce}`);
    writeFileSync(target, proofText(name, nonce, shownBy(run), REQUESTER_CLAIM), { mode: 0o644 });
    run.proceed();
    await run.done;
    expect(String(run.got.at(-1)?.refused)).toMatch(/^cannot tell who asks: no readable proof at \/tmp\/stepgate-steal-[0-9a-f]{32} \(ELOOP\)/);
    expect(heard).toEqual([]);
    expect(await stillHeld(name)).toBe(true);
  });

  it("root's proof for another lock does not pass (a squatter relaying this lock's challenge to a root stepgate)", async () => {
    const name = lockName();
    const heard: VerifiedSteal[] = [];
    const lock = await HostLock.tryAcquire(name, me, (steal) => heard.push(steal));
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    const run = runRequester(script, 'wait', name, { user });
    const nonce = await run.challenge();
    // What a root stepgate taking over the squatted lock would write for the relayed nonce.
    const other = lockName();
    const proof = `/tmp/stepgate-steal-${nonce}`;
    planted.push(proof);
    writeFileSync(proof, proofText(other, nonce, shownBy(run), REQUESTER_CLAIM), { mode: 0o644, flag: 'wx' });
    run.proceed();
    await run.done;
    expect(run.got.at(-1)?.refused).toBe(`cannot tell who asks: ${proof} does not hold this request's nonce`);
    expect(heard).toEqual([]);
    expect(await stillHeld(name)).toBe(true);
  });

  it("root's proof for this lock but another holder, or another claim, does not pass (a squatter relaying a root take-over to a real holder)", async () => {
    for (const variant of ['holder', 'claim'] as const) {
      const name = lockName();
      const heard: VerifiedSteal[] = [];
      const lock = await HostLock.tryAcquire(name, me, (steal) => heard.push(steal));
      if (!lock) throw new Error('lock not taken');
      held.push(lock);
      const run = runRequester(script, 'wait', name, { user });
      const nonce = await run.challenge();
      const proof = `/tmp/stepgate-steal-${nonce}`;
      planted.push(proof);
      // What a root requester shown the squatter (another pid), or asking with its own reason, writes.
      const shown = shownBy(run);
      const text =
        variant === 'holder'
          ? proofText(name, nonce, { pid: shown.pid + 1, since: shown.since }, REQUESTER_CLAIM)
          : proofText(name, nonce, shown, { ...REQUESTER_CLAIM, reason: 'evict the squatter' });
      writeFileSync(proof, text, { mode: 0o644, flag: 'wx' });
      run.proceed();
      await run.done;
      expect(run.got.at(-1)?.refused).toBe(`cannot tell who asks: ${proof} does not hold this request's nonce`);
      expect(heard).toEqual([]);
      expect(await stillHeld(name)).toBe(true);
    }
  });

  it('a lock without a take-over handler refuses everyone, root included, and stays held', async () => {
    const name = lockName();
    const lock = await HostLock.tryAcquire(name, me);
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    const run = runRequester(script, 'own', name, { user });
    await run.done;
    expect(run.got).toEqual([expect.objectContaining({ pid: process.pid, refused: 'this lock cannot be taken over: stop the process that holds it' })]);
    const asRoot = await stealLock(name, { user: 'root', pid: process.pid, reason: 'test' }, me, undefined, 500);
    expect(asRoot.lock).toBeUndefined();
    expect(asRoot.refused).toBe('this lock cannot be taken over: stop the process that holds it');
    expect(await stillHeld(name)).toBe(true);

    // A session's lock is one of them.
    const state = mkdtempSync(join(tmpdir(), 'sglk-sessions-'));
    try {
      const release = await lockSession(state, 'session-x');
      try {
        const sessionLock = `session:${join(realpathSync(state), 'session-x')}`;
        const forged = runRequester(script, 'own', sessionLock, { user });
        await forged.done;
        expect(forged.got[0]?.refused).toBe('this lock cannot be taken over: stop the process that holds it');
        const again = await stealLock(sessionLock, { user: 'root', pid: process.pid, reason: 'test' }, me, undefined, 500);
        expect(again.refused).toBe('this lock cannot be taken over: stop the process that holds it');
        await expect(lockSession(state, 'session-x')).rejects.toThrow(/is in use by process/);
      } finally {
        await release();
      }
    } finally {
      rmSync(state, { recursive: true, force: true });
    }
  });
});

describe('a take-over by the same uid', () => {
  it('is honoured: the holder lets go and hears the verified user, the requester gets the lock', async () => {
    const name = lockName();
    const heard: VerifiedSteal[] = [];
    const lock = await HostLock.tryAcquire(name, me, (steal) => heard.push(steal));
    if (!lock) throw new Error('lock not taken');
    const taken = await stealLock(name, { user: 'alice-says', pid: 4242, session: 's-1', reason: 'went home' }, me, undefined, 3000);
    try {
      expect(taken.lock?.held).toBe(true);
      expect(taken.from).toMatchObject({ pid: process.pid, user: 'holder' });
      expect(lock.held).toBe(false);
      const self = userInfo();
      expect(heard).toEqual([{ uid: self.uid, user: self.username, claim: { user: 'alice-says', pid: 4242, session: 's-1', reason: 'went home' } }]);
    } finally {
      taken.lock?.release();
      lock.release();
    }
  });
});

/** The lock module bundled where every user can run it, and a holder or requester around it. */
const PARTY = `
import { HostLock, stealLock } from './lock.mjs';
const [role, name] = process.argv.slice(2);
const describe = () => ({ pid: process.pid, user: 'party', host: 'test', since: Date.now() });
const out = (value) => process.stdout.write(JSON.stringify(value) + '\\n');
if (role === 'hold') {
  const lock = await HostLock.tryAcquire(name, describe, (steal) => { out({ stolen: steal }); process.exit(0); });
  out({ held: lock !== undefined });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
} else {
  const taken = await stealLock(name, { user: 'claimed', pid: 4242, reason: 'test' }, describe, undefined, 3000);
  out({ lock: taken.lock !== undefined, refused: taken.refused });
  taken.lock?.release();
}
`;

describe.skipIf(!root)('a holder that is not root', () => {
  let owner = '';
  let other = '';
  let dir = '';
  beforeAll(async () => {
    owner = createUser('sglk');
    other = createUser('sglk');
    dir = mkdtempSync('/tmp/sglk-party-');
    chmodSync(dir, 0o755);
    await build({ entryPoints: [join(ROOT, 'src', 'exec', 'lock.ts')], bundle: true, platform: 'node', format: 'esm', outfile: join(dir, 'lock.mjs'), logLevel: 'silent' });
    chmodSync(join(dir, 'lock.mjs'), 0o644);
    writeFileSync(join(dir, 'party.mjs'), PARTY, { mode: 0o644 });
  });
  afterAll(() => {
    if (owner) removeUser(owner);
    if (other) removeUser(other);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A process of `user` running party.mjs; its JSON lines as they come. */
  function party(user: string, role: 'hold' | 'steal', name: string): { lines: Array<Record<string, unknown>>; line(): Promise<Record<string, unknown>>; end(): void; exited: Promise<number | null> } {
    const child = spawn('runuser', ['-u', user, '--', process.execPath, join(dir, 'party.mjs'), role, name], { cwd: dir });
    const lines: Array<Record<string, unknown>> = [];
    const waiters: Array<() => void> = [];
    let text = '';
    let read = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      for (let end = text.indexOf('\n'); end >= 0; end = text.indexOf('\n')) {
        lines.push(JSON.parse(text.slice(0, end)) as Record<string, unknown>);
        text = text.slice(end + 1);
        for (const wake of waiters.splice(0)) wake();
      }
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    return {
      lines,
      line: async () => {
        while (lines.length <= read) await new Promise<void>((resolve) => waiters.push(resolve));
        return lines[read++] ?? {};
      },
      end: () => child.stdin.end(),
      exited,
    };
  }

  it('its own user and root may take it over, another user may not', async () => {
    const ownerUid = uidOf(owner);
    const otherUid = uidOf(other);
    const name = lockName();

    let holder = party(owner, 'hold', name);
    expect(await holder.line()).toEqual({ held: true });
    // Another user: refused, with who could.
    const refused = party(other, 'steal', name);
    expect(await refused.line()).toEqual({ lock: false, refused: `only ${owner} or root can take it over: its process runs as ${owner} (uid ${ownerUid}), you are ${other} (uid ${otherUid})` });
    expect(holder.lines).toHaveLength(1);
    // The same user: honoured, the holder hears who, verified.
    const same = party(owner, 'steal', name);
    expect(await same.line()).toEqual({ lock: true });
    expect(await holder.line()).toEqual({ stolen: { uid: ownerUid, user: owner, claim: { user: 'claimed', pid: 4242, reason: 'test' } } });
    await holder.exited;

    // Root, whose proof the holder reads but cannot remove (the requester does).
    holder = party(owner, 'hold', name);
    expect(await holder.line()).toEqual({ held: true });
    const taken = await stealLock(name, { user: 'root', pid: process.pid, reason: 'test' }, me, undefined, 3000);
    try {
      expect(taken.lock?.held).toBe(true);
      expect(await holder.line()).toEqual({ stolen: { uid: 0, user: 'root', claim: { user: 'root', pid: process.pid, reason: 'test' } } });
    } finally {
      taken.lock?.release();
      holder.end();
    }
    await holder.exited;
  });
});

/** Opens a raw connection to the lock's socket, as any local user can. */
function connect(name: string): Socket {
  const socket = createConnection(lockAddress(name));
  socket.on('error', () => undefined);
  // Read (and drop) what the holder says, so that its end is seen.
  socket.resume();
  return socket;
}

describe('what a stranger sends a holder, or a squatter answers', () => {
  it('a holder is not taken down by lines that are JSON but not requests (null, [], "x", 7, a missing op)', async () => {
    const name = lockName();
    const lock = await HostLock.tryAcquire(name, me, () => undefined);
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    for (const line of ['null', '[]', '"x"', '7', 'true', '{}', '{"op":null}', '{"op":"proof"}']) {
      const socket = connect(name);
      socket.write(`${line}\n`);
      await new Promise((resolve) => socket.on('close', resolve));
    }
    expect(await stillHeld(name)).toBe(true);
  });

  it('a holder drops a connection that trickles bytes, however slowly it keeps it busy', async () => {
    const name = lockName();
    const lock = await HostLock.tryAcquire(name, me, () => undefined);
    if (!lock) throw new Error('lock not taken');
    held.push(lock);
    const socket = connect(name);
    socket.write('{"op":"who"');
    const trickle = setInterval(() => socket.write(' '), 500);
    const closed = await new Promise<boolean>((resolve) => {
      socket.on('close', () => resolve(true));
      setTimeout(() => resolve(false), 20_000);
    });
    clearInterval(trickle);
    expect(closed).toBe(true);
    expect(await stillHeld(name)).toBe(true);
  });

  it('asking a squatter that trickles spaces, or floods them, ends with "does not answer", not a hang', async () => {
    for (const how of ['trickle', 'flood'] as const) {
      const name = lockName();
      const squatter = createServer((socket) => {
        socket.on('error', () => undefined);
        socket.resume();
        if (how === 'flood') socket.write(' '.repeat(1 << 20));
        else {
          const timer = setInterval(() => socket.write(' '), 100);
          socket.on('close', () => clearInterval(timer));
        }
      });
      await new Promise<void>((resolve) => squatter.listen(lockAddress(name), resolve));
      try {
        const asked = await Promise.race([lockHolder(name), new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 20_000))]);
        expect(asked).toBeUndefined();
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
    }
  });

  it("a holder's description is another process's text: its control characters are not passed to the operator's terminal", async () => {
    const name = lockName();
    const squatter = createServer((socket) => {
      socket.on('error', () => undefined);
      socket.resume();
      socket.end(`${JSON.stringify({ pid: 4242, user: 'ops\u001b]0;PWNED\u0007\u001b[2J', host: 'h\u009bx', since: Date.now(), step: 'deploy\r\nstepgate: lock free' })}\n`);
    });
    await new Promise<void>((resolve) => squatter.listen(lockAddress(name), resolve));
    try {
      const holder = await lockHolder(name);
      expect(holder).toMatchObject({ pid: 4242, user: 'ops?]0;PWNED??[2J', host: 'h?x', step: 'deploy??stepgate: lock free' });
      // eslint-disable-next-line no-control-regex
      expect(describeHolder(name, holder)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});

