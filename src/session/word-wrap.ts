/** Word wrapping for rows of a fixed width, shared by the TUI and plain mode. Pure. */

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
    if (rest.length <= room) {
      rows.push(`${lead}${rest}`);
      break;
    }
    // The last space that leaves the row within its width; none: the word is cut.
    const space = rest.lastIndexOf(' ', room);
    const head = first ? rest.search(/\S/) : 0;
    const cut = space > head ? space : room;
    rows.push(`${lead}${rest.slice(0, cut).trimEnd()}`);
    rest = rest.slice(cut).trimStart();
    first = false;
  }
  return rows.length > 0 ? rows : [''];
}

