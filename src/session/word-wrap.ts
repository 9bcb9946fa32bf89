/** Word wrapping for rows of a fixed width, shared by the TUI, plain mode and plan. Pure. */
import { cellWidth, fitsInCells, headInCells, isNarrow } from './cells.js';
import { displayText } from './printable.js';

/**
 * Wraps `text` into rows of `width` at word boundaries (a word longer than a row is cut);
 * rows after the first are indented by `indent`. Leading spaces of the first row are kept.
 */
export function wordWrap(text: string, width: number, indent: number): string[] {
  const w = Math.max(8, width);
  const pad = ' '.repeat(Math.min(indent, w - 4));
  const rows: string[] = [];
  let rest = text;
  let first = true;
  while (rest !== '') {
    const lead = first ? '' : pad;
    const room = w - lead.length;
    if (fitsInCells(rest, room)) {
      rows.push(`${lead}${rest}`);
      break;
    }
    // The last space that leaves the row within its width; none: the word is cut.
    const fits = headInCells(rest, room, true).length;
    const space = rest.lastIndexOf(' ', fits);
    const head = first ? rest.search(/\S/) : 0;
    const cut = space > head ? space : fits;
    rows.push(`${lead}${rest.slice(0, cut).trimEnd()}`);
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return rows.length > 0 ? rows : [''];
}

/**
 * Cuts one line into rows of at most `width` (at least 1) without losing a character: the
 * rows joined give the line back, so a transcript read in the viewer is the transcript
 * (`wordWrap` trims the spaces it breaks at). A row ends after the spaces before its next
 * word; only a word longer than a row is cut inside it.
 */
export function wrapKeepingText(line: string, width: number): string[] {
  const w = Math.max(1, Math.floor(width));
  const rows: string[] = [];
  let rest = line;
  // A narrow line stays narrow as it is cut: its length is its width, and a long one is not
  // measured again for every row.
  const narrow = isNarrow(line);
  while (narrow ? rest.length > w : !fitsInCells(rest, w)) {
    const cut = breakAt(rest, narrow ? w : headInCells(rest, w, true).length);
    rows.push(rest.slice(0, cut));
    rest = rest.slice(cut);
  }
  rows.push(rest);
  return rows;
}

/** Where the first row of `text` (longer than `w`) ends: see `wrapKeepingText`. */
function breakAt(text: string, w: number): number {
  // The next row starts on a word; the spaces before it stay at the end of this one.
  for (let at = w; at > 0; at--) if (text[at - 1] === ' ' && text[at] !== ' ') return at;
  // Spaces run past the row's end: the row ends on its last word, the spaces start the next.
  for (let at = w; at > 0; at--) if (text[at] === ' ' && text[at - 1] !== ' ') return at;
  return w;
}

/**
 * Word-wraps Markdown prose to `width` (at least 8), made printable: one newline is a soft
 * break, a blank line ends a paragraph. A word longer than a line is cut, or with `keepWords`
 * left whole on a line of its own (a plan pasted into a change request keeps a URL one word).
 */
export function wrapText(text: string, width: number, options: { keepWords?: boolean } = {}): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  const paragraphs = displayText(text)
    .split(/\n[ \t]*\n/)
    .map((p) => p.replace(/\s*\n\s*/g, ' '));
  paragraphs.forEach((paragraph, n) => {
    if (n > 0) out.push('');
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let rest = word;
      while (!fitsInCells(rest, w) && options.keepWords !== true) {
        if (line !== '') {
          out.push(line);
          line = '';
        }
        const head = headInCells(rest, w, true);
        out.push(head);
        rest = rest.slice(head.length);
      }
      if (line === '') line = rest;
      else if (cellWidth(line) + 1 + cellWidth(rest) <= w) line += ` ${rest}`;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  });
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/**
 * `text` in at most `width` cells, cut at a word boundary with an ellipsis: a title cut
 * mid-word ("a roll back kno…") reads as a typo. A word boundary too far back (past the
 * first half) would waste the row, so a long word is cut where it stands.
 */
export function clip(text: string, width: number): string {
  if (width <= 0) return '';
  if (fitsInCells(text, width)) return text;
  if (width === 1) return '…';
  // Room for the ellipsis; a space right after that room still ends a whole word inside it.
  const room = headInCells(text, width - 1);
  const space = text.lastIndexOf(' ', room.length);
  const head = space >= 0 && cellWidth(text.slice(0, space)) >= Math.floor(width / 2) ? text.slice(0, space) : room;
  return `${head.replace(/[\s,;:.·-]+$/, '')}…`;
}
