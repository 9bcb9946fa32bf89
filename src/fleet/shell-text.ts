/**
 * Building shell text for the generated documents. Everything a runbook author wrote is
 * either single-quoted here or carried in base64, so nothing of theirs is parsed twice, and a
 * `{{ }}` in their text is never taken for an SSM document parameter.
 */
import { referencedNames } from '../runbooks/vars.js';

/** `text` as one single-quoted shell word (POSIX sh and bash alike). */
export function sq(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** UTF-8 base64, as `base64 -d` reads it back. */
export function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/**
 * A check field with `${NAME}` references as one bash word: literal parts single-quoted, each
 * reference left to bash as `"${NAME}"`, so a value is data (never syntax), the way stepgate's
 * own `expandVars` treats it.
 */
export function wordWithVars(text: string): string {
  if (referencedNames(text).length === 0) return sq(text);
  const parts: string[] = [];
  let last = 0;
  for (const m of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) {
    if (m.index > last) parts.push(sq(text.slice(last, m.index)));
    parts.push(`"\${${m[1] ?? ''}}"`);
    last = m.index + m[0].length;
  }
  if (last < text.length) parts.push(sq(text.slice(last)));
  return parts.join('');
}

/** `cd` to a runbook `cwd:`; a leading `~` is the run-as user's home, as in stepgate. */
export function cdLine(cwd: string): string {
  const target = cwd === '~' ? '~' : cwd.startsWith('~/') ? `~/${sq(cwd.slice(2))}` : sq(cwd);
  return `cd -- ${target} || { echo ${sq(`stepgate: cannot cd to ${cwd}`)} >&2; exit 1; }`;
}

/** Milliseconds as whole seconds for SSM, rounded up, at least 1. */
export function seconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}
