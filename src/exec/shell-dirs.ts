/**
 * The private directories of a session's shells: one per shell for its rcfile, command FIFO
 * and step files (named after the stepgate process, swept when that process is gone), and the
 * state directory each shell keeps its cwd and exports in, owned by the target user.
 */
import { execFile, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, constants, existsSync, fchmodSync, fchownSync, lstatSync, mkdtempSync, openSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { OWN_SESSION, runInOwnSession } from './own-session.js';
import { asUser, targetUserEnv, type RunAs } from './run-as.js';
import { parseSavedExports, type SavedExport } from './saved-exports.js';

const execFileAsync = promisify(execFile);

/** Session directories are named after the stepgate process that owns them. */
const DIR_PREFIX = 'stepgate-sh-';

/** Set once the sweep has run: leftovers predate this process, so one look at start-up is enough. */
let swept = false;

/**
 * Remove session directories left by a stepgate that was killed outright (no exit hook ran):
 * those whose owner pid is gone. Directories of other users fail to remove and stay. Runs
 * once per process (reading all of the temp directory on every shell start would be waste).
 */
function sweepStaleDirs(): void {
  if (swept) return;
  swept = true;
  let names: string[];
  try {
    names = readdirSync(os.tmpdir());
  } catch {
    return;
  }
  const self = process.getuid?.();
  for (const name of names) {
    // Its shells' state directories too (cwd and exports: a copy of a secret under another name).
    const pid = Number(/^(?:stepgate-sh-|stepgate-state-)(\d+)-/.exec(name)?.[1]);
    if (!pid || pid === process.pid || existsSync(`/proc/${pid}`)) continue;
    const dir = path.join(os.tmpdir(), name);
    let st;
    try {
      st = lstatSync(dir);
    } catch {
      continue;
    }
    // Anyone can make a directory of that name: only this user's own are removed here. Another
    // user's (a killed session's state as the service user) is left to that user's tmp cleaning:
    // removed as them it would be a process of theirs, started from here, that they could stop
    // to hold stepgate's start, or read stepgate's environment from (a review did both).
    if (st.isDirectory() && st.uid === self) removeDirsSync([dir]);
  }
}

function randomName(): string {
  return randomBytes(12).toString('hex');
}

/** A new private directory for one shell of this process (stale ones of dead processes swept first). */
export function newShellDir(): string {
  sweepStaleDirs();
  return mkdtempSync(path.join(os.tmpdir(), `${DIR_PREFIX}${process.pid}-`));
}

/** A random file name: through sudo the directory is traversable by others (not listable). */
export function randomFileName(prefix: string): string {
  return `${prefix}-${randomName()}`;
}

/**
 * The shell's rcfile in `dir`, readable by the target user, at once; its command FIFO as a
 * promise of the FIFO open O_RDWR (which keeps it open on both ends, so neither side ever blocks
 * on open). `mkfifo` is a process of its own, so it is made while the shell starts: the shell
 * needs the FIFO only once it has been told its path, after its startup files (see configLines).
 */
export function prepareShellDir(dir: string, runAs: RunAs, rc: string): { rcPath: string; fifoPath: string; fifoFd: Promise<number> } {
  const shared = runAs.mode !== 'self';
  const rcPath = path.join(dir, randomFileName('rc'));
  const fifoPath = path.join(dir, randomFileName('cmd'));
  // For another user the directory stays stepgate's: files that user must read are readable
  // inside a directory nobody else can list or change, under names nobody can guess. The rc file
  // holds no secret (the session environment is typed to the shell over the terminal: see
  // configLines); the FIFO carries each step's line, its env assignments too, secrets included
  // (a review). Given the directory, root's later chown of the FIFO by its name and its writes of
  // step files followed whatever that user had put at those names (a review: a root file chowned
  // to the user, a file of the user's made in /etc/cron.hourly).
  writeFileSync(rcPath, rc, { mode: shared ? 0o644 : 0o600, flag: 'wx' });
  if (shared) chmodSync(dir, 0o711);
  const fifoFd = (async () => {
    await execFileAsync('mkfifo', ['-m', shared ? '604' : '600', fifoPath]);
    const fd = openSync(fifoPath, constants.O_RDWR | constants.O_NOFOLLOW);
    // As root (runuser) the FIFO becomes the target user's alone, given by the descriptor just
    // opened: only its name kept others out. Through sudo stepgate cannot give it away, and the
    // unguessable name in an unlistable directory is what keeps it.
    if (runAs.mode === 'runuser' && process.getuid?.() === 0) {
      fchownSync(fd, runAs.uid, runAs.gid);
      fchmodSync(fd, 0o600);
    }
    return fd;
  })();
  return { rcPath, fifoPath, fifoFd };
}

/** Files of a state directory, concatenated; through sudo they are the target user's to read. */
export async function readStateFiles(stateDir: string, runAs: RunAs, names: string[]): Promise<string> {
  const files = names.map((name) => path.join(stateDir, name));
  if (runAs.mode === 'self') return (await Promise.all(files.map((f) => readFile(f, 'utf8')))).join('');
  if (runAs.mode === 'runuser') return (await Promise.all(files.map((f) => readUserFile(f, runAs.uid)))).join('');
  // Runs after every step: a wedged sudo (a PAM module, a slow NSS) costs the kept state, not the session.
  const read = await runInOwnSession(runAs.via ?? 'sudo', ['-n', '-u', runAs.user, 'cat', '--', ...files], { timeoutMs: 10_000 });
  if (read.code !== 0) throw new Error(`cannot read ${files.join(' ')} as ${runAs.user}: ${read.stderr.trim() || read.error?.message || 'killed'}`);
  return read.stdout;
}

/** What a shell saved after its last step: its cwd, its exports, and those it started with. */
export interface SavedState {
  cwd?: string;
  exports: SavedExport[];
  base: SavedExport[];
}

/**
 * Reads a shell's saved state (through sudo as the target user), once per version the shell
 * reports: most steps change neither cwd nor exports, and then no file is read, no sudo run.
 */
export class SavedStateReader {
  /** The exports the shell started with never change: read once. */
  private baseline: SavedExport[] | undefined;
  private last: { version: number; saved: SavedState } | undefined;

  constructor(private readonly runAs: RunAs) {}

  async read(stateDir: string, version: number): Promise<SavedState | undefined> {
    if (this.last && this.last.version === version) return this.last.saved;
    let both: string;
    try {
      this.baseline ??= parseSavedExports(await readStateFiles(stateDir, this.runAs, ['base']));
      both = await readStateFiles(stateDir, this.runAs, ['cwd', 'state']);
    } catch {
      return undefined;
    }
    // The cwd file ends with a NUL: a directory name cannot contain one.
    const cut = both.indexOf('\0');
    if (cut < 0) return undefined;
    const saved = { cwd: both.slice(0, cut), exports: parseSavedExports(both.slice(cut + 1)), base: this.baseline };
    if (version > 0) this.last = { version, saved };
    return saved;
  }
}

/**
 * `rm -rf DIR` as the target user, the way stepgate starts anything as that user (`asUser`:
 * through runuser a root bash first closes the pty masters), with that user's environment, not
 * stepgate's, in a session of its own, and killed (not asked: a stopped process ignores a
 * SIGTERM) when it takes too long. As that user it removes what they could, nothing more,
 * whatever they swap in while it runs.
 */
function removeAsUser(dir: string, runAs: RunAs): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  return { ...asUser(runAs, ['/bin/rm', '-rf', '--', dir]), env: targetUserEnv(runAs, process.env) };
}

