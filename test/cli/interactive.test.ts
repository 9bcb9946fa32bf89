/**
 * The one decision between the TUI and plain mode that `stepgate [FILE|DIR]` and `resume` share.
 */
import { describe, expect, it } from 'vitest';
import { plainModeReason } from '../../src/commands/interactive.js';

const tty = { isTTY: true };
const pipe = {};

describe('plainModeReason', () => {
  it('starts the TUI only with a terminal on stdin and stdout', () => {
    expect(plainModeReason({}, tty, tty)).toBeUndefined();
    expect(plainModeReason({}, pipe, tty)).toBe('stdin/stdout is not a terminal');
    expect(plainModeReason({}, tty, pipe)).toBe('stdin/stdout is not a terminal');
  });

  it('keeps plain mode under CI, unless CI says false', () => {
    expect(plainModeReason({ CI: 'true' }, tty, tty)).toBe('CI=true is set');
    expect(plainModeReason({ CI: '1' }, tty, tty)).toBe('CI=1 is set');
    expect(plainModeReason({ CI: 'false' }, tty, tty)).toBeUndefined();
    expect(plainModeReason({ CI: '0' }, tty, tty)).toBeUndefined();
    expect(plainModeReason({ CI: '' }, tty, tty)).toBeUndefined();
  });
});
