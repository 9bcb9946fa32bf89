/**
 * A check value YAML cut short at ` #`: the rest of the line is a comment, without an error.
 * `run: grep -q " #include" f` runs `grep -q "` and fails for a reason nobody wrote, and
 * `contains: Build #42` looks for `Build` only and passes on any build.
 */
import { isScalar, Scalar, type Pair, type YAMLMap } from 'yaml';
import type { DiagnosticSink } from './diagnostics.js';
import type { Position } from './model.js';

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
    const value = pair.value;
    if (!isScalar(value) || value.type !== Scalar.PLAIN || !value.range) continue;
    const end = value.range[1];
    const rest = /^[ \t]+#([^\n\r]*)/.exec(source.slice(end, source.indexOf('\n', end) === -1 ? undefined : source.indexOf('\n', end)));
    if (!rest) continue;
    const kept = String(value.value);
    const comment = rest[1] ?? '';
    const cut = key === 'run' ? openShellQuote(kept) : /^\S/.test(comment);
    if (!cut) continue;
    const whole = `${kept}${rest[0]}`;
    const quoted = `'${whole.replace(/'/g, "''")}'`;
    const fix = quoted.length <= 60 ? `${key}: ${quoted}` : `${key}: '...'`;
    const what = key === 'run' ? 'the command stops there, inside quotes' : `the check ${key === 'name' ? 'is named' : 'looks for'} ${JSON.stringify(kept)} only`;
    sink.warn('bad-check', posOf(end + rest[0].indexOf('#')), `${key}: YAML takes " #" for the start of a comment, so ${what}: if the rest of the line belongs to it, quote the whole value, as in ${fix} (a comment goes on a line of its own)`);
  }
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
