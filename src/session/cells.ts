/**
 * Text measured in terminal cells, not UTF-16 code units: CJK and emoji (`✅`, `部署`) take two
 * cells, combining marks and joiners none. A row cut or padded by `.length` came out wider than
 * its room for each wide character, and pushed the columns after it off the screen. The widths
 * are string-width's, as Ink lays text out by them, taken one grapheme at a time. Pure.
 *
 * Output lines can be a megabyte (a minified JSON body): string-width on a whole long line is
 * superlinear (85 s for 250,000 characters with one `é`, a review), and the segmenter copies the
 * text it is given. So what only needs a row's worth is measured over a window of it.
 */
import stringWidth from 'string-width';

/** Printable ASCII, one cell a character: most of what is measured, so no segmenting. */
const NARROW = /^[\x20-\x7e]*$/;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Whether every character of `text` takes one cell and one code unit (then `.length` is its width). */
export function isNarrow(text: string): boolean {
  return NARROW.test(text);
}

/**
 * The graphemes of `text[from..]`, in order, until `visit` returns false. V8's segmenter slows
 * down more than linearly over a long string, so it is given a piece at a time; a piece is read
 * a little past its end and only graphemes that start inside it are taken, so a cluster across
 * the cut (a ZWJ family, a keycap, a flag) comes whole with the piece it starts in.
 */
function eachGrapheme(text: string, from: number, piece: number, visit: (segment: string) => boolean): void {
  for (let at = from; at < text.length; ) {
    const end = Math.min(text.length, at + piece);
    let next = end;
    for (const { segment, index } of graphemes.segment(text.slice(at, Math.min(text.length, end + LOOKAHEAD)))) {
      if (at + index >= end && end < text.length) break;
      if (!visit(segment)) return;
      next = at + index + segment.length;
    }
    at = next;
  }
}

/** How far past a piece its last grapheme may reach: longer than any cluster text really has. */
const LOOKAHEAD = 64;

/**
 * The cells `text` takes (printable text: see printable.ts). Linear in its length: ASCII counts
 * one a character, and only runs of other characters are segmented, each with the ASCII
 * character before it (a keycap `1️⃣`, an `e` and its accent are one character of two parts).
 */
export function cellWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  let cells = 0;
  let narrow = text.length;
  for (const run of text.match(WIDE_RUNS) ?? []) {
    narrow -= run.length;
    eachGrapheme(run, 0, RUN_PIECE, (segment) => {
      cells += segmentWidth(segment);
      return true;
    });
  }
  return cells + narrow;
}

/** Runs of characters that are not printable ASCII, with the one before them. */
const WIDE_RUNS = /[\x20-\x7e]?[^\x20-\x7e]+/g;
const RUN_PIECE = 256;

/** Widths of graphemes seen: text repeats its characters, and string-width costs microseconds a call. */
const known = new Map<string, number>();

function segmentWidth(segment: string): number {
  if (segment.length === 1 && segment >= ' ' && segment <= '~') return 1;
  let width = known.get(segment);
  if (width === undefined) {
    width = stringWidth(segment);
    if (known.size >= 8192) known.clear();
    known.set(segment, width);
  }
  return width;
}

/** Code units read at a time to cut or fit `width` cells: a grapheme is rarely over four of them. */
const windowFor = (width: number): number => Math.max(1, width) * 4 + 16;

/** Whether `text` fits in `width` cells, reading about a row of it, not all of a long line. */
export function fitsInCells(text: string, width: number): boolean {
  if (width < 0) return false;
  return headInCells(text, width).length === text.length;
}

/**
 * The longest start of `text` that fits in `width` cells; a character is never split. With
 * `atLeastOne`, a first character wider than `width` is taken whole (a row must not stay empty).
 */
export function headInCells(text: string, width: number, atLeastOne = false): string {
  if (width <= 0) return atLeastOne ? firstGrapheme(text) : '';
  const prefix = text.slice(0, width);
  // Narrow up to the cut, and the cut not inside a character (a combining mark after it).
  if (NARROW.test(prefix) && (text.length <= width || NARROW.test(text.charAt(width)))) return prefix;
  // A row's worth is read, however long the line.
  let used = 0;
  let end = 0;
  eachGrapheme(text, 0, windowFor(width), (segment) => {
    const w = segmentWidth(segment);
    if (used + w > width && !(atLeastOne && end === 0)) return false;
    used += w;
    end += segment.length;
    return true;
  });
  return text.slice(0, end);
}

function firstGrapheme(text: string): string {
  for (const { segment } of graphemes.segment(text.slice(0, 64))) return segment;
  return '';
}

/** `text` followed by spaces up to `width` cells. */
export function padCells(text: string, width: number): string {
  const w = cellWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}
