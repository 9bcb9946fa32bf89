/**
 * Step output as plain text for a file or a pipe (`stepgate run deploy.md | tee deploy.log`):
 * colours, cursor moves, titles and other escape sequences dropped, control characters dropped,
 * a carriage return that redraws a line (a progress bar) turned into a line break. Output comes
 * in chunks that may cut a sequence in two: an unfinished one at the end of a chunk is held
 * back until the next chunk completes it.
 */
import { printable } from './printable.js';

/** An escape sequence this long without its end is not one: it is let through (as text). */
const MAX_HELD = 512;

/** Is the sequence at the start of `text` complete: CSI, OSC (ended by BEL or ST), or a short escape? */
function complete(text: string): boolean {
  if (text.startsWith('\u001B[') || text.startsWith('\u009B')) return /^(?:\u001B\[|\u009B)[0-?]*[ -/]*[@-~]/.test(text);
  if (text.startsWith('\u001B]')) return /^\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)/.test(text);
  return /^\u001B[ -/]*[0-~]/.test(text);
}

/** What `printable` and the line-end rules would change, CR LF aside: escapes, controls, a lone CR. */
const NEEDS_FILTERING = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]|\r(?!\n)/;

export class EscapeFilter {
  private held = '';

  /** The printable text of `chunk` (with what was held before it); may hold back its end. */
  feed(chunk: string): string {
    let text = this.held + chunk;
    this.held = '';
    const esc = Math.max(text.lastIndexOf('\u001B'), text.lastIndexOf('\u009B'));
    if (esc !== -1 && text.length - esc < MAX_HELD && !complete(text.slice(esc))) {
      this.held = text.slice(esc);
      text = text.slice(0, esc);
    }
    // A chunk ending in CR may be half of CR LF.
    if (text.endsWith('\r')) {
      this.held = `\r${this.held}`;
      text = text.slice(0, -1);
    }
    // Most output (a build log, `seq`) is text and CR LF line ends: one scan instead of five.
    if (!NEEDS_FILTERING.test(text)) return text.includes('\r') ? text.replaceAll('\r\n', '\n') : text;
    return printable(text).replace(/\r\n/g, '\n').replace(/\r+/g, '\n');
  }

  /** What is still held (the end of the output): its printable part. */
  flush(): string {
    const rest = this.held;
    this.held = '';
    return printable(rest).replace(/\r\n?/g, '\n');
  }
}
