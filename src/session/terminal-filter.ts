/**
 * A step's own output for the operator's terminal (plain mode with stdout on a terminal): what
 * the terminal would show passes as it is, colours and cursor moves included, but what would
 * act on the terminal beyond its screen is dropped: every OSC but hyperlinks (OSC 0/1/2 set the
 * window title, OSC 52 writes the clipboard, others recolour the palette or ask for replies
 * that land as typed input), DCS, SOS, PM and APC strings (tmux passes an OSC 52 wrapped in a
 * DCS to the outer terminal), ESC c (a full reset), CSI ... t (window moves and title reports)
 * and C1 controls written as characters (U+0080 to U+009F; U+009D starts an OSC on some
 * terminals).
 *
 * CSI sequences pass by an allowlist (`keptCsi`): what draws (colours, cursor moves, erasing,
 * scrolling regions, the cursor's shape) and the few modes a full-screen program sets and
 * `TERMINAL_RESTORE` puts back. Every query is dropped (DA, DSR and the cursor report, DECRQM,
 * XTVERSION, kitty's keyboard query, ENQ's answerback, ESC Z): its reply arrives as typed input
 * and tells whoever printed it which terminal the operator has. So is whatever is not known
 * to be harmless (a keyboard lock, 132 columns, focus reports typed into the next program).
 *
 * A state machine over the stream rather than a pattern over each chunk: a sequence can be cut
 * anywhere between chunks, and a string to drop (an OSC 52 carrying a file) can be any length;
 * a sequence is never let through because it was long or unfinished.
 */

type State =
  | { kind: 'ground' }
  | { kind: 'escape'; text: string }
  | { kind: 'csi'; text: string }
  /** OSC, DCS, SOS, PM or APC: `keep` for a hyperlink, whose text is passed on whole. */
  | { kind: 'string'; text: string; keep: boolean; escaped: boolean };

/** A kept sequence longer than this is not one a terminal would act on as we expect: dropped. */
const MAX_KEPT = 4096;

/**
 * Finals of a CSI with no private marker and no intermediate that only draw: insert and delete
 * (@ P L M X), cursor moves (A to G, H f, a d e `, I Z tabs), erasing (J K), scrolling (S T r),
 * colours (m), tab clears (g), saving the cursor (s u). Not among them: c and n (queries), t
 * (window moves, title reports), x, q, y, p, i (media copy: to a printer), b (repeat the last
 * character: CSI 999999999 b).
 */
const DRAWING_FINALS = new Set('@ABCDEFGHIJKLMPSTXZ`adefgmrsu');
/** DEC private modes (CSI ? N h / l) a full-screen program may set: cursor keys, origin, wrap, blinking and shown cursor, the alternate screen, bracketed paste, synchronized output. */
const DEC_MODES = new Set([1, 6, 7, 12, 25, 47, 1047, 1048, 1049, 2004, 2026]);
/**
 * Mouse reporting: kept only where stepgate turns it off again after (the relay to another
 * user's TUI, `TERMINAL_RESTORE`). From a step in plain mode it outlived the run, and every
 * mouse move typed a report into the operator's shell (a re-review).
 */
const MOUSE_MODES = new Set([1000, 1002, 1003, 1005, 1006, 1015]);

/**
 * A whole CSI (ESC [ params intermediates final) as it may reach the terminal: whole, with the
 * modes it may set only, or nothing.
 */
