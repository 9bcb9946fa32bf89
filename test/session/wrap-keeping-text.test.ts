/**
 * The transcript viewer wraps a long line at spaces and loses nothing: the rows joined are the
 * line, every row fits, and a row is cut inside a word only when the word is longer than a row.
 */
import { describe, expect, it } from 'vitest';
import { wrapKeepingText } from '../../src/session/word-wrap.js';

/** Lines of words of many lengths and runs of spaces, the same every run. */
function sampleLines(): string[] {
  let seed = 7;
  const next = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    const parts: string[] = [];
    const words = 1 + next(14);
    for (let j = 0; j < words; j++) parts.push(' '.repeat(next(4)), 'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, 1 + next(30)));
    lines.push(parts.join(''));
  }
  return lines;
}

describe('wrapKeepingText', () => {
  it('breaks at the last space that fits, keeping the space at the end of the row', () => {
    expect(wrapKeepingText('deploy finished on web-1 in 42 s', 12)).toEqual(['deploy ', 'finished on ', 'web-1 in 42 ', 's']);
  });

  it('cuts only a word longer than a row, and starts that word on its own row', () => {
    expect(wrapKeepingText('body: {"status":"failing","reason":"db"}', 16)).toEqual(['body: ', '{"status":"faili', 'ng","reason":"db', '"}']);
  });

  it('keeps indentation, and breaks after it rather than inside a word that fits a row', () => {
    expect(wrapKeepingText('    at Server.handle (server.mjs:42)', 20)).toEqual(['    at ', 'Server.handle ', '(server.mjs:42)']);
    expect(wrapKeepingText('      abc defghij', 8)).toEqual(['      ', 'abc ', 'defghij']);
  });

  it('loses no character and overflows no row, whatever the words and the width', () => {
    const wrong: string[] = [];
    for (const width of [1, 2, 5, 9, 13, 20, 33, 80]) {
      for (const line of sampleLines()) {
        const rows = wrapKeepingText(line, width);
        const at = `${JSON.stringify(line)} at ${width}: ${JSON.stringify(rows)}`;
        if (rows.join('') !== line) wrong.push(`lost text: ${at}`);
        if (rows.some((row) => row.length > width)) wrong.push(`row too long: ${at}`);
        // A row ends inside a word only when that word does not fit in a row of its own.
        rows.slice(0, -1).forEach((row, i) => {
          const following = rows[i + 1] ?? '';
          if (row.endsWith(' ') || following.startsWith(' ')) return;
          const word = `${row.split(' ').pop() ?? ''}${following.split(' ')[0] ?? ''}`;
          if (word.length <= width) wrong.push(`cut ${word}: ${at}`);
        });
      }
    }
    expect(wrong).toEqual([]);
  });
});
