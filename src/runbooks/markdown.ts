/**
 * Markdown to mdast, in pieces when the file is large.
 *
 * micromark closes every list item (and block quote) by copying the whole document's event list
 * (micromark's document tokenizer applies an edit map to all events so far), so one parse of a
 * runbook with many task lists grows with the square of its length: 10,000 dense lines took
 * 0.8 to 1.1 s, 20,000 took 2 s. CommonMark's block structure is decided in one forward pass,
 * and a top-level block never reopens once the next one has started, so a piece of the file
 * that ends anywhere still yields every top-level node before its last one exactly as the whole
 * file would; the last one (which the cut may have truncated) starts the next piece. Parsing
 * pieces of a hundred lines keeps each edit-map copy short and the whole parse linear.
 *
 * What a piece cannot see, and how it is made up for:
 * - front matter is only front matter at the very top: only the first piece parses it, and the
 *   first piece grows until the front matter is closed (or the file ends);
 * - link reference definitions apply to the whole file: pieces that lack some definition are
 *   parsed again with the missing definitions appended after their last node, and the
 *   appended nodes dropped;
 * - a byte-order mark is only one at the start: a file with U+FEFF anywhere else is parsed whole;
 * - definitions inside a list or quote count too, so pieces are searched all the way down.
 * test/runbooks/markdown.test.ts checks that the pieces give the same tree as a whole parse on
 * the corpus, the shipped runbooks and generated files, cut every few lines.
 */
import type { Nodes, Root, RootContent } from 'mdast';
import { fromMarkdown } from 'mdast-util-from-markdown';
import { frontmatterFromMarkdown } from 'mdast-util-frontmatter';
import { gfmTableFromMarkdown } from 'mdast-util-gfm-table';
import { gfmTaskListItemFromMarkdown } from 'mdast-util-gfm-task-list-item';
import { frontmatter } from 'micromark-extension-frontmatter';
import { gfmTable } from 'micromark-extension-gfm-table';
import { gfmTaskListItem } from 'micromark-extension-gfm-task-list-item';

// Of GFM, runbooks need task items (manual steps) and tables (so a table is not read as a step's
// description). Autolink literals, footnotes and strikethrough mean nothing to a runbook and
// cost a third of the parse time on large files.
const WITH_FRONT_MATTER = {
  extensions: [gfmTaskListItem(), gfmTable(), frontmatter(['yaml'])],
  mdastExtensions: [gfmTaskListItemFromMarkdown(), gfmTableFromMarkdown(), frontmatterFromMarkdown(['yaml'])],
};
const WITHOUT_FRONT_MATTER = {
  extensions: [gfmTaskListItem(), gfmTable()],
  mdastExtensions: [gfmTaskListItemFromMarkdown(), gfmTableFromMarkdown()],
};

/**
 * Lines per piece: small enough that the quadratic part stays small, large enough to amortise
 * each parse's setup and the node parsed twice at each cut. micromark alone, cold, on the
 * 10,002-line benchmark runbook cut every N lines: 20 lines 0.50 s, 60 lines 0.50, 100 lines
 * 0.56, 250 lines 0.63 to 0.72, 1,000 lines 0.83, whole 1.22. A cold `stepgate lint` of it took
 * 1.03 to 1.09 s at 100 lines against 1.14 to 1.30 s at 250 (load 1.5, interleaved).
 */
export const PIECE_LINES = 100;
/**
 * Files up to this many lines are parsed whole: the quadratic part is small there, and each cut
 * parses a node twice and sets up one more parse (the 29 corpus runbooks, 11 to 336 lines, took
 * 1.03 s to lint whole and in 250-line pieces, 1.10 s in 100-line pieces).
 */
export const WHOLE_LINES = 250;

const BYTE_ORDER_MARK = 0xfeff;

/** Offsets where each line starts, counting `\r\n`, `\r` and `\n` as line endings (as micromark does). */
function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10) starts.push(i + 1);
    else if (code === 13) {
      if (text.charCodeAt(i + 1) === 10) i++;
      starts.push(i + 1);
    }
  }
  return starts;
}

