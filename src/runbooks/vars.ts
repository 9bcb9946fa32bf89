import { createContext, runInContext, type Context } from 'node:vm';
import type { VarSpec } from './model.js';
/**
 * `${NAME}` in check fields is expanded by stepgate itself, never by a shell, so a value can
 * never turn into shell syntax.
 */
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

export function referencedNames(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((m) => m[1] ?? '');
}

export interface Expansion {
  text: string;
  /** Names that had no value; they are left as written. */
  unknown: string[];
}

export function expandVars(text: string, lookup: (name: string) => string | undefined): Expansion {
  const unknown: string[] = [];
  const out = text.replace(REFERENCE, (whole, name: string) => {
    const value = lookup(name);
    if (value === undefined) {
      unknown.push(name);
      return whole;
    }
    return value;
  });
  return { text: out, unknown };
}

/**
 * Which variable names hold secrets (vars, env, exports): their values are masked when typed,
 * redacted in journal, transcripts and output, kept out of the shell's state files, and an
 * export refuses them as literal `env:` values. The one definition: the session's redaction
 * (src/session/redact.ts) and the shell's state files (src/exec) use it, the shell's through
 * `secretNameCase` in src/exec/rc-script.ts, which a test holds to `looksSecretName`.
 *
 * Case-insensitive. Long words count anywhere in a name (GITHUB_TOKEN, DB_PASSWORD,
 * AWS_SECRET_ACCESS_KEY, GPG_PASSPHRASE, DATADOG_APIKEY, HTTP_AUTHORIZATION).
 */
export const SECRET_WORDS: readonly string[] = ['TOKEN', 'SECRET', 'PASSWORD', 'PASSWD', 'PASSPHRASE', 'CREDENTIAL', 'PRIVATE', 'APIKEY', 'AUTHORIZATION'];

/**
 * Short words count only as a whole `_`-separated part (API_KEY, DB_PASS, AUTH_HEADER, KEY):
 * anywhere, they made AUTHOR, MONKEY, COMPASS and KEYBOARD_LAYOUT secret, and redacting such
 * values garbled ordinary output.
 */
export const SECRET_PARTS: readonly string[] = ['KEY', 'PASS', 'AUTH'];

/**
 * A name whose last part is one of these names a socket, not a secret (SSH_AUTH_SOCK is the
 * agent's socket path, which ssh itself prints): it outweighs SECRET_PARTS, not SECRET_WORDS.
 */
export const NOT_SECRET_LAST_PARTS: readonly string[] = ['SOCK'];

/** What a redacted value is replaced with: in journals and transcripts, and in an exported check's messages. */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are not redacted: replacing every "1" or "on" would garble output. */
export const MIN_SECRET_LENGTH = 4;

/** Whether values under `name` are secrets (see SECRET_WORDS, SECRET_PARTS, NOT_SECRET_LAST_PARTS). */
export function looksSecretName(name: string): boolean {
  const upper = name.toUpperCase();
  if (SECRET_WORDS.some((word) => upper.includes(word))) return true;
  const parts = upper.split('_');
  if (NOT_SECRET_LAST_PARTS.includes(parts[parts.length - 1] ?? '')) return false;
  return parts.some((part) => SECRET_PARTS.includes(part));
}

/** A var's `pattern:` as the test its whole value must pass, or why it cannot be one. */
export function varPattern(source: string): RegExp | { error: string } {
  let test: RegExp;
  try {
    test = new RegExp(`^(?:${source})$`, 'u');
  } catch (error) {
    return { error: (error as Error).message };
  }
  const nested = nestedRepeat(source);
  if (nested !== undefined)
    return { error: `${nested} repeats a group made of repeats, which can take minutes on a value that almost matches (the session would hang at its prompt): give each repetition a part that must appear, as ([a-z0-9]+-)*[a-z0-9]+ does` };
  return test;
}

