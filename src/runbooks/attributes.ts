/**
 * Fence attributes, in Runme's two forms: `{name=pull timeout=2m optional}` and JSON
 * `{"name":"pull"}`. JSON is tried first, as Runme does.
 */
import type { DiagnosticSink } from './diagnostics.js';
import { parseDuration } from './duration.js';
import { longBareSeconds, misspeltDuration } from './duration-advice.js';
import { parseLinkTarget } from './links.js';
import type { Position, StepAttributes } from './model.js';
import { nearMiss } from './near-miss.js';

const BOOLEAN_KEYS = ['confirm', 'interactive', 'optional', 'isolated', 'rollback'] as const;
const KNOWN_KEYS = new Set<string>([
  'name',
  'timeout',
  'cwd',
  'user',
  'retries',
  'backoff',
  'recover',
  'capture',
  ...BOOLEAN_KEYS,
]);

type RawValue = string | number | boolean | null;

interface RawAttribute {
  key: string;
  value: RawValue;
  /** Offset of the key within the info string's attribute text. */
  offset: number;
}

/** Splits `lang {attrs}`: the language and the attribute text with its column. */
export function splitInfo(lang: string | null | undefined, meta: string | null | undefined) {
  return { lang: (lang ?? '').toLowerCase(), meta: (meta ?? '').trim() };
}

function tokenizeKeyValues(body: string, sink: DiagnosticSink, at: (offset: number) => Position): RawAttribute[] {
  const out: RawAttribute[] = [];
  let i = 0;
  while (i < body.length) {
    while (i < body.length && /[\s,]/.test(body[i] ?? '')) i++;
    if (i >= body.length) break;
    const start = i;
    while (i < body.length && /[^\s=,]/.test(body[i] ?? '')) i++;
    const key = body.slice(start, i);
    if (body[i] !== '=') {
      out.push({ key, value: true, offset: start });
      continue;
    }
    i++;
    let value: string;
    const quote = body[i];
    if (quote === '"' || quote === "'") {
      const close = body.indexOf(quote, i + 1);
      if (close === -1) {
        sink.error('bad-attribute', at(start), `attribute ${key}: missing closing ${quote}`);
        value = body.slice(i + 1);
        i = body.length;
      } else {
        value = body.slice(i + 1, close);
        i = close + 1;
      }
    } else {
      const vstart = i;
      while (i < body.length && /[^\s,]/.test(body[i] ?? '')) i++;
      value = body.slice(vstart, i);
    }
    out.push({ key, value, offset: start });
  }
  return out;
}

function readRaw(meta: string, sink: DiagnosticSink, at: (offset: number) => Position): RawAttribute[] {
  const open = meta.indexOf('{');
  if (open === -1) return [];
  const close = meta.lastIndexOf('}');
  if (close < open) {
    sink.error('bad-attribute', at(open), 'fence attributes: missing closing }');
    return [];
  }
  const text = meta.slice(open, close + 1);
  if (/^\{\s*"/.test(text)) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        return Object.entries(parsed as Record<string, unknown>).map(([key, value]) => ({
          key,
          value: isRawValue(value) ? value : JSON.stringify(value),
          offset: open + Math.max(0, text.indexOf(`"${key}"`)),
        }));
      }
    } catch (error) {
      sink.error('bad-attribute', at(open), `fence attributes: invalid JSON (${(error as Error).message})`);
      return [];
    }
  }
  return tokenizeKeyValues(text.slice(1, -1), sink, (offset) => at(open + 1 + offset)).map((a) => ({
    ...a,
    offset: open + 1 + a.offset,
  }));
}

function isRawValue(value: unknown): value is RawValue {
  return value === null || ['string', 'number', 'boolean'].includes(typeof value);
}

function toBoolean(value: RawValue): boolean | undefined {
  if (value === true || value === 'true' || value === 'yes') return true;
  if (value === false || value === 'false' || value === 'no') return false;
  return undefined;
}

export function emptyAttributes(): StepAttributes {
  return { confirm: false, interactive: false, optional: false, isolated: false, rollback: false };
}

/**
 * Validates the attributes of one fence. `metaAt(offset)` maps an offset in `meta` to its
 * source position so each diagnostic points at the attribute itself.
 */
