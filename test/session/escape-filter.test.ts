/** Step output for a file or pipe: no escapes or control characters, even when a chunk cuts a sequence in two. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EscapeFilter } from '../../src/session/escape-filter.js';
import { printable } from '../../src/session/printable.js';

/**
 * The filter as it was before its text-only fast path: the same holding back, and every chunk
 * through printable and both line-end rules. The fast path must change nothing.
 */
function complete(text: string): boolean {
  if (text.startsWith('\u001B[') || text.startsWith('\u009B')) return /^(?:\u001B\[|\u009B)[0-?]*[ -/]*[@-~]/.test(text);
  if (text.startsWith('\u001B]')) return /^\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/.test(text);
  return /^\u001B[ -/]*[0-~]/.test(text);
}

class LongWay {
  private held = '';
  feed(chunk: string): string {
    let text = this.held + chunk;
    this.held = '';
    const esc = Math.max(text.lastIndexOf('\u001B'), text.lastIndexOf('\u009B'));
    if (esc !== -1 && text.length - esc < 512 && !complete(text.slice(esc))) {
      this.held = text.slice(esc);
      text = text.slice(0, esc);
    }
    if (text.endsWith('\r')) {
      this.held = `\r${this.held}`;
      text = text.slice(0, -1);
    }
    return printable(text).replace(/\r\n/g, '\n').replace(/\r+/g, '\n');
  }
  flush(): string {
    const rest = this.held;
    this.held = '';
    return printable(rest).replace(/\r\n?/g, '\n');
  }
}

const piece = fc.constantFrom('a', 'line 42', '\r\n', '\r', '\n', '\t', '\u001B[31m', '\u001B]0;t\u0007', '\u001B', '\u009B', '\u0007', '\u007F', 'é', '\u0008', '\r\r\n', '[', ']');

describe('EscapeFilter', () => {
  it('drops colours, titles and control characters; a redrawn line becomes lines', () => {
    const f = new EscapeFilter();
    expect(f.feed('\u001B[1;31mred\u001B[0m \u001B]0;title\u0007ok\u0007\r\n10%\r100%\n') + f.flush()).toBe('red ok\n10%\n100%\n');
  });

  it('holds an unfinished sequence (or CR) at the end of a chunk until the next one', () => {
    const f = new EscapeFilter();
    const chunks = ['a\u001B', '[3', '1mred\u001B]0;ti', 'tle\u0007 b\r', '\nc'];
    const out = chunks.map((c) => f.feed(c)).join('') + f.flush();
    expect(out).toBe('ared b\nc');
    for (const split of [1, 2, 3, 5, 8]) {
      const g = new EscapeFilter();
      const text = 'x\u001B[38;5;196mcolour\u001B[0m\ty\r\n';
      const parts = [];
      for (let at = 0; at < text.length; at += split) parts.push(text.slice(at, at + split));
      expect(parts.map((p) => g.feed(p)).join('') + g.flush(), `split ${split}`).toBe('xcolour\ty\n');
    }
  });

  it('gives what the long way gives, however the output is chunked (the text-only fast path changes nothing)', () => {
    fc.assert(
      fc.property(fc.array(fc.array(piece, { maxLength: 12 }).map((p) => p.join('')), { maxLength: 8 }), (chunks) => {
        const fast = new EscapeFilter();
        const slow = new LongWay();
        expect(chunks.map((c) => fast.feed(c)).join('') + fast.flush()).toBe(chunks.map((c) => slow.feed(c)).join('') + slow.flush());
      }),
      { numRuns: 3000 },
    );
  });
});