export function keptCsi(text: string, { mouse = false }: { mouse?: boolean } = {}): string {
  const shape = /^\u001b\[([<=>?]?)([0-9:;]*)([ -/]*)([@-~])$/.exec(text);
  if (!shape) return '';
  const [, marker, params, between, final] = shape as unknown as [string, string, string, string, string];
  if (marker === '' && between === '') {
    if (DRAWING_FINALS.has(final)) return text;
    // Insert mode (4) is the one ANSI mode kept: 2 locks the keyboard, 20 changes what a newline does.
    if ((final === 'h' || final === 'l') && params === '4') return text;
    return '';
  }
  if (marker === '?' && between === '') {
    if (final === 'J' || final === 'K') return text;
    if (final !== 'h' && final !== 'l') return '';
    const modes = params.split(';').filter((mode) => mode !== '' && (DEC_MODES.has(Number(mode)) || (mouse && MOUSE_MODES.has(Number(mode)))));
    return modes.length > 0 ? `\u001b[?${modes.join(';')}${final}` : '';
  }
  // The cursor's shape (DECSCUSR) and a soft reset (DECSTR).
  if (marker === '' && ((between === ' ' && final === 'q') || (between === '!' && final === 'p'))) return text;
  return '';
}

export class TerminalFilter {
  private state: State = { kind: 'ground' };
  private readonly mouse: boolean;
  /**
   * Whether what passed left the terminal on its alternate screen. Leaving it when it is not
   * on moves the cursor back to where it was saved (xterm's 1049): a relay's goodbye then
   * overwrote tmux's own last line (a trial's garbled screen).
   */
  altScreen = false;

  /** `mouse`: let mouse reporting through (only where the caller turns it off after). */
  constructor({ mouse = false }: { mouse?: boolean } = {}) {
    this.mouse = mouse;
  }

  feed(chunk: string): string {
    // Most output has no escape at all: pass it whole.
    if (this.state.kind === 'ground' && !/[\u0005\u001b\u0080-\u009f]/.test(chunk)) return chunk;
    let out = '';
    for (const ch of chunk) out += this.step(ch);
    return out;
  }

  /** The end of the output: an unfinished sequence is dropped. */
  flush(): string {
    this.state = { kind: 'ground' };
    return '';
  }

  private step(ch: string): string {
    const s = this.state;
    const code = ch.codePointAt(0) ?? 0;
    switch (s.kind) {
      case 'ground':
        if (ch === '\u001b') {
          this.state = { kind: 'escape', text: ch };
          return '';
        }
        // ENQ: some terminals answer with their answerback text, as typed input.
        if (code === 0x05) return '';
        if (code < 0x80 || code > 0x9f) return ch;
        // C1 as a character: a terminal that obeys it reads a CSI, an OSC or a device string.
        if (code === 0x9b) this.state = { kind: 'csi', text: '' };
        else if (code === 0x90 || code === 0x98 || code === 0x9d || code === 0x9e || code === 0x9f) this.state = { kind: 'string', text: '', keep: false, escaped: false };
        return '';
      case 'escape': {
        const text = s.text + ch;
        // ESC ESC: the second one starts the sequence (tmux doubles ESC inside its DCS).
        if (ch === '\u001b') this.state = { kind: 'escape', text: ch };
        else if (ch === '[') this.state = { kind: 'csi', text };
        else if (ch === ']') this.state = { kind: 'string', text, keep: true, escaped: false };
        else if (ch === 'P' || ch === 'X' || ch === '^' || ch === '_') this.state = { kind: 'string', text: '', keep: false, escaped: false };
        else if (code >= 0x20 && code <= 0x2f) this.state = { kind: 'escape', text };
        else {
          this.state = { kind: 'ground' };
          // ESC c resets the terminal (clears its scrollback on some), ESC Z asks it who it is,
          // ESC k names a screen window; a stray ST ends nothing; other short escapes (ESC 7,
          // ESC ( B) stay.
          if (code < 0x20) return this.step(ch); // a control inside an escape still acts (a newline stays)
          if (ch === 'c' || ch === 'Z' || ch === 'k' || ch === '\\' || code > 0x7e) return '';
          // ESC % @ leaves UTF-8: the bytes of later text then read as C1 controls (U+00DB is
          // C3 9B, a CSI), past everything above. ESC % G (back to UTF-8) is the one kept.
          if (text.includes('%') && text !== '\u001b%G') return '';
          return text;
        }
        return '';
      }
      case 'csi': {
        const text = s.text + ch;
        if (code >= 0x40 && code <= 0x7e) {
          this.state = { kind: 'ground' };
          // A C1 CSI (no ESC [ before it) is dropped whole: a terminal may not read it as one.
          const kept = text.startsWith('\u001b[') ? keptCsi(text, { mouse: this.mouse }) : '';
          if (ch === 'h' || ch === 'l') {
            const modes = /^\u001b\[\?([0-9;]+)[hl]$/.exec(kept)?.[1]?.split(';');
            if (modes?.some((m) => m === '47' || m === '1047' || m === '1049')) this.altScreen = ch === 'h';
          }
          return kept;
        }
        if (code < 0x20 || code > 0x7e || text.length > MAX_KEPT) this.state = { kind: 'ground' };
        else this.state = { kind: 'csi', text };
        return '';
      }
      case 'string': {
        // Ends at BEL or ST (ESC \); ESC followed by anything else also ends it, as terminals do.
        if (s.escaped && ch !== '\\') {
          // ESC then anything but a backslash: the string ended unfinished, a new escape starts.
          this.state = { kind: 'escape', text: '\u001b' };
          return this.step(ch);
        }
        if (s.escaped || ch === '\u0007' || ch === '\u009c') {
          this.state = { kind: 'ground' };
          const text = s.text + ch;
          // A hyperlink's parameters and URI are printable ASCII: a control character inside
          // (a review hid a C1 OSC 52 there) drops the whole sequence.
          return s.keep && /^\u001b\]8;[\u0020-\u007e]*(?:\u0007|\u001b\\|\u009c)$/.test(text) ? text : '';
        }
        if (ch === '\u001b') {
          this.state = { ...s, text: s.text + ch, escaped: true };
          return '';
        }
        const text = s.keep && s.text.length < MAX_KEPT ? s.text + ch : '';
        this.state = { kind: 'string', text, keep: s.keep && text !== '', escaped: false };
        return '';
      }
    }
  }
}
