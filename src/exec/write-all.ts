/**
 * A whole buffer written to a file descriptor. write(2) may take part of it and say so only in
 * its count (a disk that fills mid-write, a file-size limit): the rest would be lost while the
 * caller fsyncs and goes on as though the line were on disk.
 */
import { writeSync } from 'node:fs';

/** Writes every byte of `data` at the descriptor's offset (its end, under O_APPEND); throws what write(2) throws. */
export function writeAllSync(fd: number, data: string | Uint8Array): void {
  const bytes = typeof data === 'string' ? Buffer.from(data) : data;
  let done = 0;
  while (done < bytes.length) {
    const n = writeSync(fd, bytes, done, bytes.length - done);
    // write(2) of a regular file answers 0 only when it cannot go on; it would answer 0 forever.
    if (n === 0) throw Object.assign(new Error(`write took ${done} of ${bytes.length} bytes and then none`), { code: 'EIO' });
    done += n;
  }
}
