/**
 * How a login user finds the detached TUIs of other login users (issue 12) without any shared
 * file: each detached TUI binds an abstract unix socket `stepgate-tui-<token>` (host-wide, gone
 * with the process, like the locks in lock.ts) that answers who runs it and which session it
 * holds. Abstract names are listed in /proc/net/unix, which every user can read.
 *
 * A beacon says no more than the deploy lock already tells any local user (login user, session,
 * runbook), and nothing that grants access: the tmux socket stays in its owner's 0700
 * directory. Anyone could bind a false beacon, so a beacon is only a hint: `attach` goes to its
 * owner through `sudo -n -u OWNER`, and the stepgate that runs as the owner checks that the
 * directory the beacon named is its own (attach-other.ts).
 */
import { readFile } from 'node:fs/promises';
import { createConnection, createServer, type Server } from 'node:net';

const PREFIX = 'stepgate-tui-';
const ASK_TIMEOUT_MS = 2000;

/** What a detached TUI says about itself. */
export interface BeaconInfo {
  /** The login user the TUI runs as (the owner of its tmux socket). */
  user: string;
  uid: number;
  pid: number;
  /** Its registry directory (`<state>/detach/<token>`), owned by `user`, mode 0700. */
  registry: string;
  session?: { id: string; runbook: string; since: number };
}

/** Announces a detached TUI until the process exits; `undefined` when the name is taken. */
export async function announce(token: string, describe: () => BeaconInfo): Promise<Server | undefined> {
  const server = createServer({ allowHalfOpen: false });
  const bound = await new Promise<boolean>((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(`\0${PREFIX}${token}`, () => resolve(true));
  });
  if (!bound) return undefined;
  server.unref();
  server.on('connection', (socket) => {
    socket.unref();
    socket.on('error', () => undefined);
    socket.end(`${JSON.stringify(describe())}\n`);
  });
  return server;
}

/** The tokens of the beacons bound on this host now. */
export async function beaconTokens(): Promise<string[]> {
  let text: string;
  try {
    text = await readFile('/proc/net/unix', 'utf8');
  } catch {
    return [];
  }
  const tokens = new Set<string>();
  for (const line of text.split('\n')) {
    const path = line.trim().split(/\s+/)[7];
    // Abstract names show with a leading @, and Node pads them with NULs, shown as @ too.
    const m = path === undefined ? null : new RegExp(`^@${PREFIX}([0-9a-f]{12})@*$`).exec(path);
    if (m?.[1]) tokens.add(m[1]);
  }
  return [...tokens];
}

/** Asks one beacon; `undefined` when it is gone or says nothing sensible. */
export function askBeacon(token: string): Promise<BeaconInfo | undefined> {
  return new Promise((resolve) => {
    const socket = createConnection(`\0${PREFIX}${token}`);
    let text = '';
    const done = (info: BeaconInfo | undefined): void => {
      socket.destroy();
      resolve(info);
    };
    socket.setTimeout(ASK_TIMEOUT_MS, () => done(undefined));
    socket.on('error', () => done(undefined));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      if (text.length > 8192) done(undefined);
      const end = text.indexOf('\n');
      if (end >= 0) done(parseBeacon(text.slice(0, end)));
    });
    socket.on('end', () => done(undefined));
  });
}

function parseBeacon(line: string): BeaconInfo | undefined {
  let v: Record<string, unknown>;
  try {
    v = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof v.user !== 'string' || typeof v.uid !== 'number' || typeof v.pid !== 'number' || typeof v.registry !== 'string') return undefined;
  const info: BeaconInfo = { user: v.user, uid: v.uid, pid: v.pid, registry: v.registry };
  const s = v.session as Record<string, unknown> | undefined;
  if (s && typeof s.id === 'string' && typeof s.runbook === 'string' && typeof s.since === 'number') info.session = { id: s.id, runbook: s.runbook, since: s.since };
  return info;
}

/** Every detached TUI that announces itself on this host. */
export async function listBeacons(): Promise<BeaconInfo[]> {
  const infos = await Promise.all((await beaconTokens()).map((token) => askBeacon(token)));
  return infos.filter((info): info is BeaconInfo => info !== undefined);
}
