/**
 * YAML parse errors of a check body or the front matter, said as the slip that caused them.
 * The parser names the token it tripped on ("Nested mappings are not allowed in compact
 * mappings", "Unexpected scalar at node end"); a newcomer's trial could not tell from that that
 * a `run:` needed quotes, or that a tab was the trouble.
 */
import type { LineCounter, YAMLError } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';
import type { Position } from './model.js';

/**
 * Reports `errors` of the YAML `text` as `bad-yaml`, one per line (the parser follows a slip with
 * its consequences at the same place). A tab in the indentation of a line with an error is the
 * cause of everything from that line on: after a tab the parser loses the structure and reports
 * the rest of the block token by token, so that one error is said instead.
 */
export function reportYamlErrors(
  errors: readonly YAMLError[],
  text: string,
  lineCounter: LineCounter,
  posOf: (offset: number) => Position,
  sink: DiagnosticSink,
  where: string,
): void {
  const seen = new Set<number>();
  for (const e of errors) {
    const { line } = lineCounter.linePos(e.pos[0]);
    if (seen.has(line)) continue;
    seen.add(line);
    const start = lineCounter.lineStarts[line - 1] ?? 0;
    const source = lineText(text, start);
    const tab = indentTab(source);
    if (tab !== undefined) {
      sink.error('bad-yaml', posOf(start + tab), `${where}: a tab indents this line, and YAML allows only spaces as indentation: replace the tab with spaces`);
      return;
    }
    const quote = quotingAdvice(source);
    if (quote !== undefined) sink.error('bad-yaml', posOf(start + quote.offset), `${where}: ${quote.message}`);
    else sink.error('bad-yaml', posOf(e.pos[0]), `${where}: ${e.message.split('\n')[0] ?? ''}`);
  }
}

function lineText(text: string, start: number): string {
  const end = text.indexOf('\n', start);
  return text.slice(start, end === -1 ? text.length : end).replace(/\r$/, '');
}

/** The offset of a tab among the leading blanks (and `- ` list marks) of a line with content. */
function indentTab(line: string): number | undefined {
  const lead = /^[ \t-]*/.exec(line)?.[0] ?? '';
  const tab = lead.indexOf('\t');
  return tab !== -1 && lead.length < line.length ? tab : undefined;
}

/** `key: value` as a line of a mapping (or of a list item's), with the value's offset. */
const PAIR = /^([ ]*(?:-[ ]+)*)([A-Za-z_][\w.-]*):[ ]+(\S.*)$/;

/**
 * A plain value holding `: ` (YAML reads a nested key: `run: curl -H "Authorization: Bearer x"`)
 * or a value opened by a quote that closes before its end (`run: "a b" | wc -l`): both are
 * fixed by quoting the whole value, which is what is said, with the value quoted.
 */
function quotingAdvice(line: string): { offset: number; message: string } | undefined {
  const m = PAIR.exec(line);
  if (!m) return undefined;
  const key = m[2] ?? '';
  // Trailing blanks trimmed here, not by the pattern: a lazy `.*?` before `[ \t]*$` is
  // quadratic on a long run of spaces (a review's 100,000 spaces took seconds).
  const value = (m[3] ?? '').trimEnd();
  const afterColon = (m[1] ?? '').length + key.length + 1;
  const valueAt = afterColon + (/^ */.exec(line.slice(afterColon))?.[0].length ?? 0);
  let why: string;
  const first = value[0] ?? '';
  if (first === '"' || first === "'") {
    const close = closingQuote(value);
    if (close === undefined || value.slice(close + 1).trim() === '' || /^\s+#/.test(value.slice(close + 1))) return undefined;
    why = 'the value starts with a quote that closes before the value ends';
  } else if (/^[{[|>&*!%@`]/.test(first)) {
    return undefined;
  } else if (/:(?:\s|$)/.test(withoutComment(value))) {
    why = 'the value holds ": ", which YAML reads as a nested key';
  } else return undefined;
  const quoted = `'${value.replace(/'/g, "''")}'`;
  const example = quoted.length <= 60 ? `${key}: ${quoted}` : `${key}: '...'`;
  const doubling = value.includes("'") ? ` (a ' inside single quotes is written '')` : '';
  return { offset: valueAt, message: `${key}: ${why}: quote the whole value, as in ${example}${doubling}` };
}

/** `value` before its first ` #` (a YAML comment), found without a backtracking pattern. */
function withoutComment(value: string): string {
  const hash = value.search(/[ \t]#/);
  return hash === -1 ? value : value.slice(0, hash);
}

/** The offset of the quote closing the one `value` opens with, or undefined when it stays open. */
function closingQuote(value: string): number | undefined {
  const q = value[0];
  for (let i = 1; i < value.length; i++) {
    if (q === '"' && value[i] === '\\') i++;
    else if (value[i] === q) {
      if (q === "'" && value[i + 1] === "'") i++;
      else return i;
    }
  }
  return undefined;
}