/**
 * A directory of the target user (its shell's state directory, whose path that user's shell
 * reported), removed as that user: never by stepgate's own rights, which through a link the
 * user swaps in would remove stepgate's (root's, or ssm-user's journals) instead.
 */
export function removeUserDirSync(dir: string, runAs: RunAs): void {
  if (!dir.startsWith('/')) return;
  switch (runAs.mode) {
    case 'self':
      return removeDirsSync([dir]);
    case 'runuser':
    case 'sudo': {
      const { file, args, env } = removeAsUser(dir, runAs);
      spawnSync(file, args, { ...OWN_SESSION, env, cwd: '/', stdio: 'ignore', timeout: 5_000, killSignal: 'SIGKILL' });
    }
  }
}

/** Directories of this process's own user removed while stepgate exits (synchronously); what is not ours stays. */
export function removeDirsSync(dirs: readonly string[]): void {
  for (const dir of dirs) {
    if (!dir) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Exiting anyway.
    }
  }
}

/**
 * A file in a directory the target user owns, read by root: only a regular file of that user,
 * never through a symlink, so a step cannot have root read a file the user could not.
 */
async function readUserFile(file: string, uid: number): Promise<string> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const st = await handle.stat();
    if (!st.isFile() || st.uid !== uid) throw new Error(`${file} is not a file of uid ${uid}`);
    return await handle.readFile('utf8');
  } finally {
    await handle.close();
  }
}

/** Remove a directory of the target user, as that user (see removeUserDirSync). */
export async function removeUserDir(dir: string, runAs: RunAs): Promise<void> {
  if (!dir.startsWith('/')) return;
  if (runAs.mode === 'self') {
    await rm(dir, { recursive: true, force: true });
    return;
  }
  const { file, args, env } = removeAsUser(dir, runAs);
  await runInOwnSession(file, args, { timeoutMs: 10_000, env });
}

