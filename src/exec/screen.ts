/**
 * The operator's view of the terminal: a headless xterm that interprets everything a step
 * prints (`\r` progress bars, colours, cursor moves, clears) and keeps a bounded scrollback,
 * so memory does not grow with output.
 *
 * Output is queued and handed to xterm in batches. When a step floods the terminal faster
 * than xterm can interpret it, plain-text chunks that are certain to scroll out of the
 * scrollback before anything is shown are dropped unparsed (they still reach the `output`
 * listeners):
 * see `droppable`.
 */
import xterm from '@xterm/headless';
import type { ScreenSnapshot } from './types.js';

export interface TerminalScreenOptions {
  cols: number;
  rows: number;
  /** Lines kept above the viewport. */
  scrollback: number;
}

/** Queued bytes above which the producer should pause, and below which it may resume. */
const HIGH_WATER = 512 * 1024;
const LOW_WATER = 128 * 1024;
/** Largest single write handed to xterm. */
const MAX_BATCH = 256 * 1024;
/** How long plain output may wait for more before it is parsed, while output streams. */
const HOLD_MS = 25;
/** Anything that can change terminal state beyond cursor and cells: ESC, SO/SI, C1 controls. */
const STATEFUL = /[\u001b\u000e\u000f\u0080-\u009f]/;

interface Chunk {
  text: string;
  /** `\r\n`s written before this chunk (a running count over all writes). */
  lfStart: number;
  /**
   * Line feeds in text that come right after a carriage return (`\r\n`, what a pty with
   * onlcr sends). Only these count towards dropping: each one also resets the cursor column,
   * which a bare `\n` keeps, so text before it cannot decide where later text starts. In a
   * chunk that is not plain, only those before its first stateful character: after it, a
   * scroll region, the alternate screen or a cursor move may keep line feeds from scrolling.
   */
  lf: number;
  /** Only printable text and cursor-only controls (\r, \n, \t, \b). */
  plain: boolean;
}

/** `\r\n`s in text before `end`. */
function countCrLf(text: string, afterCr: boolean, end: number): number {
  let n = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
    if (i > 0 ? text.charCodeAt(i - 1) === 13 : afterCr) n++;
  }
  return n;
}

export class TerminalScreen {
  private readonly term: xterm.Terminal;
  private readonly scrollback: number;
  private queue: Chunk[] = [];
  private queuedBytes = 0;
  /** `\r\n`s written so far (see `Chunk.lf`). */
  private writtenLf = 0;
  /** The last character written was a carriage return (a `\r\n` may span two chunks). */
  private endedWithCr = false;
  /** Queued chunks that are not plain, oldest first; while there are none, plain output may be held. */
  private stateful: Chunk[] = [];
  private inflight = 0;
  /**
   * A scroll region (DECSTBM) is in effect on the normal buffer: line feeds may not scroll into
   * the scrollback. The alternate buffer has its own region (reset when it is left), which
   * does not matter: nothing is dropped while it is active.
   */
  private scrollRegion = false;
  private drainWaiters: Array<() => void> = [];
  private settleWaiters: Array<() => void> = [];
  /** Chunks skipped by the flood fast path (for tests and benchmarks). */
  droppedChunks = 0;
  private disposed = false;
  private holdTimer: NodeJS.Timeout | undefined;
  /** When xterm last finished interpreting a batch (performance.now()). */
  private lastWriteEnd = Number.NEGATIVE_INFINITY;
  private cached: ScreenSnapshot | undefined;
  /** `cached` holds every line, not a tail. */
  private cachedWhole = false;

  constructor(opts: TerminalScreenOptions) {
    this.scrollback = opts.scrollback;
    this.term = new xterm.Terminal({
      cols: opts.cols,
      rows: opts.rows,
      scrollback: opts.scrollback,
      allowProposedApi: true,
    });
    // Observe (not replace: return false) the sequences that make dropping unsafe.
    this.term.parser.registerCsiHandler({ final: 'r' }, (params) => {
      if (this.term.buffer.active.type !== 'normal') return false;
      const [top = 0, bottom = 0] = params.map((p) => (Array.isArray(p) ? (p[0] ?? 0) : p));
      this.scrollRegion = !(top <= 1 && (bottom === 0 || bottom >= this.term.rows));
      return false;
    });
    this.term.parser.registerEscHandler({ final: 'c' }, () => {
      this.scrollRegion = false;
      return false;
    });
  }

  /** Queue output for the emulator; false when the producer should pause until `drained()`. */
  write(text: string): boolean {
    if (this.disposed || text.length === 0) return true;
    const stateAt = text.search(STATEFUL);
    const plain = stateAt === -1;
    const chunk = { text, lfStart: this.writtenLf, lf: countCrLf(text, this.endedWithCr, plain ? text.length : stateAt), plain };
    this.endedWithCr = text.charCodeAt(text.length - 1) === 13;
    this.queue.push(chunk);
    this.queuedBytes += text.length;
    this.writtenLf += chunk.lf;
    if (!plain) this.stateful.push(chunk);
    this.pump(false);
    return this.queuedBytes + this.inflight < HIGH_WATER;
  }

