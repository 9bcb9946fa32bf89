/**
 * The common check block read without the YAML library: `key: value` lines, or a list of them
 * (`- http: URL` and `  expect: 2xx` under it), whose keys are lower-case words and whose values
 * are plain one-line scalars that YAML's core schema reads as strings or decimal integers.
 * Anything else (a quote that opens a value, a `#`, a flow collection, a tab, a value YAML
 * would read as a boolean, null, float, hex or octal number, a duplicate key, any line of
 * another shape) is not read here: `undefined`, and the YAML library reads the block as
 * always. What is read is what YAML would give, key for key and offset for offset (a test
 * holds the two to the same checks and diagnostics over generated blocks).
 *
 * Why: the YAML library is a tenth of a cold lint of a large runbook (issue 14: 500 check
 * blocks, about 110 ms of a 790 ms lint), for blocks that are nearly always this simple.
 */

export interface SimpleCheckEntry {
  /** The check's fields in document order, typed as YAML's core schema types them. */
  raw: Record<string, string | number>;
  /** Offset in the body of the check's first key (where YAML's node starts). */
  at: number;
  /** Offset in the body of each key. */
  keys: Map<string, number>;
}

const KEY = /^[a-z]+$/;
/** Keys YAML would read as a boolean or null. */
const RESERVED_KEY = /^(?:true|false|null)$/;
/** Scalars YAML's core schema gives a type other than string (yaml 2's core tags), decimal integers aside. */
const TYPED = [
  /^(?:~|[Nn]ull|NULL)?$/,
  /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
];
/** A decimal integer YAML reads as the same number JavaScript does. */
const PLAIN_INT = /^(?:0|[1-9][0-9]{0,14})$/;
/** What a plain scalar may start with here: no YAML indicator, no space. */
const SAFE_START = /^[A-Za-z0-9_$/]/;

/** The value as YAML would type it, or undefined when it is not one this reader takes. */
function scalar(value: string): string | number | undefined {
  if (value === '' || !SAFE_START.test(value) || value.endsWith(' ') || value.endsWith(':')) return undefined;
  // Printable ASCII only, no comment, no `: ` (a nested mapping or an error to YAML).
  if (/[^\x20-\x7e]|#|: /.test(value)) return undefined;
  if (PLAIN_INT.test(value)) return Number(value);
  return TYPED.some((re) => re.test(value)) ? undefined : value;
}

/** The entries of `body`, or undefined when it is not the simple shape (see the module's comment). */
export function simpleCheckEntries(body: string): SimpleCheckEntry[] | undefined {
  const entries: SimpleCheckEntry[] = [];
  let list: boolean | undefined;
  let current: SimpleCheckEntry | undefined;
  let offset = 0;
  for (const line of body.split('\n')) {
    const start = offset;
    offset += line.length + 1;
    if (line === '') continue;
    let indent: number;
    if (line.startsWith('- ')) {
      if (list === false) return undefined;
      list = true;
      indent = 2;
      current = { raw: {}, at: start + 2, keys: new Map() };
      entries.push(current);
    } else if (line.startsWith('  ')) {
      if (list !== true || current === undefined) return undefined;
      indent = 2;
    } else {
      if (list === true) return undefined;
      list = false;
      indent = 0;
      if (current === undefined) {
        current = { raw: {}, at: start, keys: new Map() };
        entries.push(current);
      }
    }
    const colon = line.indexOf(':', indent);
    if (colon < 0) return undefined;
    const key = line.slice(indent, colon);
    if (!KEY.test(key) || RESERVED_KEY.test(key) || current.keys.has(key)) return undefined;
    const rest = line.slice(colon + 1);
    const spaces = rest.length - rest.trimStart().length;
    if (spaces === 0) return undefined;
    const value = scalar(rest.slice(spaces));
    if (value === undefined) return undefined;
    current.raw[key] = value;
    current.keys.set(key, start + indent);
  }
  return entries.length > 0 ? entries : undefined;
}
