/**
 * Text measured in terminal cells, not UTF-16 code units: CJK and emoji (`✅`, `部署`) take two
 * cells, combining marks and joiners none. A row cut or padded by `.length` came out wider than
 * its room for each wide character, and pushed the columns after it off the screen. The widths
 * are string-width's, as Ink lays text out by them. Pure.
 */
import stringWidth from 'string-width';

/** Printable ASCII, one cell a character: most of what is measured, so no segmenting. */
const NARROW = /^[\x20-\x7e]*$/;

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Whether every character of `text` takes one cell and one code unit (then `.length` is its width). */
export function isNarrow(text: string): boolean {
  return NARROW.test(text);
}

/** The cells `text` takes (printable text: see printable.ts). */
export function cellWidth(text: string): number {
  return NARROW.test(text) ? text.length : stringWidth(text);
}

/**
 * The longest start of `text` that fits in `width` cells; a character is never split. With
 * `atLeastOne`, a first character wider than `width` is taken whole (a row must not stay empty).
 */
export function headInCells(text: string, width: number, atLeastOne = false): string {
  if (NARROW.test(text)) return text.slice(0, Math.max(atLeastOne ? 1 : 0, width));
  let used = 0;
  let end = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > width && !(atLeastOne && end === 0)) break;
    used += w;
    end += segment.length;
  }
  return text.slice(0, end);
}

/** `text` followed by spaces up to `width` cells. */
export function padCells(text: string, width: number): string {
  const w = cellWidth(text);
  return w >= width ? text : text + ' '.repeat(width - w);
}
