/**
 * The session shell's state kept for a resume: its directory and exported variables, as exec's
 * `Shell.snapshot()` gives them (secret-looking names already left out), minus any variable
 * whose value holds a secret the session knows (a step may copy a secret var into another
 * name). The file journal keeps the result on disk, 0600, next to the journal.
 */
import { ansiCBytes } from '../exec/shell-quote.js';
import type { ShellSnapshot } from '../exec/types.js';
import type { SecretSet } from './redact.js';
import type { RestoredShell } from '../exec/types.js';

/**
 * How a value appears in a `declare -x N="..."` line: bash escapes `\`, `"`, `$` and `` ` ``
 * there. (A value bash writes as $'...' is matched once decoded: see `declaredValues`.)
 */
function declaredForms(secret: string): string[] {
  return [secret.replace(/[\\"$`]/g, (c) => `\\${c}`)];
}

/**
 * The values quoted in a `declare -p` line, decoded as bash reads them: `"..."` (where `\`
 * escapes `\`, `"`, `$` and `` ` ``) and `$'...'` (ANSI-C escapes, octal bytes included, which
 * bash writes for control characters and, in the C locale, for every non-ASCII byte).
 */
export function declaredValues(declaration: string): string[] {
  const values: string[] = [];
  let i = declaration.indexOf('=');
  if (i < 0) return values;
  while (i < declaration.length) {
    if (declaration.startsWith("$'", i)) {
      let j = i + 2;
      while (j < declaration.length && declaration[j] !== "'") j += declaration[j] === '\\' ? 2 : 1;
      values.push(Buffer.from(ansiCBytes(declaration.slice(i + 2, j))).toString('utf8'));
      i = j + 1;
    } else if (declaration[i] === '"') {
      let value = '';
      let j = i + 1;
      for (; j < declaration.length && declaration[j] !== '"'; j++) {
        const next = declaration[j + 1] ?? '';
        if (declaration[j] === '\\' && '\\"$`\n'.includes(next) && next !== '') {
          if (next !== '\n') value += next;
          j++;
        } else value += declaration[j];
      }
      values.push(value);
      i = j + 1;
    } else i++;
  }
  return values;
}

/** The snapshot without the variables (and the directory) that hold a known secret. */
export function withoutSecrets(snapshot: ShellSnapshot, secrets: SecretSet): ShellSnapshot {
  const holdsSecret = (e: ShellSnapshot['exports'][number]): boolean =>
    secrets.occursIn(e.name) || secrets.occursIn(e.declaration, declaredForms) || declaredValues(e.declaration).some((value) => secrets.occursIn(value));
  const kept: ShellSnapshot = {
    user: snapshot.user,
    exports: snapshot.exports.filter((e) => !holdsSecret(e)),
  };
  if (snapshot.cwd !== undefined && !secrets.occursIn(snapshot.cwd)) kept.cwd = snapshot.cwd;
  return kept;
}

/** What a shell started from `snapshot` gets back, for the journal and the operator. */
export function restoredFrom(snapshot: ShellSnapshot): RestoredShell {
  return snapshot.cwd === undefined ? { exported: snapshot.exports.length } : { cwd: snapshot.cwd, exported: snapshot.exports.length };
}

/** A snapshot read back from disk, or undefined when it is not one (hand-edited, another version). */
export function parseSnapshot(text: string): ShellSnapshot | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { user, cwd, exports } = value as Record<string, unknown>;
  if (typeof user !== 'string' || (cwd !== undefined && typeof cwd !== 'string') || !Array.isArray(exports)) return undefined;
  const entries: ShellSnapshot['exports'] = [];
  for (const e of exports as unknown[]) {
    const { name, declaration } = (e ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof declaration !== 'string') return undefined;
    entries.push({ name, declaration });
  }
  return cwd === undefined ? { user, exports: entries } : { user, cwd, exports: entries };
}
