/**
 * The shapes one secret value takes on its way to a terminal, a transcript or the journal. A
 * redactor that only knows the value as typed misses it as soon as something re-encodes it:
 * the pty turns each `\n` into `\r\n`, `head -1` prints one line of a key, bash's `declare -p`
 * and `set` print `$'…\n…'`, and the common accidental encodings (base64 for a Kubernetes
 * secret or a Basic header, percent-encoding in a URL, JSON escapes in a log line) hide it too.
 */

/** Shortest piece of a secret (a line, a base64 fragment) worth hiding on its own. */
const MIN_PIECE = 4;
/** Shorter base64 fragments would match unrelated base64 text too often. */
const MIN_BASE64_FRAGMENT = 6;
/** `base64` (coreutils) wraps its output at 76 columns. */
const BASE64_WRAP = 76;

const C_ESCAPES: Record<string, string> = { '\u001B': 'E', '\u0007': 'a', '\u000B': 'v', '\b': 'b', '\f': 'f', '\n': 'n', '\r': 'r', '\t': 't' };

/** A character bash does not print as it is (control characters, DEL and C1). */
function unprintable(code: number): boolean {
  return code < 0x20 || (code >= 0x7f && code < 0xa0);
}

function octalBytes(ch: string): string {
  return [...Buffer.from(ch, 'utf8')].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('');
}

/**
 * bash's `$'…'` quoting (lib/sh/strtrans.c, ansic_quote), as `declare -p`, `set`, `printf %q`
 * and `${X@Q}` write a value with control characters. `utf8`: non-ASCII printable characters
 * stay as they are (a UTF-8 locale); otherwise every byte of them is written in octal (C locale).
 */
export function ansiCQuoted(value: string, utf8: boolean): string {
  let out = "$'";
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    const letter = C_ESCAPES[ch];
    if (letter !== undefined) out += `\\${letter}`;
    else if (ch === '\\' || ch === "'") out += `\\${ch}`;
    else if (unprintable(code) || (!utf8 && code > 0x7f)) out += octalBytes(ch);
    else out += ch;
  }
  return `${out}'`;
}

/** `"…"` as `declare -p` writes it: `\`, `"`, `$` and `` ` `` escaped. */
function doubleQuotedBody(value: string): string {
  return value.replace(/[\\"$`]/g, (c) => `\\${c}`);
}

/** `printf %q` of a value without control characters: each shell metacharacter escaped. */
function backslashQuoted(value: string): string {
  return value.replace(/[ \t'"\\|&;()<>!{}*[?\]^$`,]|^[~#]/g, (c) => `\\${c}`);
}

/**
 * The base64 text that encodes `bytes` wherever they sit in a longer input: for each of the
 * three alignments, the characters that depend on these bytes only (a Basic header encodes
 * `user:password`, so the password starts one or two bytes into a group of three).
 */
function base64Fragments(bytes: Buffer): string[] {
  const out: string[] = [];
  for (const skew of [0, 1, 2]) {
    const text = Buffer.concat([Buffer.alloc(skew), bytes]).toString('base64');
    const from = Math.ceil((skew * 8) / 6);
    const to = Math.floor(((skew + bytes.length) * 8) / 6);
    if (to - from >= MIN_BASE64_FRAGMENT) out.push(text.slice(from, to));
  }
  return out;
}

function base64Forms(value: string): string[] {
  const out: string[] = [];
  // `echo "$TOKEN" | base64` encodes the newline too.
  for (const text of [value, `${value}\n`]) {
    const bytes = Buffer.from(text, 'utf8');
    const whole = bytes.toString('base64');
    out.push(whole, bytes.toString('base64url'));
    if (whole.length > BASE64_WRAP) for (let at = 0; at < whole.length; at += BASE64_WRAP) out.push(whole.slice(at, at + BASE64_WRAP));
  }
  for (const fragment of base64Fragments(Buffer.from(value, 'utf8'))) out.push(fragment, fragment.replace(/\+/g, '-').replace(/\//g, '_'));
  return out.filter((f) => f.length >= MIN_BASE64_FRAGMENT);
}

function percentEncoded(value: string): string[] {
  const component = encodeURIComponent(value);
  // RFC 3986 (curl --data-urlencode, Python's quote(safe='')): only A-Z a-z 0-9 - . _ ~ stay.
  const strict = component.replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  const slashKept = strict.replace(/%2F/g, '/');
  const out: string[] = [];
  for (const form of [component, strict, slashKept]) {
    // Form encoding writes a space as `+`; some encoders write lower-case hex.
    for (const spaced of [form, form.replace(/%20/g, '+')]) out.push(spaced, spaced.replace(/%[0-9A-F]{2}/g, (e) => e.toLowerCase()));
  }
  return out;
}

/**
 * WHATWG URL's percent-encode sets (url.spec.whatwg.org, beyond the C0 control set), which
 * Node's URL applies to each part of a URL it serialises: a secret in a check's URL reaches
 * messages as `url.href` (a redirect refused, a request that failed, the host that does not
 * resolve), and so does the URL a server redirected to, which may carry the secret too (a
 * Location that keeps the query). That URL was never a runbook's text, so messages cannot all be
 * built from the unexpanded target; the redactor has to know the forms instead. `^` is in the
 * path set of newer versions of the standard, not in Node 20's: both are kept.
 */
const URL_ENCODE_SETS = [' "<>`', ' "#<>', ' "#<>\'', ' "#<>?`{}', ' "#<>?`{}^', ' "#<>?`{}/:;=@[\\]^|'];

function urlEncoded(value: string, set: string): string {
  let out = '';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (code < 0x21 || code > 0x7e || set.includes(ch)) out += [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    else out += ch;
  }
  return out;
}

/**
 * The secret as a URL holds it: each part's percent-encoding, URLSearchParams' form encoding,
 * and, in a host name, ASCII letters in lower case (the host parser folds them).
 */
function urlForms(value: string): string[] {
  const out = URL_ENCODE_SETS.map((set) => urlEncoded(value, set));
  out.push(new URLSearchParams({ v: value }).toString().slice(2));
  out.push(value.replace(/[A-Z]/g, (c) => c.toLowerCase()));
  return out;
}

/**
 * Every form of `value` to hide, the value itself first. A multi-line value is hidden whole (as
 * written and as a pty shows it) and line by line; a form shorter than the value's own
 * minimum length is left out by the caller.
 */
export function secretForms(value: string): string[] {
  const forms = [value];
  const multiLine = /[\r\n]/.test(value);
  if (multiLine) {
    forms.push(value.replace(/\r?\n/g, '\r\n'));
    for (const line of value.split(/\r?\n|\r/)) if (line.trim().length >= MIN_PIECE) forms.push(line.trim());
  }
  // bash quotes with $'…' only a value it cannot print as it is (in the C locale: any non-ASCII).
  if ([...value].some((ch) => unprintable(ch.codePointAt(0) ?? 0))) forms.push(ansiCQuoted(value, true));
  if (/[^\u0020-\u007e]/.test(value)) forms.push(ansiCQuoted(value, false));
  forms.push(doubleQuotedBody(value), backslashQuoted(value));
  // bash 5.1 writes a newline raw inside declare -p's "…": on a pty, as CR LF.
  if (multiLine) forms.push(doubleQuotedBody(value).replace(/\r?\n/g, '\r\n'));
  if (value.includes("'")) forms.push(value.replace(/'/g, "'\\''"));
  forms.push(JSON.stringify(value).slice(1, -1));
  forms.push(...base64Forms(value), ...percentEncoded(value), ...urlForms(value));
  return [...new Set(forms)];
}
