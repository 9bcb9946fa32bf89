/**
 * Reading a file the operator named (a runbook, a file it links to) without trusting what it
 * is: a FIFO would block the read forever, /dev/zero would fill memory, and `stat`'s size says
 * nothing about a device or a /proc file. So the file is opened without blocking, judged by
 * `fstat` of what was opened (not of a path that could be swapped meanwhile), and read only up
 * to the limit, whatever its size claims.
 */
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';

export type ReadRefusal =
  /** Not there, not readable, or not a regular file: `message` says which. */
  | { kind: 'unreadable'; message: string }
  /** More than `limit` bytes. */
  | { kind: 'too-large'; message: string };

/** What a file that is not a regular file is, in the words of `ls -l`/`stat`. */
export function fileKind(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe (FIFO)';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

/** What a read takes at a time once the file has proved larger than its size said. */
const CHUNK = 1 << 20;
/** A read after a short one: almost always only to see the end of the file. */
const TAIL = 4096;

/**
 * The bytes of `file` when it is a regular file of at most `limit` bytes; otherwise why not,
 * naming the file and what it is. Never blocks on a FIFO and never reads more than `limit + 1`
 * bytes.
 */
export function readRegularFile(file: string, limit: number): Buffer | ReadRefusal {
  const read = readRegularFileStat(file, limit);
  return 'bytes' in read ? read.bytes : read;
}

/** `readRegularFile`, with the `fstat` of the file it read: who owns what was read, not what the name points to now. */
export function readRegularFileStat(file: string, limit: number): { bytes: Buffer; stat: Stats } | ReadRefusal {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
  } catch (error) {
    return { kind: 'unreadable', message: `cannot read ${file}: ${openError(error)}` };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) {
      const fix = st.isDirectory() ? 'give a .md file' : 'give a regular .md file';
      return { kind: 'unreadable', message: `${file} is ${fileKind(st)}, not a regular file; ${fix}` };
    }
    // Refuse before reading: a 2 GB log mistaken for a runbook must not be pulled into memory.
    if (st.size > limit) return { kind: 'too-large', message: `${file} is ${st.size} bytes; the limit is ${limit} bytes` };
    const chunks: Buffer[] = [];
    let total = 0;
    // The size stat gave is a hint only: read until end of file or one byte past the limit.
    // It sizes the first read, though (one byte over, so a file that grew shows at once): a
    // command reads its runbook a few dozen times, and a megabyte each time for a 1 KB file
    // was 25 MB of buffers, which cost `run` a full collection before its first step.
    let want = st.size + 1;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(want, limit + 1 - total));
      const n = readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(n === chunk.length ? chunk : chunk.subarray(0, n));
      total += n;
      want = n < chunk.length ? TAIL : CHUNK;
      if (total > limit) return { kind: 'too-large', message: `${file} holds more than ${limit} bytes (its size said ${st.size}); the limit is ${limit} bytes` };
    }
    return { bytes: Buffer.concat(chunks, total), stat: st };
  } catch (error) {
    return { kind: 'unreadable', message: `cannot read ${file}: ${openError(error)}` };
  } finally {
    closeSync(fd);
  }
}

function openError(error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
      return 'permission denied';
    case 'ELOOP':
      return 'a loop of symbolic links';
    case 'ENXIO':
      return 'a socket or a device with nothing behind it, not a regular file';
    case 'EISDIR':
      return 'a directory; give a .md file';
    default:
      return e.message;
  }
}
