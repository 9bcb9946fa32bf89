/**
 * The exports a shell saves after every step (`declare -p` text in its state file): parsing
 * them back, and choosing which of them a new shell may take over.
 */
import { looksSecretName } from '../runbooks/vars.js';
import { ENV_NAME } from './shell-quote.js';

/**
 * Variables this setup sets for itself: a step may export them (`export PS1`), but a new shell
 * never takes them back, or a kept `PROMPT_COMMAND` would stop it reporting: a resume that
 * never starts. Names starting `__sg_` are stepgate's too.
 */
export const SHELL_PLUMBING: readonly string[] = ['PROMPT_COMMAND', 'PS0', 'PS1', 'PS2'];

/** One exported variable as the state file holds it. */
export interface SavedExport {
  name: string;
  /** The `declare -x NAME=...` text (`declare -p` output) that recreates it. */
  declaration: string;
}

/**
 * A line that starts a declaration: `declare -x NAME="...`, `=$'...`, `=(...` or a bare name.
 * bash 5.2 writes $'...' for values with control characters, so a value never spans lines;
 * older bash (5.1: Ubuntu 22.04, RHEL 9) writes a newline raw inside "...", escaping only
 * `\`, `"`, `$` and `` ` `` there, so a later line of a value can look like this (a directory
 * named `a<newline>declare -x X='1'; cmd #`): a line starts a declaration only once the one
 * before it is whole (see `declarationShape`).
 */
const DECLARATION_START = /^declare -[A-Za-z-]+ ([A-Za-z_][A-Za-z0-9_]*)(?:=["'$(]|$)/;

/** After its closing quote, the end of the `"..."` or `$'...'` string at `at`; -1 if none starts there, `open` if it does not close. */
function quotedEnd(text: string, at: number): number | 'open' {
  let i: number;
  let close: string;
  if (text[at] === '"') [i, close] = [at + 1, '"'];
  else if (text.startsWith("$'", at)) [i, close] = [at + 2, "'"];
  else return -1;
  while (i < text.length) {
    if (text[i] === '\\') i += 2;
    else if (text[i] === close) return i + 1;
    else i++;
  }
  return 'open';
}

/**
 * Whether `text` is one whole `declare -p` declaration, as bash writes it: a bare name, a quoted
 * value, or an array of `[key]=value` elements (keys bare or quoted); `open` when a quote is
 * still open at its end (the value goes on on the next line); `bad` when it is anything else,
 * e.g. a declaration with a command after it, which a new shell must never be given.
 */
function declarationShape(text: string): 'whole' | 'open' | 'bad' {
  const head = /^declare -[A-Za-z-]+ [A-Za-z_][A-Za-z0-9_]*/.exec(text);
  if (!head) return 'bad';
  let i = head[0].length;
  if (i === text.length) return 'whole';
  if (text[i] !== '=') return 'bad';
  i++;
  if (text[i] !== '(') {
    const end = quotedEnd(text, i);
    return end === 'open' ? 'open' : end === text.length ? 'whole' : 'bad';
  }
  i++;
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === ')') return i + 1 === text.length ? 'whole' : 'bad';
    if (text[i] !== '[') return i >= text.length ? 'open' : 'bad';
    i++;
    const key = quotedEnd(text, i);
    if (key === 'open') return 'open';
    if (key === -1) {
      const close = text.indexOf(']', i);
      if (close < 0 || !/^[^\s"'$`;&|<>()\\]*$/.test(text.slice(i, close))) return 'bad';
      i = close;
    } else i = key;
    if (!text.startsWith(']=', i)) return 'bad';
    const value = quotedEnd(text, i + 2);
    if (value === 'open') return 'open';
    if (value === -1) return 'bad';
    i = value;
  }
}

/** The exports in a state file written by `__sg_save`, in order; its closing `builtin cd` line is left out. */
export function parseSavedExports(text: string): SavedExport[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  if (lines[lines.length - 1]?.startsWith('builtin cd -- ')) lines.pop();
  const out: SavedExport[] = [];
  for (const line of lines) {
    const last = out[out.length - 1];
    const start = last && declarationShape(last.declaration) === 'open' ? null : DECLARATION_START.exec(line);
    if (start) out.push({ name: start[1] ?? '', declaration: line });
    else if (last) last.declaration += `\n${line}`;
  }
  return out;
}

/**
 * The saved exports a new shell takes over (it evaluates them). Each must be one whole
 * declaration, as bash writes it, of the name it claims;
 * secret-looking names, `skip` (the session environment, which stepgate types afresh), PWD
 * (the `cd` that follows sets it), OLDPWD (bash's, not a step's) and the shell's plumbing
 * (`SHELL_PLUMBING`) are dropped.
 */
export function restorableExports(exports: readonly SavedExport[], skip: readonly string[] = []): SavedExport[] {
  // OLDPWD too: bash sets it on a `cd`, no step exported it, and counting it told the operator
  // "2 exported variables restored" after a step exported one.
  const skipped = new Set(['PWD', 'OLDPWD', ...SHELL_PLUMBING, ...skip]);
  return exports.filter(
    (e) => ENV_NAME.test(e.name) && !skipped.has(e.name) && !e.name.startsWith('__sg_') && !looksSecretName(e.name) && DECLARATION_START.exec(e.declaration)?.[1] === e.name && declarationShape(e.declaration) === 'whole',
  );
}

/**
 * The exports that differ from `base` (what the shell had before any step ran or anything was
 * restored): what steps set. The rest came from stepgate's environment, which a later stepgate
 * gives afresh (a new SSM session's variables, not the dropped one's).
 */
export function changedExports(exports: readonly SavedExport[], base: readonly SavedExport[]): SavedExport[] {
  const before = new Map(base.map((e) => [e.name, e.declaration]));
  return exports.filter((e) => before.get(e.name) !== e.declaration);
}

/** The text a new shell evaluates to recreate `exports` (see `restorableExports`). */
export function restoreScript(exports: readonly SavedExport[]): string {
  return exports.map((e) => `${e.declaration}\n`).join('');
}

