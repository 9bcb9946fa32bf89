/**
 * Shapes of markdown that cost the parser far more than their size: block quotes and lists
 * nested hundreds deep (micromark re-checks every open container on every line, and a deep
 * indented list is quadratic in its depth) and very long lines of prose (inline openers such as
 * `[`, `*` or backtick runs are matched against the rest of their paragraph). A runbook never
 * needs either, so both are refused before parsing, naming the first line past the limit.
 *
 * The scan is one linear pass and only approximates CommonMark's block structure: it counts the
 * `>` and list markers that open a line and the list items its indentation keeps open, and it
 * skips the inside of fenced code (a step's script may have long lines and deep YAML).
 */
import type { DiagnosticCode, Position } from './model.js';

/** Block quotes and list items open at once. Runbooks nest a few; micromark slows past a hundred. */
/** Inputs past this size are refused with a diagnostic rather than parsed. */
export const MAX_RUNBOOK_CHARS = 4 * 1024 * 1024;

export const MAX_NESTING = 16;
/** Characters in one line outside fenced code. */
export const MAX_LINE_CHARS = 10_000;

export interface BoundsViolation {
  code: DiagnosticCode;
  at: Position;
  message: string;
}

const LIST_MARKER = /^([-*+]|\d{1,9}[.)])(?=[ \t]|$)/;
const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/** Columns of leading whitespace (a tab to the next multiple of 4), and where the text starts. */
function indentOf(line: string, from: number): { width: number; end: number } {
  let width = 0;
  let i = from;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 32) width++;
    else if (c === 9) width += 4 - (width % 4);
    else break;
  }
  return { width, end: i };
}

/** The first place `text` passes a bound, or undefined when it stays within them all. */
export function findBoundsViolation(text: string): BoundsViolation | undefined {
  // Content columns of the list items open before this line (innermost last).
  const items: number[] = [];
  let fence: { char: string; length: number; quotes: number } | undefined;
  let lineNo = 0;
  let start = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    const line = text.charCodeAt(end - 1) === 13 ? text.slice(start, end - 1) : text.slice(start, end);
    lineNo++;
    start = end + 1;
    // Block quote and list markers that open the line: `> > - > x`.
    let at = 0;
    let quotes = 0;
    let column = 0;
    let firstMarker: number | undefined;
    const contents: number[] = [];
    // The whitespace before the line's text, after its last marker: 4 columns more than a
    // marker's one space (or than its container's content) make indented code, not a fence.
    let lead = 0;
    for (;;) {
      const { width, end: textStart } = indentOf(line, at);
      lead = width;
      const rest = line.slice(textStart, textStart + 12);
      if (rest.startsWith('>')) {
        quotes++;
        at = textStart + 1;
        column += width + 1;
        continue;
      }
      const marker = fence ? null : LIST_MARKER.exec(rest);
      if (marker) {
        firstMarker ??= column + width;
        at = textStart + marker[0].length;
        column += width + marker[0].length;
        contents.push(column + 1);
        continue;
      }
      column += width;
      at = textStart;
      break;
    }
    const body = line.slice(at);
    if (fence) {
      const close = FENCE.exec(body);
      if (close && close[1]![0] === fence.char && close[1]!.length >= fence.length && body.slice(close[0].length).trim() === '') fence = undefined;
      else if (body.trim() === '' && quotes < fence.quotes) fence = undefined;
      continue;
    }
    if (line.length > MAX_LINE_CHARS) {
      return {
        code: 'too-complex',
        at: { line: lineNo, column: MAX_LINE_CHARS + 1 },
        message: `line ${lineNo} is ${line.length} characters long; the limit outside code blocks is ${MAX_LINE_CHARS}: break it into shorter lines, or put long data in a code block or a file of its own`,
      };
    }
    if (body.trim() === '') continue; // a blank line leaves the lists open
    // The list items this line stays inside: those whose content column it reaches.
    const reach = firstMarker ?? column;
    while (items.length > 0 && items[items.length - 1]! > reach) items.pop();
    items.push(...contents);
    const depth = items.length + quotes;
    if (depth > MAX_NESTING) {
      return {
        code: 'too-complex',
        at: { line: lineNo, column: 1 },
        message: `line ${lineNo} is nested ${depth} block quotes and lists deep; the limit is ${MAX_NESTING}: flatten the list or quote, or split it into linked runbooks`,
      };
    }
    const opened = FENCE.exec(body);
    // Not a fence (CommonMark): a backtick fence whose info string has a backtick (inline code),
    // or a line indented as code. Taken for one, it would hide the rest of the file from the scan.
    const inner = items.length > 0 && firstMarker === undefined && quotes === 0 ? items[items.length - 1]! : 0;
    const indent = firstMarker !== undefined || quotes > 0 ? lead - 1 : column - inner;
    if (opened && indent < 4 && !(opened[1]![0] === '`' && body.slice(opened[0].length).includes('`'))) fence = { char: opened[1]![0]!, length: opened[1]!.length, quotes };
  }
  return undefined;
}
