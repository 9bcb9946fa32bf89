/** Step output for a file or pipe: no escapes or control characters, even when a chunk cuts a sequence in two. */
import { describe, expect, it } from 'vitest';
import { EscapeFilter } from '../../src/session/escape-filter.js';

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
});