export function parseAttributes(
  meta: string,
  sink: DiagnosticSink,
  metaAt: (offset: number) => Position,
): StepAttributes {
  const attrs = emptyAttributes();
  const raw = readRaw(meta, sink, metaAt);
  for (let i = 0; i < raw.length; i++) {
    const { key, value, offset } = raw[i] as RawAttribute;
    const at = metaAt(offset);
    // `timeout=30 s` reads as timeout=30 and a flag `s`: say the duration, not "unknown attribute s".
    const unit = raw[i + 1];
    const spaced = (key === 'timeout' || key === 'backoff') && typeof value === 'string' && unit?.value === true ? misspeltDuration(`${value} ${unit.key}`) : undefined;
    if (spaced !== undefined) {
      sink.error('bad-duration', at, `${key}=${String(value)} ${unit?.key ?? ''}: ${spaced.why}: write ${key}=${spaced.literal}`);
      i++;
      continue;
    }
    if (!KNOWN_KEYS.has(key)) {
      const near = nearMiss(key, KNOWN_KEYS);
      sink.error(
        'unknown-attribute',
        at,
        near !== undefined ? `unknown attribute "${key}": did you mean "${near}"?` : `unknown attribute "${key}" (known: ${[...KNOWN_KEYS].join(', ')})`,
      );
      continue;
    }
    switch (key) {
      case 'name':
      case 'cwd':
      case 'user': {
        const text = value === null || value === true ? '' : String(value).trim();
        if (text === '') sink.error('bad-attribute', at, `attribute ${key} needs a value, e.g. ${key}=...`);
        else if (key === 'name' && !/^[\w.:-]+$/.test(text))
          sink.error('bad-attribute', at, `name "${text}" may use letters, digits, . _ : - only`);
        else attrs[key] = text;
        break;
      }
      case 'timeout':
      case 'backoff': {
        const ms = parseDuration(value);
        const misspelt = typeof value === 'string' ? misspeltDuration(value) : undefined;
        const long = longBareSeconds(value);
        if (misspelt !== undefined) sink.error('bad-duration', at, `${key}=${String(value)}: ${misspelt.why}: write ${key}=${misspelt.literal}`);
        else if (ms === undefined) sink.error('bad-duration', at, `${key}=${String(value)} is not a duration (use 500ms, 2s, 3m, 1h or seconds)`);
        else if (key === 'timeout' && ms === 0) sink.error('bad-duration', at, `timeout=${String(value)}: a timeout must be longer than 0 (leave timeout= out for none)`);
        else {
          if (long !== undefined)
            sink.warn('bad-duration', at, `${key}=${String(value)} is ${long.words}, as a bare number counts seconds: write ${key}=${long.seconds} if that is meant, ${long.otherwise.map((o) => `${key}=${o}`).join(' or ')} otherwise`);
          if (key === 'timeout') attrs.timeoutMs = ms;
          else attrs.backoffMs = ms;
        }
        break;
      }
      case 'retries': {
        const n = typeof value === 'number' ? value : Number(value);
        if (!Number.isInteger(n) || n < 1 || n > 100)
          sink.error('bad-attribute', at, `retries=${String(value)}: want the total number of attempts, 1 to 100`);
        else attrs.retries = n;
        break;
      }
      case 'capture': {
        const text = typeof value === 'string' ? value.trim() : '';
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(text))
          sink.error('bad-attribute', at, `capture=${String(value)}: want the name of a shell variable, e.g. capture=PREVIOUS_COMMIT`);
        else attrs.capture = text;
        break;
      }
      case 'recover': {
        const target = typeof value === 'string' ? parseLinkTarget(value, at) : undefined;
        if (!target) sink.error('bad-attribute', at, `recover=${String(value)}: want a link such as recovery.md#rollback or #section`);
        else attrs.recover = target;
        break;
      }
      default: {
        const flag = toBoolean(value);
        if (flag === undefined) sink.error('bad-attribute', at, `${key}=${String(value)}: want true or false (yes and no too), or just ${key}`);
        else attrs[key as (typeof BOOLEAN_KEYS)[number]] = flag;
      }
    }
  }
  return attrs;
}

/** True when the info string carries an attribute block at all. */
export function hasAttributes(meta: string): boolean {
  return meta.includes('{');
}
