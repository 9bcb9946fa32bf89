/**
 * How the TUI asks for the operator's attention (the session decides when: session/attention.ts):
 * the terminal bell, always; a desktop notification (OSC 9) only where the terminal declares it
 * reads one. A terminal that does not know OSC 9 may print its text or take it for something
 * else (ConEmu reads `OSC 9 ; digit` as its own commands), so it is never sent blind.
 *
 * Support is read from what the terminal says of itself in the environment:
 * - inside tmux or screen (`TMUX`, `STY`, `TERM_PROGRAM=tmux`, `TERM=screen*|tmux*`), stepgate's
 *   own detachable terminal included: no, the multiplexer would swallow it, and whoever attaches
 *   later may do so from another terminal; tmux passes the bell on;
 * - `STEPGATE_OSC9=1` / `STEPGATE_OSC9=0`: the operator's word (over SSH or SSM the terminal's
 *   own variables rarely arrive);
 * - `TERM_PROGRAM` iTerm.app, WezTerm or ghostty, or `LC_TERMINAL=iTerm2` (iTerm2 sets it and
 *   ssh forwards LC_* by default): yes;
 * - anything else (kitty reads OSC 99, not 9; VTE reads 777): no, the bell only.
 */
import type { Attention } from '../session/attention.js';

export const BEL = '\u0007';

export interface NotifySupport {
  osc9: boolean;
  /** Why, for the docs and the tests: which variable decided. */
  why: string;
}

const OSC9_PROGRAMS = new Set(['iTerm.app', 'WezTerm', 'ghostty']);

export function notifySupport(env: Record<string, string | undefined>, detached = false): NotifySupport {
  const term = env['TERM'] ?? '';
  const program = env['TERM_PROGRAM'] ?? '';
  if (detached || env['TMUX'] || env['STY'] || program === 'tmux' || /^(screen|tmux)/.test(term)) return { osc9: false, why: 'inside tmux or screen' };
  const declared = env['STEPGATE_OSC9'];
  if (declared === '1') return { osc9: true, why: 'STEPGATE_OSC9=1' };
  if (declared === '0') return { osc9: false, why: 'STEPGATE_OSC9=0' };
  if (OSC9_PROGRAMS.has(program)) return { osc9: true, why: `TERM_PROGRAM=${program}` };
  if (env['LC_TERMINAL'] === 'iTerm2') return { osc9: true, why: 'LC_TERMINAL=iTerm2' };
  return { osc9: false, why: 'the terminal does not declare OSC 9' };
}

/** The notification's text: printable, one line, short; it starts with a word, never a digit. */
function notificationText(text: string): string {
  const printable = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').replace(/\s+/g, ' ').trim();
  const short = printable.length > 200 ? `${printable.slice(0, 199)}…` : printable;
  return `stepgate: ${short}`;
}

/** The bytes to write: the notification where it is read, then the bell. */
export function attentionBytes(attention: Attention, support: NotifySupport): string {
  return support.osc9 ? `\u001b]9;${notificationText(attention.text)}${BEL}${BEL}` : BEL;
}
