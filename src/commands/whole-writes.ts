/**
 * stdout or stderr sent to a file (`stepgate plan x.md > plan.txt`, `run x.md --yes > deploy.log`)
 * is Node's SyncWriteStream, which ignores how much of a buffer write(2) took: a disk that fills
 * or a file-size limit cut the buffer short and nothing is said. A command that writes once
 * (`plan`, `--help`) then exits 0 with half its output, and a session's last lines are lost
 * unseen. Written whole, the rest is written again and that write fails (ENOSPC, EFBIG), which
 * is a lost output that cli.ts says, or a session stops its step for (output-loss.ts).
 */
import { fstatSync } from 'node:fs';
import { writeAllSync } from '../exec/write-all.js';

type WriteCallback = (error?: Error | null) => void;

/** Makes stdout and stderr write every byte when they go to a regular file. */
export function writeWholeToFiles(): void {
  for (const [fd, stream] of [
    [1, process.stdout],
    [2, process.stderr],
  ] as const) {
    if (!isRegularFile(fd)) continue;
    // The stream's own _write is the one that drops the count; the instance's shadows it.
    (stream as unknown as { _write: (chunk: Buffer | string, encoding: BufferEncoding, done: WriteCallback) => void })._write = (chunk, encoding, done) => {
      try {
        writeAllSync(fd, typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk);
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    };
  }
}

function isRegularFile(fd: number): boolean {
  try {
    return fstatSync(fd).isFile();
  } catch {
    return false;
  }
}