/** Whether `node` (of a piece whose text is `text`) is indented code rather than fenced. */
function indentedCode(node: RootContent, text: string): boolean {
  if (node.type !== 'code') return false;
  const at = node.position?.start.offset ?? 0;
  return !/^ {0,3}(?:`{3}|~{3})/.test(text.slice(at, at + 8));
}

/** Whether line `index` (0-based) of `text` holds only spaces and tabs. */
function isBlank(text: string, starts: number[], index: number): boolean {
  const end = index + 1 < starts.length ? starts[index + 1]! : text.length;
  for (let i = starts[index]!; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) return false;
  }
  return true;
}

interface Piece {
  /** Index of the piece's first line in the file (0-based). */
  line: number;
  /** Offset of the piece's first character in the file. */
  offset: number;
  text: string;
  nodes: RootContent[];
}

/**
 * Parse markdown into mdast (CommonMark, GFM task items and tables, YAML front matter).
 * The tree, positions included, is the one a single parse of the whole text gives.
 * @param pieceLines lines per piece (default {@link PIECE_LINES}); tests pass small values to
 *   cut files often.
 */
export function parseMarkdown(text: string, pieceLines = PIECE_LINES): Root {
  const starts = lineStarts(text);
  // Tests that pass their own piece size cut files of any size.
  const wholeUpTo = pieceLines === PIECE_LINES ? WHOLE_LINES : pieceLines;
  if (starts.length <= wholeUpTo || text.indexOf(String.fromCharCode(BYTE_ORDER_MARK), 1) !== -1) {
    return fromMarkdown(text, WITH_FRONT_MATTER);
  }
  const pieces = cutIntoPieces(text, starts, Math.max(1, pieceLines));
  if (!resolveReferencesAcrossPieces(pieces)) return fromMarkdown(text, WITH_FRONT_MATTER);
  // micromark counts offsets after the byte-order mark it drops.
  const bom = text.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  const children: RootContent[] = [];
  for (const piece of pieces) {
    for (const node of piece.nodes) {
      if (piece.line > 0) shiftPositions(node, piece.line, piece.offset - bom);
      children.push(node);
    }
  }
  // Like a whole parse, the root spans the whole text, not just its first and last node.
  const lastStart = starts[starts.length - 1]!;
  return {
    type: 'root',
    children,
    position: {
      start: { line: 1, column: 1, offset: 0 },
      end: { line: starts.length, column: text.length - lastStart + 1, offset: text.length - bom },
    },
  };
}

/**
 * Line (in the piece) of the last top-level node, other than the first, that a new piece can
 * start at: a one-line (ATX) heading, or any node that starts in column 1 after a blank line.
 * A line that starts a block can be read differently when it follows an unfinished block
 * (micromark reads `2. x` right after indented code as a paragraph, but as a list at the top of
 * a file), and a setext heading or a table needs the line before it; but `# Title` is a heading
 * wherever it stands, and after a blank line nothing is left open at the top level (a lazy
 * paragraph line or a list item's continuation would not be a top-level node of its own), so
 * the node is read as it would be at the top of a file. Except around indented code: micromark
 * still reads `- ` after it as a paragraph, blank lines or not, and indented code after an empty
 * list item as something else (both found by the property test in test/runbooks/markdown.test.ts). Without this, a long runbook with few
 * headings (all prose, or thousands of steps under one heading) was parsed in one go.
 */
function lastCutLine(nodes: RootContent[], text: string, blankBefore: (line: number) => boolean): number | undefined {
  for (let i = nodes.length - 1; i > 0; i--) {
    const position = nodes[i]!.position;
    if (!position) continue;
    if (nodes[i]!.type === 'heading' && position.start.line === position.end.line) return position.start.line;
    if (position.start.column === 1 && position.start.line > 1 && blankBefore(position.start.line) && !indentedCode(nodes[i]!, text) && !indentedCode(nodes[i - 1]!, text)) return position.start.line;
  }
  return undefined;
}

function cutIntoPieces(text: string, starts: number[], pieceLines: number): Piece[] {
  const pieces: Piece[] = [];
  let line = 0;
  let size = pieceLines;
  while (line < starts.length) {
    const endLine = Math.min(starts.length, line + size);
    const offset = starts[line]!;
    const last = endLine >= starts.length;
    const pieceText = text.slice(offset, last ? text.length : starts[endLine]);
    const nodes = fromMarkdown(pieceText, line === 0 ? WITH_FRONT_MATTER : WITHOUT_FRONT_MATTER).children;
    if (last) {
      pieces.push({ line, offset, text: pieceText, nodes });
      break;
    }
    // The next piece starts at the last node it can start at: one node (or none) before it means the cut
    // fell too early, so try a longer piece. So does a thematic break on the first line: it may
    // be front matter whose closing `---` lies past the cut.
    const next = lastCutLine(nodes, pieceText, (pieceLine) => isBlank(text, starts, line + pieceLine - 2));
    const maybeFrontMatter = line === 0 && nodes[0]?.type === 'thematicBreak' && nodes[0].position?.start.line === 1;
    if (next === undefined || maybeFrontMatter) {
      size *= 2;
      continue;
    }
    const nextLine = line + next - 1;
    pieces.push({ line, offset, text: text.slice(offset, starts[nextLine]), nodes: nodes.filter((node) => node.position!.start.line < next) });
    line = nextLine;
    size = pieceLines;
  }
  return pieces;
}

/**
 * A reference such as `[docs]` is a link only if `[docs]: url` is defined somewhere in the file.
 * Pieces that lack a definition another piece has are parsed again with it appended.
 * @returns false when that changed a node's extent (never seen; the caller then parses whole).
 */
function resolveReferencesAcrossPieces(pieces: Piece[]): boolean {
  // Identifiers, not labels: mdast decodes a label (`[a\]b]` is `a]b`, `[&amp;]` is `&`), which
  // written back would define another one; the identifier is the source, normalized, and reads
  // back as itself.
  const labels = new Set<string>();
  const own = pieces.map((piece) => {
    const mine = new Set<string>();
    const collect = (node: Nodes): void => {
      if (node.type === 'definition') {
        mine.add(node.identifier);
        labels.add(node.identifier);
      } else if ('children' in node) {
        for (const child of node.children) collect(child);
      }
    };
    for (const node of piece.nodes) collect(node);
    return mine;
  });
  if (labels.size === 0) return true;
  return pieces.every((piece, i) => {
    const missing = [...labels].filter((identifier) => !own[i]!.has(identifier));
    if (missing.length === 0) return true;
    // A blank line ends whatever block the piece's last node left open (in the whole file the
    // next piece's first node closed it), so the appended lines are definitions of their own.
    const appended = missing.map((identifier) => `[${identifier}]: #`).join('\n');
    const parseWithDefinitions = (body: string): RootContent[] =>
      fromMarkdown(`${body}\n\n${appended}\n`, piece.line === 0 ? WITH_FRONT_MATTER : WITHOUT_FRONT_MATTER).children;
    let again = parseWithDefinitions(piece.text);
    let kept = piece.nodes;
    const last = piece.nodes[piece.nodes.length - 1];
    const lastAgain = again[piece.nodes.length - 1];
    // Only the file's last node can run on into the appended lines: a fence or HTML block left
    // open to the end, where there is nothing for a definition to change. It swallowed the
    // definitions too, so the nodes before it are parsed again with the definitions put where it
    // starts (it was started, so they had ended), and it is kept as it was.
    if (i === pieces.length - 1 && last && (last.type === 'code' || last.type === 'html') && !(lastAgain && samePlace(lastAgain, last))) {
      again = parseWithDefinitions(piece.text.slice(0, lineStartBefore(piece, last)));
      kept = piece.nodes.slice(0, -1);
    }
    const nodes: RootContent[] = [];
    for (const [j, before] of kept.entries()) {
      const after = again[j];
      if (after && samePlace(after, before)) nodes.push(after);
      else return false;
    }
    if (kept !== piece.nodes && last) nodes.push(last);
    piece.nodes = nodes;
    return true;
  });
}

/** Offset in `piece.text` of the start of the line on which `node` (a node of that piece) starts. */
function lineStartBefore(piece: Piece, node: RootContent): number {
  // micromark counts offsets after a byte-order mark it drops (only the first piece can have one).
  const bom = piece.line === 0 && piece.text.charCodeAt(0) === BYTE_ORDER_MARK ? 1 : 0;
  let at = (node.position?.start.offset ?? 0) + bom;
  while (at > bom && piece.text[at - 1] !== '\n' && piece.text[at - 1] !== '\r') at--;
  return at;
}

function samePlace(a: RootContent, b: RootContent): boolean {
  return a.position?.start.offset === b.position?.start.offset && a.position?.end.offset === b.position?.end.offset;
}

function shiftPositions(node: RootContent, lines: number, offset: number): void {
  const position = node.position;
  if (position) {
    position.start.line += lines;
    position.end.line += lines;
    if (position.start.offset !== undefined) position.start.offset += offset;
    if (position.end.offset !== undefined) position.end.offset += offset;
  }
  if ('children' in node) for (const child of node.children) shiftPositions(child as RootContent, lines, offset);
}
