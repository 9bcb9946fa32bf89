/**
 * Secrets never reach disk: values of secret vars, and of environment variables whose names
 * look like secrets, are replaced before anything is journaled or written to a transcript.
 */

/** Names like these hold secrets (`GITHUB_TOKEN`, `DB_PASSWORD`, `AWS_SECRET_ACCESS_KEY`). */
export const SECRET_NAME = /TOKEN|SECRET|PASS(WORD|WD)?|KEY|CREDENTIAL|PRIVATE|AUTH/i;

/** What a redacted value is replaced with. */
export const REDACTED = '[REDACTED]';

/** Values shorter than this are not redacted: replacing every "1" or "on" would garble output. */
export const MIN_SECRET_LENGTH = 4;

export function looksSecret(name: string): boolean {
  return SECRET_NAME.test(name);
}

export type Redactor = (text: string) => string;

/**
 * A redactor for a growing set of secret values. Longest first, so a secret that contains
 * another is replaced whole.
 */
export class SecretSet {
  private values = new Set<string>();
  private sorted: string[] = [];

  add(value: string | undefined): void {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || this.values.has(value)) return;
    this.values.add(value);
    this.sorted = [...this.values].sort((a, b) => b.length - a.length);
  }

  /** Adds the values of every variable whose name looks secret. */
  addEnv(env: Record<string, string | undefined>): void {
    for (const [name, value] of Object.entries(env)) if (looksSecret(name)) this.add(value);
  }

  get size(): number {
    return this.values.size;
  }

  /**
   * Length of the longest end of `text` that is the beginning (not all) of a secret. Runs on
   * every output chunk of a step, so it compares characters in place instead of slicing.
   */
  partialSuffix(text: string): number {
    let best = 0;
    for (const secret of this.sorted) {
      const first = secret.charCodeAt(0);
      // Earliest start first: the first match is this secret's longest partial suffix.
      for (let start = Math.max(0, text.length - (secret.length - 1)); start < text.length; start += 1) {
        const k = text.length - start;
        if (k <= best) break;
        if (text.charCodeAt(start) !== first) continue;
        let i = 1;
        while (i < k && text.charCodeAt(start + i) === secret.charCodeAt(i)) i += 1;
        if (i === k) {
          best = k;
          break;
        }
      }
    }
    return best;
  }

  /** True when `text` holds a secret as it is, or in one of the `forms` a secret may take there (quoted, escaped). */
  occursIn(text: string, forms: (secret: string) => string[] = () => []): boolean {
    return this.sorted.some((secret) => text.includes(secret) || forms(secret).some((form) => text.includes(form)));
  }

  readonly redact: Redactor = (text: string): string => {
    let out = text;
    for (const secret of this.sorted) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    return out;
  };
}

/** Redacts every string inside a JSON-like value (keys included), returning a copy. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = redactDeep(v, redact);
    return out as T;
  }
  return value;
}

/**
 * Redacts a stream chunk by chunk. A secret can straddle two chunks, so the end of a chunk that
 * could be the start of a secret is held back until the next chunk (or `flush`) decides; all
 * other text passes at once, so a prompt without a newline ("proceed? ") shows immediately.
 */
export class StreamRedactor {
  private held = '';

  constructor(private readonly secrets: SecretSet) {}

  push(chunk: string): string {
    const text = this.secrets.redact(this.held + chunk);
    const keep = this.secrets.partialSuffix(text);
    this.held = keep === 0 ? '' : text.slice(-keep);
    return keep === 0 ? text : text.slice(0, -keep);
  }

  flush(): string {
    const text = this.held;
    this.held = '';
    return this.secrets.redact(text);
  }
}
