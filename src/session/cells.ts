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
 * The cells `text` takes (printable text: see printable.ts). Linear in its length: ASCII counts
 * one a character, and only the runs of other characters are segmented, a few hundred code
 * units at a time (V8's segmenter slows down more than linearly over a long string). A
 * combining mark after an ASCII letter is a run of its own, of no width, as it should be.
 */
export function cellWidth(text: string): number {
  if (NARROW.test(text)) return text.length;
  let cells = 0;
  let narrow = text.length;
  for (const run of text.match(WIDE_RUNS) ?? []) {
    narrow -= run.length;
    for (let at = 0; at < run.length; ) {
      const end = safeCut(run, at + RUN_PIECE);
      for (const { segment } of graphemes.segment(run.slice(at, end))) cells += segmentWidth(segment);
      at = end;
    }
  }
  return cells + narrow;
}

/** Runs of characters that are not printable ASCII. */
const WIDE_RUNS = /[^\x20-\x7e]+/g;
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

/** Code units read to cut or fit `width` cells: a grapheme is rarely over four of them. */
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
  // Segmented a window at a time: a row's worth is read, however long the line.
  let used = 0;
  let end = 0;
  for (let from = 0; from < text.length; ) {
    const to = safeCut(text, from + windowFor(width));
    for (const { segment } of graphemes.segment(text.slice(from, to))) {
      const w = segmentWidth(segment);
      if (used + w > width && !(atLeastOne && end === 0)) return text.slice(0, end);
      used += w;
      end += segment.length;
    }
    from = to;
  }
  return text;
}

/** `at`, or just past it when it would split a surrogate pair; at most the text's length. */
function safeCut(text: string, at: number): number {
  if (at >= text.length) return text.length;
  const code = text.charCodeAt(at);
  return code >= 0xdc00 && code <= 0xdfff ? at + 1 : at;
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
