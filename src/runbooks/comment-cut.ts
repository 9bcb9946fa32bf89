/**
 * A value YAML cut short at ` #`: the rest of the line is a comment, without an error.
 * `run: grep -q " #include" f` runs `grep -q "` and fails for a reason nobody wrote,
 * `contains: Build #42` looks for `Build` only and passes on any build, and in front matter
 * `prompt: Ticket #1 of the day` asks for `Ticket`.
 */
import { isMap, isScalar, isSeq, Scalar, type Pair, type YAMLMap } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';
import type { DiagnosticCode, Position } from './model.js';

/** A plain value and the same-line comment that follows it. */
interface Cut {
  /** What YAML kept, as written. */
  kept: string;
  /** The comment's text after `#`. */
  comment: string;
  /** The value as the author meant it: what was kept, the spaces and the comment. */
  whole: string;
  /** Offset of the `#`. */
  hash: number;
}

function commentAfter(value: unknown, source: string): Cut | undefined {
  if (!isScalar(value) || value.type !== Scalar.PLAIN || !value.range) return undefined;
  const end = value.range[1];
  const eol = source.indexOf('\n', end);
  // `key: #fff`: YAML reads no value at all (null, empty in the source) and the rest as a comment.
  const empty = value.value === null && value.range[0] === end;
  const rest = (empty ? /^[ \t]*#([^\n\r]*)/ : /^[ \t]+#([^\n\r]*)/).exec(source.slice(end, eol === -1 ? undefined : eol));
  if (!rest) return undefined;
  const kept = empty ? '' : String(value.value);
  return { kept, comment: rest[1] ?? '', whole: `${kept}${rest[0]}`, hash: end + rest[0].indexOf('#') };
}

/** `key: 'the whole value'` (`- '...'` for a list item), or `'...'` for the value when that is long. */
function quotedFix(key: string | undefined, whole: string): string {
  const quoted = `'${whole.replace(/'/g, "''")}'`;
  return `${key === undefined ? '-' : `${key}:`} ${quoted.length <= 60 ? quoted : "'...'"}`;
}

function sayCut(sink: DiagnosticSink, code: DiagnosticCode, at: Position, named: string, what: string, fix: string): void {
  sink.warn(code, at, `${named}: YAML takes " #" for the start of a comment, so ${what}: if the rest of the line belongs to it, quote the whole value, as in ${fix} (a comment goes on a line of its own)`);
}

/**
 * Warns for each `run:`, `contains:` and `name:` of `check` whose plain value a same-line
 * comment follows, when the comment reads as part of the value: in `run:`, when the text kept
 * leaves a shell quote open (otherwise the shell would have read the same comment); in the
 * others, when `#` is followed by a word at once (`#42`), where a comment has a space after it.
 */
export function warnCommentCuts(check: YAMLMap, source: string, posOf: (offset: number) => Position, sink: DiagnosticSink): void {
  for (const pair of check.items as Array<Pair<unknown, unknown>>) {
    const key = isScalar(pair.key) ? String(pair.key.value) : '';
    if (key !== 'run' && key !== 'contains' && key !== 'name') continue;
    const cut = commentAfter(pair.value, source);
    if (!cut || !(key === 'run' ? openShellQuote(cut.kept) : /^\S/.test(cut.comment))) continue;
    const what = key === 'run' ? 'the command stops there, inside quotes' : cut.kept === '' ? `the check's ${key} is empty` : `the check ${key === 'name' ? 'is named' : 'looks for'} ${JSON.stringify(cut.kept)} only`;
    sayCut(sink, 'bad-check', posOf(cut.hash), key, what, quotedFix(key, cut.whole));
  }
}

/**
 * Warns for each plain value under `node` (a front matter key's value: a scalar, or the
 * mappings and lists of env:, vars: and their fields, before:, after:) whose same-line comment
 * starts with a word at once after `#` (`Ticket #1 of the day`, `8080 #port`): a comment has a
 * space after it. `path` names the node (`['vars']`); the warning names the value's keys.
 */
export function warnValueCuts(node: unknown, path: readonly string[], source: string, posOf: (offset: number) => Position, sink: DiagnosticSink): void {
  if (isMap(node)) {
    for (const pair of node.items as Array<Pair<unknown, unknown>>) {
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key !== undefined) warnValueCut(pair.value, [...path, key], key, source, posOf, sink);
    }
  } else if (isSeq(node)) {
    for (const item of node.items) warnValueCut(item, path, undefined, source, posOf, sink);
  } else warnValueCut(node, path, path.at(-1), source, posOf, sink);
}

function warnValueCut(value: unknown, path: readonly string[], key: string | undefined, source: string, posOf: (offset: number) => Position, sink: DiagnosticSink): void {
  if (!isScalar(value)) {
    if (isMap(value) || isSeq(value)) warnValueCuts(value, path, source, posOf, sink);
    return;
  }
  const cut = commentAfter(value, source);
  if (!cut || !/^\S/.test(cut.comment)) return;
  sayCut(sink, 'bad-front-matter', posOf(cut.hash), path.join(': '), cut.kept === '' ? 'the value is empty' : `the value is ${JSON.stringify(cut.kept)} only`, quotedFix(key, cut.whole));
}

/** Whether bash would still be inside quotes at the end of `text`. */
function openShellQuote(text: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote === "'") {
      if (c === "'") quote = undefined;
    } else if (c === '\\') i++;
    else if (quote === '"') {
      if (c === '"') quote = undefined;
    } else if (c === '"' || c === "'") quote = c;
  }
  return quote !== undefined;
}
