/**
 * The one decision between the TUI and plain mode that `stepgate [FILE|DIR]`, `tui`, `resume`
 * and fleet's live table share.
 */
import { describe, expect, it } from 'vitest';
import { plainModeReason } from '../../src/commands/interactive.js';

const tty = { isTTY: true };
const pipe = {};

describe('plainModeReason', () => {
  it('starts the TUI only with a terminal on stdin and stdout', () => {
    expect(plainModeReason({ env: {}, stdin: tty, stdout: tty })).toBeUndefined();
    expect(plainModeReason({ env: {}, stdin: pipe, stdout: tty })).toBe('stdin/stdout is not a terminal');
    expect(plainModeReason({ env: {}, stdin: tty, stdout: pipe })).toBe('stdin/stdout is not a terminal');
  });

  it('keeps plain mode under CI, unless CI says false', () => {
    expect(plainModeReason({ env: { CI: 'true' }, stdin: tty, stdout: tty })).toBe('CI=true is set');
    expect(plainModeReason({ env: { CI: '1' }, stdin: tty, stdout: tty })).toBe('CI=1 is set');
    expect(plainModeReason({ env: { CI: 'false' }, stdin: tty, stdout: tty })).toBeUndefined();
    expect(plainModeReason({ env: { CI: '0' }, stdin: tty, stdout: tty })).toBeUndefined();
    expect(plainModeReason({ env: { CI: '' }, stdin: tty, stdout: tty })).toBeUndefined();
  });

  it('takes plain mode for a flag only a plain walk obeys, after the terminal and CI', () => {
    expect(plainModeReason({ env: {}, stdin: tty, stdout: tty, plainFlag: '--yes given' })).toBe('--yes given');
    expect(plainModeReason({ env: { CI: 'true' }, stdin: tty, stdout: tty, plainFlag: '--yes given' })).toBe('CI=true is set');
    expect(plainModeReason({ env: {}, stdin: pipe, stdout: tty, plainFlag: '--yes given' })).toBe('stdin/stdout is not a terminal');
  });

  it('asks only stdout of a face that reads no keys', () => {
    expect(plainModeReason({ env: {}, stdin: null, stdout: tty })).toBeUndefined();
    expect(plainModeReason({ env: {}, stdin: null, stdout: pipe })).toBe('stdout is not a terminal');
    expect(plainModeReason({ env: { CI: '1' }, stdin: null, stdout: tty })).toBe('CI=1 is set');
  });
});
