/**
 * Rows measured in terminal cells: a runbook title or step with `✅` or `部署` (deploy-ops.md
 * itself writes `/healthz ✅`) pushed the status and duration columns off an 80-column screen,
 * because rows were cut and padded by `.length` (a trial at 80x24).
 */
import fc from 'fast-check';
import stringWidth from 'string-width';
import { describe, expect, it } from 'vitest';
import { cellWidth, headInCells, padCells } from '../../src/session/cells.js';
import { clip, wordWrap, wrapKeepingText, wrapText } from '../../src/session/word-wrap.js';
import { fit, fitWords } from '../../src/ui/layout.js';

const piece = fc.constantFrom('a', 'word ', ' ', '✅', '部署', 'e\u0301', '👩\u200d💻', 'ok ', 'x'.repeat(12), '🚀 ');
const text = fc.array(piece, { maxLength: 40 }).map((parts) => parts.join(''));

describe('cells', () => {
  it('counts wide characters as two cells and combining marks as none', () => {
    expect(cellWidth('healthz ok')).toBe(10);
    expect(cellWidth('/healthz ✅')).toBe(11);
    expect(cellWidth('部署')).toBe(4);
    expect(cellWidth('cafe\u0301')).toBe(4);
    expect(cellWidth('👩\u200d💻')).toBe(2);
  });

  it('cuts a start that fits, never half of a character', () => {
    expect(headInCells('部署部署', 5)).toBe('部署');
    expect(headInCells('a✅b', 2)).toBe('a');
    expect(headInCells('👩\u200d💻x', 1)).toBe('');
    expect(headInCells('👩\u200d💻x', 1, true)).toBe('👩\u200d💻');
    expect(padCells('部署', 6)).toBe('部署  ');
  });

  it('fit and fitWords give rows of exactly the width asked, whatever the characters', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 2, max: 90 }), (s, width) => {
        // A wide character that does not fit in the last cell leaves one cell of padding.
        expect(cellWidth(fit(s, width, true))).toBe(width);
        expect(cellWidth(fitWords(s, width, true))).toBe(width);
        expect(cellWidth(clip(s, width))).toBeLessThanOrEqual(width);
      }),
    );
  });

  it('a long title keeps the column after it where it is', () => {
    const row = `${fit('stepgate · Odd output ✅ with a very long title that goes on and on past the limit', 60, true)} · depth 0`;
    expect(cellWidth(row)).toBe(70);
    expect(row.endsWith('… · depth 0')).toBe(true);
  });

  it('wrapped rows stay within the width, and the transcript wrap keeps every character', () => {
    fc.assert(
      fc.property(text, fc.integer({ min: 8, max: 90 }), (s, width) => {
        for (const row of wrapText(s, width)) expect(cellWidth(row)).toBeLessThanOrEqual(width);
        for (const row of wordWrap(s, width, 4)) expect(cellWidth(row)).toBeLessThanOrEqual(width);
        const rows = wrapKeepingText(s, width);
        expect(rows.join('')).toBe(s);
        for (const row of rows) expect(cellWidth(row)).toBeLessThanOrEqual(width);
      }),
    );
  });

  // A review: a keycap measured one cell short (its `1` counted apart from `\uFE0F\u20E3`), a
  // cluster cut where a long line was read in pieces, a ZWJ family split across two rows.
  const rich = fc.constantFrom('a', ' ', 'word ', '1️⃣', '#️⃣', '❤️', '✔️', '👨‍👩‍👧‍👦', '🇫🇷', '部', 'ж', 'e\u0301', '\u200b', '✅');
  const byGraphemes = (text: string): number => [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].reduce((n, g) => n + stringWidth(g.segment), 0);

  it('measures as string-width does a grapheme at a time, however long the line and wherever it is read in pieces', () => {
    expect(cellWidth('1️⃣')).toBe(2);
    expect(cellWidth(fit('step 1️⃣ done', 12, true))).toBe(12);
    expect(cellWidth(`${'ж'.repeat(255)}❤️`)).toBe(257);
    expect(cellWidth('👨‍👩‍👧‍👦'.repeat(100))).toBe(200);
    fc.assert(
      fc.property(fc.array(rich, { maxLength: 400 }), fc.integer({ min: 1, max: 60 }), (parts, width) => {
        const text = parts.join('');
        expect(cellWidth(text)).toBe(byGraphemes(text));
        const head = headInCells(text, width);
        expect(byGraphemes(head)).toBeLessThanOrEqual(width);
        // Never half a character: the head is a run of the text's own graphemes.
        const whole = [...new Intl.Segmenter(undefined, { granularity: 'grapheme' }).segment(text)].map((g) => g.index + g.segment.length);
        expect(head.length === 0 || whole.includes(head.length)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('does not split a ZWJ family between rows', () => {
    const family = '👨‍👩‍👧‍👦';
    const rows = wrapKeepingText(family.repeat(12), 12);
    expect(rows.join('')).toBe(family.repeat(12));
    for (const row of rows) expect(row.split(family).join('')).toBe('');
  });
});