  /**
   * The queue's head, a plain chunk, can be skipped when enough `\r\n`s are queued behind it
   * to push every row it could touch out of viewport and scrollback (at most `rows` of them
   * only move the cursor down; one may lose its `\r` to the drop itself), and nothing
   * confines scrolling: no scroll region, normal buffer, and only line feeds before the next
   * stateful character count (it may set a region, switch buffers or move the cursor up). The
   * first intact `\r\n` after it resets the column, so nothing of the chunk outlives those
   * rows. The parser must be between sequences, or the chunk may end one (`ESC` + `[2J`).
   */
  private droppable(head: Chunk): boolean {
    if (!head.plain || this.scrollRegion || this.term.buffer.active.type !== 'normal') return false;
    const next = this.stateful[0];
    const lfBehind = (next ? next.lfStart + next.lf : this.writtenLf) - (head.lfStart + head.lf);
    return lfBehind > this.scrollback + 2 * this.term.rows && this.parserInGround();
  }

  /**
   * xterm has no public parser state; read its VT parser's (0: ground). Anything unexpected (a
   * new xterm) reads as mid-sequence, which only turns the fast path off.
   */
  private parserInGround(): boolean {
    const core = (this.term as unknown as { _core?: { _inputHandler?: { _parser?: { currentState?: unknown } } } })._core;
    return core?._inputHandler?._parser?.currentState === 0;
  }

  /**
   * Hand queued output to xterm. Plain output is held for up to HOLD_MS so that, in a flood,
   * chunks behind which enough lines arrive can be dropped instead of parsed; `force` (timer,
   * settle) writes whatever is queued.
   */
  private pump(force: boolean): void {
    if (this.inflight > 0 || this.disposed) return;
    // xterm's state is current here (nothing in flight), so drop decisions are sound.
    while (this.queue.length > 0) {
      const head = this.queue[0] as Chunk;
      if (!this.droppable(head)) break;
      this.queue.shift();
      this.queuedBytes -= head.text.length;
      this.droppedChunks++;
    }
    if (this.queue.length === 0) {
      this.afterProgress();
      return;
    }
    // Only while output streams (xterm finished its last batch less than HOLD_MS ago): a line
    // after a quiet spell (a prompt, a progress update) has nothing to be batched with.
    const streaming = performance.now() - this.lastWriteEnd < HOLD_MS;
    const hold = !force && streaming && this.queuedBytes < MAX_BATCH && this.stateful.length === 0;
    if (hold) {
      this.holdTimer ??= setTimeout(() => {
        this.holdTimer = undefined;
        this.pump(true);
      }, HOLD_MS);
      return;
    }
    if (this.holdTimer) {
      clearTimeout(this.holdTimer);
      this.holdTimer = undefined;
    }
    let batch = '';
    while (this.queue.length > 0 && batch.length < MAX_BATCH) {
      const chunk = this.queue.shift() as Chunk;
      batch += chunk.text;
      this.queuedBytes -= chunk.text.length;
      if (!chunk.plain) this.stateful.shift();
    }
    this.inflight = batch.length;
    this.term.write(batch, () => {
      this.inflight = 0;
      this.lastWriteEnd = performance.now();
      this.cached = undefined;
      this.afterProgress();
      this.pump(this.settleWaiters.length > 0);
    });
  }

  private afterProgress(): void {
    if (this.queuedBytes + this.inflight <= LOW_WATER) for (const fn of this.drainWaiters.splice(0)) fn();
    if (this.queue.length === 0 && this.inflight === 0) for (const fn of this.settleWaiters.splice(0)) fn();
  }

  /** Resolves once the backlog is small again. */
  drained(): Promise<void> {
    if (this.disposed || this.queuedBytes + this.inflight <= LOW_WATER) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Resolves once everything written so far has been interpreted. */
  settled(): Promise<void> {
    if (this.disposed || (this.queue.length === 0 && this.inflight === 0)) return Promise.resolve();
    const done = new Promise<void>((resolve) => this.settleWaiters.push(resolve));
    this.pump(true);
    return done;
  }

  /** Erase viewport and scrollback, cursor home (ordered after pending output). */
  clear(): void {
    this.write('\u001b[H\u001b[2J\u001b[3J');
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
    this.cached = undefined;
  }

  /**
   * Scrollback then viewport, trailing blank lines trimmed; with `tail`, only the last `tail`
   * of those lines. Rebuilt only after the terminal changed (the UI polls it). A flood asks for
   * a tail: the whole scrollback as fresh strings each frame was most of what the TUI allocated
   * in a 5,000,000-line step, and it lived a frame, long enough to be promoted (issue 14).
   */
  snapshot(tail = Number.POSITIVE_INFINITY): ScreenSnapshot {
    const cached = this.cached;
    if (cached && (this.cachedWhole || tail <= cached.lines.length)) {
      return cached.lines.length <= tail ? cached : { ...cached, lines: cached.lines.slice(cached.lines.length - tail) };
    }
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    // From the bottom up: trailing blank lines are skipped, then at most `tail` lines kept.
    for (let i = buffer.length - 1; i >= 0 && lines.length < tail; i--) {
      const text = buffer.getLine(i)?.translateToString(true) ?? '';
      if (text !== '' || lines.length > 0) lines.push(text);
    }
    lines.reverse();
    this.cached = { lines, cols: this.term.cols, rows: this.term.rows };
    this.cachedWhole = !Number.isFinite(tail);
    return this.cached;
  }

  dispose(): void {
    this.disposed = true;
    if (this.holdTimer) clearTimeout(this.holdTimer);
    for (const fn of [...this.drainWaiters.splice(0), ...this.settleWaiters.splice(0)]) fn();
    this.queue = [];
    this.stateful = [];
    this.term.dispose();
  }
}
