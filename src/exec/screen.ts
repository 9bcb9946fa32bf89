/**
 * The operator's view of the terminal: a headless xterm that interprets everything a step
 * prints (`\r` progress bars, colours, cursor moves, clears) and keeps a bounded scrollback,
 * so memory does not grow with output.
 */
import xterm from '@xterm/headless';
import type { ScreenSnapshot } from './types.js';

export interface TerminalScreenOptions {
  cols: number;
  rows: number;
  /** Lines kept above the viewport. */
  scrollback: number;
}

/** Bytes waiting to be parsed above which the producer should pause. */
const HIGH_WATER = 1 << 20;
const LOW_WATER = 1 << 17;

export class TerminalScreen {
  private readonly term: xterm.Terminal;
  private pending = 0;
  private drainWaiters: Array<() => void> = [];

  constructor(opts: TerminalScreenOptions) {
    this.term = new xterm.Terminal({
      cols: opts.cols,
      rows: opts.rows,
      scrollback: opts.scrollback,
      allowProposedApi: true,
    });
  }

  /** Queue output for the emulator; false when the producer should pause until `drained()`. */
  write(text: string): boolean {
    this.pending += text.length;
    this.term.write(text, () => {
      this.pending -= text.length;
      if (this.pending <= LOW_WATER) this.releaseDrainWaiters();
    });
    return this.pending < HIGH_WATER;
  }

  /** Resolves once the backlog is small again. */
  drained(): Promise<void> {
    if (this.pending <= LOW_WATER) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  /** Resolves once everything written so far has been interpreted. */
  settled(): Promise<void> {
    return new Promise((resolve) => this.term.write('', resolve));
  }

  private releaseDrainWaiters(): void {
    for (const fn of this.drainWaiters.splice(0)) fn();
  }

  /** Erase viewport and scrollback, cursor home (ordered after pending output). */
  clear(): void {
    this.write('\u001b[H\u001b[2J\u001b[3J');
  }

  resize(cols: number, rows: number): void {
    this.term.resize(cols, rows);
  }

  snapshot(): ScreenSnapshot {
    const buffer = this.term.buffer.active;
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return { lines, cols: this.term.cols, rows: this.term.rows };
  }

  dispose(): void {
    this.releaseDrainWaiters();
    this.term.dispose();
  }
}
