/**
 * The session shell's state kept for a resume: its directory and exported variables, as exec's
 * `Shell.snapshot()` gives them (secret-looking names already left out), minus any variable
 * whose value holds a secret the session knows (a step may copy a secret var into another
 * name). The file journal keeps the result on disk, 0600, next to the journal.
 */
import type { ShellSnapshot } from '../exec/types.js';
import type { SecretSet } from './redact.js';
import type { ShellRestored } from './types.js';

/**
 * How a value appears in a `declare -x N="..."` line: bash escapes `\`, `"`, `$` and `` ` ``
 * there. (A value with control characters is written $'...' and is matched raw only.)
 */
function declaredForms(secret: string): string[] {
  return [secret.replace(/[\\"$`]/g, (c) => `\\${c}`)];
}

/** The snapshot without the variables (and the directory) that hold a known secret. */
export function withoutSecrets(snapshot: ShellSnapshot, secrets: SecretSet): ShellSnapshot {
  const kept: ShellSnapshot = {
    user: snapshot.user,
    exports: snapshot.exports.filter((e) => !secrets.occursIn(e.declaration, declaredForms) && !secrets.occursIn(e.name)),
  };
  if (snapshot.cwd !== undefined && !secrets.occursIn(snapshot.cwd)) kept.cwd = snapshot.cwd;
  return kept;
}

/** What a shell started from `snapshot` gets back, for the journal and the operator. */
export function restoredFrom(snapshot: ShellSnapshot): ShellRestored {
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
