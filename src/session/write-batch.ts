/**
 * Writes coalesced over one turn of the event loop. A step that floods arrives as thousands of
 * 4 KB pty reads, and each became two synchronous writes (its transcript, plain mode's stdout):
 * a system call per read and per sink. What arrives in one turn now goes out as one write when
 * the turn ends (at once past `max` characters), so output waits one turn at most; `flush()`
 * writes at once (before stepgate's own lines, before a file is closed), and whatever is still
 * held when the process exits is written then.
 */
const live = new Set<WriteBatch>();
let exitHook = false;

export class WriteBatch {
  private parts: string[] = [];
  private size = 0;
  private timer: NodeJS.Immediate | undefined;

  constructor(
    private readonly sink: (text: string) => void,
    private readonly max = 256 * 1024,
  ) {}

  write(text: string): void {
    if (text === '') return;
    this.parts.push(text);
    this.size += text.length;
    if (this.size >= this.max) {
      this.flush();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setImmediate(() => this.flush());
      live.add(this);
      if (!exitHook) {
        exitHook = true;
        // process.exit() (a second Ctrl-C, the signal grace running out) skips the loop turn.
        process.once('exit', () => {
          for (const batch of live) batch.flush();
        });
      }
    }
  }

  flush(): void {
    if (this.timer !== undefined) {
      clearImmediate(this.timer);
      this.timer = undefined;
      live.delete(this);
    }
    if (this.parts.length === 0) return;
    const text = this.parts.length === 1 ? (this.parts[0] as string) : this.parts.join('');
    this.parts = [];
    this.size = 0;
    this.sink(text);
  }
}
