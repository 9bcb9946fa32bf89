/**
 * The state directory's files, opened so that another user cannot steer where root writes.
 *
 * stepgate often runs as root. If a directory it writes into were writable by someone else,
 * that someone could plant `sessions/<id>.shell.json.tmp` (or `sessions` itself) as a symlink
 * and have root overwrite or chmod a file of their choosing (issue 13, item 1). So, as sshd's
 * StrictModes does: every directory stepgate creates files in must be owned by the invoking
 * user and not writable by group or others, and the directories above it must be owned by
 * that user or root and not writable by others unless sticky (as `/tmp` is). Files are opened
 * with O_NOFOLLOW (O_EXCL for new ones) and the owner of what was opened is checked. Nothing
 * that already existed is ever chmod'ed: a directory or file stepgate did not just create is
 * either acceptable as it is or refused with the fix.
 */
import { randomHex } from './random-hex.js';
import { constants, fstatSync, lstatSync, mkdirSync, openSync, closeSync, readSync, renameSync, rmSync, type Stats } from 'node:fs';
import { writeAllSync } from '../exec/write-all.js';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

/**
 * A state path stepgate refuses to use; the message names it, its owner, its mode and the fix.
 * `exitCode` marks it as the operator's to fix: the CLI prints the message alone, no stack.
 */
export class UnsafeStateError extends Error {
  override readonly name = 'UnsafeStateError';
  readonly exitCode = 2;
}

function uid(): number {
  return process.geteuid?.() ?? 0;
}

function octal(mode: number): string {
  return (mode & 0o7777).toString(8).padStart(4, '0');
}

function describe(path: string, st: Stats): string {
  return `${path} (owner uid ${st.uid}, mode ${octal(st.mode)})`;
}

/** What is wrong with a directory stepgate writes files in, if anything. */
function ownDirProblem(path: string, st: Stats): string | undefined {
  if (st.isSymbolicLink()) return `${path} is a symbolic link; stepgate writes its state only in a real directory: remove the link or set STEPGATE_STATE_DIR to a directory of yours`;
  if (!st.isDirectory()) return `${path} is not a directory`;
  if (st.uid !== uid()) {
    return `${describe(path, st)} is not owned by you (uid ${uid()}); another user could redirect what stepgate writes there: use a directory of your own (set STEPGATE_STATE_DIR) or chown it to yourself`;
  }
  if ((st.mode & 0o022) !== 0) {
    return `${describe(path, st)} is writable by group or others, who could plant links in it: chmod go-w ${path}`;
  }
  return undefined;
}