/** The atoms of a regular expression's source at its top level: each with the quantifier after it (or ''). */
function atoms(source: string): Array<{ text: string; quantifier: string }> {
  const out: Array<{ text: string; quantifier: string }> = [];
  let i = 0;
  while (i < source.length) {
    const from = i;
    const char = source[i];
    if (char === '\\') i += 2;
    else if (char === '[') {
      for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
      i++;
    } else if (char === '(') {
      for (let depth = 0; i < source.length; i++) {
        if (source[i] === '\\') {
          i++;
        } else if (source[i] === '[') {
          for (i++; i < source.length && source[i] !== ']'; i++) if (source[i] === '\\') i++;
        } else if (source[i] === '(') {
          depth++;
        } else if (source[i] === ')' && --depth === 0) {
          break;
        }
      }
      i++;
    } else i++;
    const quantifier = /^(?:[+*?]|\{\d*(?:,\d*)?\})\??/.exec(source.slice(i))?.[0] ?? '';
    out.push({ text: source.slice(from, i), quantifier });
    i += quantifier.length;
  }
  return out;
}

const unbounded = (quantifier: string): boolean => /^(?:[+*]|\{\d*,\})/.test(quantifier);

/** The branches of a source at its top level (split at `|` outside groups and classes). */
function branches(source: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (const atom of atoms(source)) {
    if (atom.text === '|' && atom.quantifier === '') {
      parts.push(current);
      current = '';
    } else current += atom.text + atom.quantifier;
  }
  parts.push(current);
  return parts;
}

/**
 * The first group, as written, that repeats without bound (`+`, `*`, `{n,}`) and has a branch
 * made of repeats and optional parts only, one of them unbounded (`(a+)+`, `([a-z0-9]+-?)+`):
 * JavaScript's backtracking matcher takes exponential time on a value that almost matches.
 * A branch with a part that must appear once (`([a-z0-9]+-)*`, `(\.[0-9]+)*`) is fine.
 */
function nestedRepeat(source: string): string | undefined {
  for (const atom of atoms(source)) {
    if (!atom.text.startsWith('(')) continue;
    const inner = atom.text.slice(1, -1).replace(/^\?(?:[:=!]|<[=!]|<[A-Za-z_][A-Za-z0-9_]*>)/, '');
    if (unbounded(atom.quantifier)) {
      const risky = branches(inner).some((branch) => {
        const parts = atoms(branch);
        return parts.some((p) => unbounded(p.quantifier) || (p.text.startsWith('(') && nestedRepeat(`${p.text}+`) !== undefined)) && parts.every((p) => p.quantifier !== '' && !/^\{[1-9]/.test(p.quantifier) || unbounded(p.quantifier));
      });
      if (risky) return atom.text + atom.quantifier;
    }
    const deeper = nestedRepeat(inner);
    if (deeper !== undefined) return deeper;
  }
  return undefined;
}


/**
 * Why `value` cannot be var `spec`'s value (it does not match the var's `pattern:`), or
 * undefined. A secret's value is not repeated.
 */
export function varValueProblem(spec: Pick<VarSpec, 'name' | 'pattern' | 'secret' | 'hint'>, value: string): string | undefined {
  if (spec.pattern === undefined) return undefined;
  const test = varPattern(spec.pattern);
  if (!(test instanceof RegExp)) return `${spec.name}: its pattern ${spec.pattern} is not a regular expression (${test.error})`;
  const matched = matchWithin(test, value);
  if (matched === true) return undefined;
  const what = spec.secret ? 'the value given' : JSON.stringify(value);
  if (matched === 'slow') return `${spec.name}: its pattern ${spec.pattern} took more than ${PATTERN_MS} ms to test ${what}, which is refused: the runbook's pattern needs simplifying`;
  // The author's words where there are some: a new user read a port range's whole regex.
  if (spec.hint !== undefined) return `${spec.name}: ${what} is refused: want ${spec.hint}`;
  return `${spec.name}: ${what} does not match its pattern ${spec.pattern}`;
}

/** How long testing a value against a var's pattern may take. */
export const PATTERN_MS = 250;

let sandbox: Context | undefined;

/**
 * `test.test(value)`, given up after PATTERN_MS: JavaScript's backtracking matcher takes
 * exponential time on some patterns (overlapping alternatives, `[0-9]*[0-9]*...`) that lint
 * cannot all tell, and a test on the main thread would freeze the session, ctrl-c included.
 * A script's timeout stops a match in progress.
 */
export function matchWithin(test: RegExp, value: string): boolean | 'slow' {
  sandbox ??= createContext({ test: undefined, value: undefined });
  sandbox['test'] = test;
  sandbox['value'] = value;
  try {
    return runInContext('test.test(value)', sandbox, { timeout: PATTERN_MS }) === true;
  } catch {
    return 'slow';
  } finally {
    sandbox['test'] = undefined;
    sandbox['value'] = undefined;
  }
}
