/**
 * The raw transcript: every byte the operator could have seen (markers already removed),
 * redacted, appended to a 0600 file. Redaction works on whole lines so a secret split across
 * two reads is still caught.
 */
import { createWriteStream, chmodSync, closeSync, openSync } from 'node:fs';
import type { WriteStream } from 'node:fs';

/** A partial line longer than this is written out without waiting for its newline. */
const MAX_HELD = 64 * 1024;

export class TranscriptWriter {
  private readonly stream: WriteStream;
  private held = '';
  private failed: Error | undefined;

  private constructor(
    readonly path: string,
    private readonly redact: (text: string) => string,
  ) {
    // Create with 0600, and tighten a file that already existed with looser bits.
    closeSync(openSync(path, 'a', 0o600));
    chmodSync(path, 0o600);
    // A roomy buffer: every time it fills, the pty is paused until the disk catches up.
    this.stream = createWriteStream(path, { flags: 'a', mode: 0o600, highWaterMark: 1 << 20 });
    this.stream.on('error', (err) => {
      this.failed = err;
    });
  }

  static open(path: string, redact?: (text: string) => string): TranscriptWriter {
    return new TranscriptWriter(path, redact ?? ((t) => t));
  }

  /** Append output; false when the caller should wait for `drained()`. */
  write(text: string): boolean {
    if (this.failed) return true;
    this.held += text;
    const cut = this.held.lastIndexOf('\n');
    if (cut === -1 && this.held.length < MAX_HELD) return true;
    const upTo = cut === -1 ? this.held.length : cut + 1;
    const ready = this.held.slice(0, upTo);
    this.held = this.held.slice(upTo);
    return this.stream.write(this.redact(ready));
  }

  /** Write out a held partial line (end of a step); resolves when all output is in the file. */
  async flush(): Promise<void> {
    const rest = this.held;
    this.held = '';
    if (this.failed || this.stream.destroyed) return;
    // Writes complete in order: when this one's callback runs, everything before is on disk.
    await new Promise<void>((resolve) => this.stream.write(rest ? this.redact(rest) : '', () => resolve()));
  }

  get needsDrain(): boolean {
    return this.stream.writableNeedDrain;
  }

  drained(): Promise<void> {
    if (!this.stream.writableNeedDrain || this.failed) return Promise.resolve();
    return new Promise((resolve) => this.stream.once('drain', resolve));
  }

  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve) => this.stream.end(resolve));
    if (this.failed) throw new Error(`writing the transcript ${this.path} failed: ${this.failed.message}`);
  }
}