/** What is wrong with a directory above the state directory, if anything. */
function ancestorProblem(path: string, st: Stats): string | undefined {
  if (!st.isDirectory()) return `${path} is not a directory`;
  if (st.uid !== uid() && st.uid !== 0) {
    return `${describe(path, st)} on the path of stepgate's state directory is owned by another user, who could swap what is under it: use a state directory (STEPGATE_STATE_DIR) whose parents belong to you or root`;
  }
  // A sticky directory (such as /tmp) keeps others from renaming or removing what is ours.
  if ((st.mode & 0o022) !== 0 && (st.mode & 0o1000) === 0) {
    return `${describe(path, st)} on the path of stepgate's state directory is writable by group or others: chmod go-w ${path} or use another STEPGATE_STATE_DIR`;
  }
  return undefined;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Makes sure `dir` exists as a private directory: the missing parts from `root` down are
 * created 0700; `root` and everything under it on the way to `dir` must pass StrictModes, the
 * directories above `root` the ancestor rules. Symbolic links above `root` are followed (a home
 * directory may be one); from `root` down they are refused.
 */
export function ensurePrivateDir(dir: string, root: string = dir): void {
  const leaf = resolve(dir);
  const top = resolve(root);
  if (leaf !== top && !leaf.startsWith(`${top}/`)) throw new Error(`${leaf} is not under ${top}`);
  const above: string[] = [];
  for (let p = dirname(top); ; p = dirname(p)) {
    above.unshift(p);
    if (p === dirname(p)) break;
  }
  for (const p of above) {
    let st: Stats;
    try {
      st = lstatSync(p);
      if (st.isSymbolicLink()) st = fstatOf(p);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') break; // created below
      throw err;
    }
    const problem = ancestorProblem(p, st);
    if (problem) throw new UnsafeStateError(problem);
  }
  const own = [top];
  for (let p = leaf; p !== top; p = dirname(p)) own.splice(1, 0, p);
  // The parents of `top` that do not exist yet are ours to create, privately.
  const parentOfTop = dirname(top);
  if (!lstatOrUndefined(parentOfTop)) mkdirSync(parentOfTop, { recursive: true, mode: 0o700 });
  for (const p of own) {
    let st = lstatOrUndefined(p);
    if (!st) {
      try {
        mkdirSync(p, { mode: 0o700 });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      st = lstatSync(p);
    }
    const problem = ownDirProblem(p, st);
    if (problem) throw new UnsafeStateError(problem);
  }
}

function fstatOf(path: string): Stats {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return fstatSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The opened file must be a regular file of ours; closes it and throws if not. */
function checkOpened(fd: number, path: string): number {
  const st = fstatSync(fd);
  const problem = !st.isFile()
    ? `${path} is not a regular file`
    : st.uid !== uid()
      ? `${describe(path, st)} is not owned by you (uid ${uid()}); stepgate will not write into another user's file: remove it`
      : undefined;
  if (problem) {
    closeSync(fd);
    throw new UnsafeStateError(problem);
  }
  return fd;
}

/**
 * Opens `path` for appending, creating it 0600 if missing. Never follows a symbolic link and
 * never writes into a file another user owns.
 */
export function openPrivateAppend(path: string): number {
  const base = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
  try {
    return openSync(path, base | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw symlinkError(err, path);
  }
  try {
    return checkOpened(openSync(path, base), path);
  } catch (err) {
    throw symlinkError(err, path);
  }
}

/**
 * Creates `path` new, 0600, for writing (a temporary file to be renamed into place). It must
 * not exist: a leftover from a crash is for the caller to remove first.
 */
export function createPrivateFile(path: string): number {
  try {
    return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw symlinkError(err, path);
  }
}

/** Opens a state file for reading without following a link, checking it is a regular file of ours. */
export function openPrivateRead(path: string): number {
  try {
    return checkOpened(openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK), path);
  } catch (err) {
    throw symlinkError(err, path);
  }
}

/**
 * A state file's bytes (opened as `openPrivateRead` does), read to at most `maxBytes`:
 * undefined when it is missing, not ours, larger (a file that grows while read is cut, not
 * trusted), or, with `sealed`, writable by group or others.
 */
export function readPrivateFile(path: string, { maxBytes = 64 * 1024 * 1024, sealed = false }: { maxBytes?: number; sealed?: boolean } = {}): Buffer | undefined {
  let fd: number;
  try {
    fd = openPrivateRead(path);
  } catch {
    return undefined;
  }
  try {
    const st = fstatSync(fd);
    if ((sealed && (st.mode & 0o022) !== 0) || st.size > maxBytes) return undefined;
    const buf = Buffer.alloc(st.size + 1);
    let size = 0;
    for (let n = 1; n > 0 && size < buf.length; size += n) n = readSync(fd, buf, size, buf.length - size, null);
    return size > st.size ? undefined : buf.subarray(0, size);
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `path` with `data` whole: written to a new private temporary file beside it, then
 * renamed over it, so a reader sees the old file or the new one, never part of either.
 */
export function replacePrivateFile(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.${process.pid}.${randomHex(4)}.tmp`;
  try {
    const fd = createPrivateFile(tmp);
    try {
      writeAllSync(fd, data);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function symlinkError(err: unknown, path: string): unknown {
  // O_NOFOLLOW on a symbolic link fails with ELOOP.
  if ((err as NodeJS.ErrnoException).code === 'ELOOP') {
    return new UnsafeStateError(`${path} is a symbolic link; stepgate does not follow links in its state directory: remove it`);
  }
  return err;
}

/** `openPrivateAppend` for the promise API. */
export async function openPrivateAppendHandle(path: string): Promise<FileHandle> {
  const base = constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW;
  try {
    return await open(path, base | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw symlinkError(err, path);
  }
  return checkedHandle(path, base);
}

/** `createPrivateFile` for the promise API. */
export async function createPrivateHandle(path: string): Promise<FileHandle> {
  try {
    return await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (err) {
    throw symlinkError(err, path);
  }
}

/** `openPrivateRead` for the promise API. */
export function openPrivateReadHandle(path: string): Promise<FileHandle> {
  return checkedHandle(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
}

async function checkedHandle(path: string, flags: number): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags);
  } catch (err) {
    throw symlinkError(err, path);
  }
  const st = await handle.stat();
  const problem = !st.isFile()
    ? `${path} is not a regular file`
    : st.uid !== uid()
      ? `${describe(path, st)} is not owned by you (uid ${uid()}); stepgate will not use another user's file in its state directory: remove it`
      : undefined;
  if (problem) {
    await handle.close();
    throw new UnsafeStateError(problem);
  }
  return handle;
}

/** fsyncs a directory, so the entries made or renamed in it survive a crash too. */
export async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
