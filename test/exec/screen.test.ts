import xterm from '@xterm/headless';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { TerminalScreen } from '../../src/exec/screen.js';

const COLS = 40;
const ROWS = 6;
const SCROLLBACK = 20;

/** What a plain xterm shows after interpreting all of `text`: the reference. */
async function reference(text: string): Promise<string[]> {
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, scrollback: SCROLLBACK, allowProposedApi: true });
  await new Promise<void>((resolve) => term.write(text, resolve));
  const buffer = term.buffer.active;
  const lines: string[] = [];
  for (let i = 0; i < buffer.length; i++) lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  term.dispose();
  return lines;
}

async function throughScreen(chunks: string[]): Promise<{ lines: string[]; dropped: number }> {
  const screen = new TerminalScreen({ cols: COLS, rows: ROWS, scrollback: SCROLLBACK });
  for (const chunk of chunks) screen.write(chunk);
  await screen.settled();
  const { lines } = screen.snapshot();
  const dropped = screen.droppedChunks;
  screen.dispose();
  return { lines, dropped };
}

const piece = fc.oneof(
  fc.integer({ min: 0, max: 9999 }).map((n) => `line ${n}\r\n`),
  fc.integer({ min: 0, max: 100 }).map((n) => `\rprogress ${n}%`),
  fc.constant('\u001b[31mred\u001b[0m\r\n'),
  fc.constant('\u001b[2;4r'), // scroll region
  fc.constant('\u001b[r'), // region reset
  fc.constant('\u001b[?1049h'), // alternate screen
  fc.constant('\u001b[?1049l'),
  fc.constant('\u001b[A\u001b[2K'),
  fc.constant('x'.repeat(95)),
  fc.constant('\t\bword'),
  // Bare line feeds (onlcr off) keep the column; a lone \r and \n may meet across chunks.
  fc.constant('bare\n'),
  fc.constant('\r'),
  fc.constant('\n'),
);

describe('TerminalScreen', () => {
  it('shows exactly what xterm would, however a flood is chunked and thinned', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(piece, { minLength: 1, maxLength: 400 }), fc.integer({ min: 1, max: 50 }), async (pieces, per) => {
        const text = pieces.join('');
        const chunks: string[] = [];
        for (let i = 0; i < pieces.length; i += per) chunks.push(pieces.slice(i, i + per).join(''));
        const { lines } = await throughScreen(chunks);
        expect(lines).toEqual(await reference(text));
      }),
      { numRuns: 150 },
    );
  });

  it('skips plain chunks that would scroll away unseen', async () => {
    const chunks = Array.from({ length: 200 }, (_, i) => `${i}\r\n`.repeat(5));
    const { lines, dropped } = await throughScreen(chunks);
    expect(dropped).toBeGreaterThan(100);
    expect(lines).toEqual(await reference(chunks.join('')));
  });

  it('queues held output in linear work: no rescan of the queue per write', async () => {
    // Array.prototype.every is the rescan the queue must not do; count the elements any
    // call visits while many one-byte plain chunks are held (nothing is parsed meanwhile).
    let visited = 0;
    const realEvery = Array.prototype.every;
    const spy = vi.spyOn(Array.prototype, 'every').mockImplementation(function (this: unknown[], ...args: Parameters<typeof realEvery>) {
      visited += this.length;
      return realEvery.apply(this, args);
    });
    const screen = new TerminalScreen({ cols: COLS, rows: ROWS, scrollback: SCROLLBACK });
    const n = 5000;
    try {
      for (let i = 0; i < n; i++) screen.write(i % 100 === 99 ? '\r\n' : 'x');
    } finally {
      spy.mockRestore();
    }
    expect(visited).toBeLessThan(n);
    // A stateful chunk still ends the hold; the screen is what xterm shows for the same text.
    screen.write('\u001b[1mB\u001b[0m');
    await screen.settled();
    let text = '';
    for (let i = 0; i < n; i++) text += i % 100 === 99 ? '\r\n' : 'x';
    expect(screen.snapshot().lines).toEqual(await reference(`${text}\u001b[1mB\u001b[0m`));
    screen.dispose();
  });

  it('keeps the cursor column that bare line feeds carry (a terminal with onlcr off)', async () => {
    // Without \r, a line feed keeps the column, so text that scrolls away still decides where
    // the visible text starts: it may not be dropped.
    const chunks = ['abcde', ...Array.from({ length: SCROLLBACK + 4 * ROWS }, () => '\n'), 'Z', '\r\n', 'end'];
    const { lines } = await throughScreen(chunks);
    expect(lines).toEqual(await reference(chunks.join('')));
    expect(lines).toContain('     Z');
  });

  it('renders \\r progress updates as one line', async () => {
    const { lines } = await throughScreen(['working', '\rprogress 10%', '\rprogress 55%', '\rprogress 100%\r\n', 'done\r\n']);
    expect(lines).toEqual(['progress 100%', 'done']);
  });

  it('clear() empties viewport and scrollback', async () => {
    const screen = new TerminalScreen({ cols: COLS, rows: ROWS, scrollback: SCROLLBACK });
    screen.write('a\r\nb\r\n'.repeat(30));
    screen.clear();
    screen.write('fresh');
    await screen.settled();
    expect(screen.snapshot().lines).toEqual(['fresh']);
    screen.dispose();
  });
});

describe('TerminalScreen snapshot tail (a flood frame)', () => {
  it('keeps the last lines of the whole snapshot, and the whole one after it', async () => {
    const screen = new TerminalScreen({ cols: 40, rows: 5, scrollback: 100 });
    const printed = Array.from({ length: 60 }, (_, i) => `line ${i}`);
    screen.write(`${printed.join('\r\n')}\r\n`);
    await screen.settled();
    const tail = screen.snapshot(10);
    expect(tail.lines).toEqual(printed.slice(-10));
    const whole = screen.snapshot();
    expect(whole.lines).toEqual(printed);
    expect(screen.snapshot(3).lines).toEqual(printed.slice(-3));
    screen.dispose();
  });
});
