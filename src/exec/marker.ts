/**
 * Finds stepgate's in-band markers in a shell's output stream and separates them from the
 * operator-visible text. A marker is an OSC sequence `ESC ] <tag> ; <nonce> ; field ; ... BEL`
 * whose nonce is random per shell, so step output cannot produce one by accident.
 */

/** A marker found in the stream: its kind (`d` step done, `x` shell exiting, ...) and fields. */
export interface Marker {
  kind: string;
  fields: string[];
}

/** Scanner output, in stream order. */
export type ScanItem = { type: 'text'; text: string } | { type: 'marker'; marker: Marker };

/** OSC number used by stepgate markers; any terminal ignores unknown OSC numbers. */
export const MARKER_OSC = '6973';

const BEL = '\u0007';
/** A marker body longer than this is not ours: pass it through as text. */
const MAX_MARKER_LENGTH = 4096;

export function markerPrefix(nonce: string): string {
  return `\u001b]${MARKER_OSC};${nonce};`;
}

export class MarkerScanner {
  private readonly prefix: string;
  private pending = '';

  constructor(nonce: string) {
    if (!/^[0-9a-f]{8,}$/.test(nonce)) throw new Error(`marker nonce must be hex, got "${nonce}"`);
    this.prefix = markerPrefix(nonce);
  }

  /** Feed a chunk; returns the text and markers it completes, in order. */
  feed(chunk: string): ScanItem[] {
    const buf = this.pending + chunk;
    this.pending = '';
    const items: ScanItem[] = [];
    let pos = 0;
    for (;;) {
      const start = buf.indexOf(this.prefix, pos);
      if (start === -1) {
        const held = this.partialPrefixLength(buf, pos);
        pushText(items, buf.slice(pos, buf.length - held));
        this.pending = buf.slice(buf.length - held);
        return items;
      }
      pushText(items, buf.slice(pos, start));
      const bodyStart = start + this.prefix.length;
      const end = buf.indexOf(BEL, bodyStart);
      if (end === -1) {
        if (buf.length - start > MAX_MARKER_LENGTH) {
          // Not a marker after all (no terminator within reach): release it as text.
          pushText(items, buf.slice(start, bodyStart));
          pos = bodyStart;
          continue;
        }
        this.pending = buf.slice(start);
        return items;
      }
      const [kind = '', ...fields] = buf.slice(bodyStart, end).split(';');
      items.push({ type: 'marker', marker: { kind, fields } });
      pos = end + 1;
    }
  }

  /** Text held back because it might begin a marker (call when the stream ends). */
  flush(): string {
    const rest = this.pending;
    this.pending = '';
    return rest;
  }

  /** Length of the longest tail of buf (from pos) that is a proper prefix of the marker prefix. */
  private partialPrefixLength(buf: string, pos: number): number {
    // A candidate starts at an ESC within the last prefix.length - 1 characters.
    const from = Math.max(pos, buf.length - (this.prefix.length - 1));
    const esc = buf.indexOf('\u001b', from);
    if (esc === -1) return 0;
    for (let at = esc; at < buf.length; at = buf.indexOf('\u001b', at + 1)) {
      if (at === -1) return 0;
      if (this.prefix.startsWith(buf.slice(at))) return buf.length - at;
    }
    return 0;
  }
}

function pushText(items: ScanItem[], text: string): void {
  if (text.length > 0) items.push({ type: 'text', text });
}
