/**
 * Secrets never reach disk: values of secret vars, and of environment variables whose names
 * look like secrets, are replaced before anything is journaled or written to a transcript.
 */
import { MIN_SECRET_LENGTH, REDACTED, looksSecretName } from '../runbooks/vars.js';
import { secretForms } from './secret-forms.js';

// Defined with the secret-name rule, so that an exported check's own redaction (src/fleet, which
// reads only the runbook model) says the same word and spares the same short values.
export { MIN_SECRET_LENGTH, REDACTED };

/** Names like `GITHUB_TOKEN`, `DB_PASSWORD`, `API_KEY` hold secrets: the rule is the runbooks' (`looksSecretName`). */
export function looksSecret(name: string): boolean {
  return looksSecretName(name);
}

export type Redactor = (text: string) => string;

/**
 * A redactor for a growing set of secret values, each in every form it may take in output
 * (see `secretForms`: line by line, shell-quoted, base64, percent-encoded). Longest first, so a
 * secret that contains another is replaced whole.
 */
export class SecretSet {
  private values = new Set<string>();
  private forms = new Set<string>();
  private sorted: string[] = [];
  /** Any form, for the common case of a chunk holding none: one scan instead of one per form. */
  private anyForm: RegExp | undefined;

  add(value: string | undefined): void {
    if (this.remember(value)) this.rebuild();
  }

  /** Adds the values of every variable whose name looks secret (one rebuild for all of them). */
  addEnv(env: Record<string, string | undefined>): void {
    let added = false;
    for (const [name, value] of Object.entries(env)) if (looksSecret(name) && this.remember(value)) added = true;
    if (added) this.rebuild();
  }

  private remember(value: string | undefined): boolean {
    if (value === undefined || value.length < MIN_SECRET_LENGTH || this.values.has(value)) return false;
    this.values.add(value);
    for (const form of secretForms(value)) if (form.length >= MIN_SECRET_LENGTH) this.forms.add(form);
    return true;
  }

  /** The sort and the one big alternation are rebuilt once per batch of new values, not per value. */
  private rebuild(): void {
    this.sorted = [...this.forms].sort((a, b) => b.length - a.length);
    this.anyForm = new RegExp(this.sorted.map((f) => f.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')).join('|'));
  }

  /** Whether `value` is one of the secrets (as given, not a form of one). */
  has(value: string | undefined): boolean {
    return value !== undefined && this.values.has(value);
  }

  get size(): number {
    return this.values.size;
  }

  /** Every text that is hidden: each value's forms, longest first. */
  get hidden(): readonly string[] {
    return this.sorted;
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

  /**
   * Where the forms occur in `text`, sorted, overlapping occurrences merged into one span:
   * replacing one form after another would leave the part of a form that overlaps one replaced
   * before it (a line of a key next to its whole, two secrets that share an end).
   */
  spans(text: string): Array<[number, number]> {
    if (!this.anyForm?.test(text)) return [];
    const found: Array<[number, number]> = [];
    for (const form of this.sorted) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) found.push([at, at + form.length]);
    }
    found.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [start, end] of found) {
      const last = merged[merged.length - 1];
      if (last && start < last[1]) last[1] = Math.max(last[1], end);
      else merged.push([start, end]);
    }
    return merged;
  }

  readonly redact: Redactor = (text: string): string => replaceSpans(text, this.spans(text));
}

function replaceSpans(text: string, spans: ReadonlyArray<[number, number]>): string {
  if (spans.length === 0) return text;
  let out = '';
  let done = 0;
  for (const [start, end] of spans) {
    out += text.slice(done, start) + REDACTED;
    done = end;
  }
  return out + text.slice(done);
}

/**
 * Fields that name things rather than say them: where a runbook, a transcript or the shell is,
 * which step, which digest. A secret that happens to occur in one (`DB_PASSWORD=omneuro` and a
 * runbook under `/srv/omneuro/`) turned the journaled path into `/srv/[REDACTED]/deploy.md`: the
 * session could not be resumed, and the hole in a path anyone can list told the secret (a review).
 * What these hold is on the filesystem or made by stepgate, not typed or printed by anyone. Not
 * a `cwd`: the shell's is wherever a step went (`cd "/srv/ws-$API_TOKEN"`, a review), and it
 * stays redacted, as stepgate's own.
 */
const NAMES = new Set(['file', 'path', 'key', 'anchor', 'id', 'sha256', 'hash', 'transcript']);

/** Redacts every string inside a JSON-like value (keys included) but the names above, returning a copy. */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[redact(k)] = typeof v === 'string' && NAMES.has(k) ? v : redactDeep(v, redact);
    return out as T;
  }
  return value;
}

/**
 * Redacts a stream chunk by chunk. A secret can straddle two chunks, so the end of a chunk that
 * could be the start of a secret is held back until the next chunk (or `flush`) decides; all
 * other text passes at once, so a prompt without a newline ("proceed? ") shows immediately.
 * The tail is judged on the text as it came: a short form (one line of a key) complete in this
 * chunk must not be replaced while a longer one that holds it (the key percent-encoded) may
 * still complete in the next, or the longer one would never match and the rest of it leak.
 */
export class StreamRedactor {
  private held = '';

  constructor(private readonly secrets: SecretSet) {}

  push(chunk: string): string {
    const text = this.held + chunk;
    const spans = this.secrets.spans(text);
    let cut = text.length - this.secrets.partialSuffix(text);
    // A form found whole that reaches into the held tail is held with it.
    for (const [start, end] of spans) if (start < cut && end > cut) cut = start;
    this.held = text.slice(cut);
    return replaceSpans(text.slice(0, cut), spans.filter(([, end]) => end <= cut));
  }

  flush(): string {
    const text = this.held;
    this.held = '';
    return this.secrets.redact(text);
  }
}
