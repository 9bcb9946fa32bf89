import { describe, expect, it } from 'vitest';
import { rowsThatFit } from '../../src/commands/sessions.js';

describe('stepgate sessions on a terminal of a given height', () => {
  it('shows every session that fits with the header and the prompt, else leaves a row for the count of the rest', () => {
    // 24 rows: header + 22 sessions + prompt fit whole.
    expect(rowsThatFit(22, 24, 0)).toBe(22);
    // One more: header, 21 sessions, "N older not shown", prompt.
    expect(rowsThatFit(23, 24, 0)).toBe(21);
    expect(rowsThatFit(200, 24, 0)).toBe(21);
    // Lines printed after the table (notes about other users) take their rows too.
    expect(rowsThatFit(200, 24, 2)).toBe(19);
  });
  it('every session without a height (a file or a pipe), and never fewer than five on a tiny terminal', () => {
    expect(rowsThatFit(200, undefined, 0)).toBe(200);
    expect(rowsThatFit(200, 4, 0)).toBe(5);
    expect(rowsThatFit(3, 4, 0)).toBe(3);
  });
});
