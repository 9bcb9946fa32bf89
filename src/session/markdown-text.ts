/**
 * Text made safe for Markdown that GitHub (and ticket systems that speak GFM) render: table
 * cells that cannot break their row, code spans that cannot be closed early. Journaled text
 * comes from steps, servers and operators; it is shown, never interpreted as markup.
 */
import { printable } from './printable.js';

/** One table cell: one line, pipes escaped, markup characters that would start HTML or links neutralised. */
export function cell(text: string): string {
  return printable(text)
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/\\/g, '\\\\')
    .replace(/\|/g, '\\|')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/**
 * A code span: fenced with one more backtick than the longest run inside (CommonMark), padded
 * with a space when the text starts or ends with one. In a table cell, pipes still need their
 * backslash: GFM splits the row before it parses the span.
 */
export function code(text: string, inTable = true): string {
  const flat = printable(text).replace(/\s+/g, ' ').trim();
  if (flat === '') return '';
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  const body = inTable ? flat.replace(/\|/g, '\\|') : flat;
  return `${fence}${pad}${body}${pad}${fence}`;
}

/** A GFM table; `align` per column: 'l' or 'r'. */
export function table(head: readonly string[], rows: readonly (readonly string[])[], align?: readonly ('l' | 'r')[]): string[] {
  const rule = head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  return [`| ${head.join(' | ')} |`, `| ${rule.join(' | ')} |`, ...rows.map((row) => `| ${row.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`)];
}
