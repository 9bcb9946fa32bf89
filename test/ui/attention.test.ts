/** What the TUI writes for attention: the bell always, OSC 9 only where the terminal declares it. */
import { describe, expect, it } from 'vitest';
import { attentionBytes, notifySupport } from '../../src/ui/attention.js';

const GATE = { why: 'gate-blocked' as const, step: 'health', text: 'Redeploy omneuro: health is blocked at a gate' };

describe('notifySupport', () => {
  it('reads OSC 9 from the terminals that declare it', () => {
    expect(notifySupport({ TERM_PROGRAM: 'iTerm.app' })).toEqual({ osc9: true, why: 'TERM_PROGRAM=iTerm.app' });
    expect(notifySupport({ TERM_PROGRAM: 'WezTerm' }).osc9).toBe(true);
    expect(notifySupport({ TERM_PROGRAM: 'ghostty' }).osc9).toBe(true);
    expect(notifySupport({ LC_TERMINAL: 'iTerm2', TERM: 'xterm-256color' })).toEqual({ osc9: true, why: 'LC_TERMINAL=iTerm2' });
  });

  it('never guesses: an unknown terminal, kitty, VTE get the bell only; the operator may declare it either way', () => {
    expect(notifySupport({ TERM: 'xterm-256color' }).osc9).toBe(false);
    expect(notifySupport({ TERM: 'xterm-kitty' }).osc9).toBe(false);
    expect(notifySupport({ TERM_PROGRAM: 'vscode' }).osc9).toBe(false);
    expect(notifySupport({ STEPGATE_OSC9: '1', TERM: 'xterm' })).toEqual({ osc9: true, why: 'STEPGATE_OSC9=1' });
    expect(notifySupport({ STEPGATE_OSC9: '0', TERM_PROGRAM: 'iTerm.app' }).osc9).toBe(false);
  });

  it('inside tmux or screen, stepgate\'s own detachable terminal included, no OSC 9 even when declared', () => {
    expect(notifySupport({ TERM_PROGRAM: 'iTerm.app', TMUX: '/tmp/tmux-0/default,1,0' }).osc9).toBe(false);
    expect(notifySupport({ TERM_PROGRAM: 'tmux' }).osc9).toBe(false);
    expect(notifySupport({ TERM: 'screen-256color', STEPGATE_OSC9: '1' }).osc9).toBe(false);
    expect(notifySupport({ TERM_PROGRAM: 'WezTerm' }, true).osc9).toBe(false);
  });
});

describe('attentionBytes', () => {
  it('is the bell alone without OSC 9', () => {
    expect(attentionBytes(GATE, { osc9: false, why: '' })).toBe('\u0007');
  });

  it('with OSC 9: one printable line that starts with a word (ConEmu reads "9;<digit>" as a command), then the bell', () => {
    expect(attentionBytes(GATE, { osc9: true, why: '' })).toBe('\u001b]9;stepgate: Redeploy omneuro: health is blocked at a gate\u0007\u0007');
    const hostile = attentionBytes({ ...GATE, text: '4;2\u001b]52;c;aGk=\u0007\nnext\u009dline' }, { osc9: true, why: '' });
    expect(hostile).toBe('\u001b]9;stepgate: 4;2 ]52;c;aGk= next line\u0007\u0007');
    expect(attentionBytes({ ...GATE, text: 'x'.repeat(500) }, { osc9: true, why: '' }).length).toBeLessThan(230);
  });
});
