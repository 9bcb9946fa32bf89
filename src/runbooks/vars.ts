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
 * Names whose values are treated as secrets wherever they appear (vars, env): masked when
 * typed, redacted in journal, transcripts and output. Kept equal to the session's redaction
 * rule by test/runbooks/parse.test.ts.
 */
export const SECRET_NAME = /TOKEN|SECRET|PASS(WORD|WD)?|KEY|CREDENTIAL|PRIVATE|AUTH/i;
