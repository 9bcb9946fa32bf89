/**
 * What explains a failed check, read from what the service answered: for a JSON body the
 * values of the fields services use to say what is wrong (`status`, `error`, `message`,
 * `reason`, `detail`, also one level down: `{"error":{"message":...}}`); for text, its first
 * non-empty line. The gate leads with it, so at 80 columns the operator reads "failing:
 * database unreachable" before the status code and the raw body.
 */
import { printable } from './printable.js';

/** Fields that say what is wrong, in the order they are read. */
export const WHY_FIELDS = ['status', 'error', 'message', 'reason', 'detail'] as const;

/** Longest explanation kept (the journal carries it on every failed attempt). */
export const WHY_MAX = 160;

function scalar(value: unknown): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** The named fields' values in WHY_FIELDS order, whatever order the service wrote them in; `depth` levels down for objects. */
function ordered(value: unknown, depth = 1): string[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  const out: string[] = [];
  for (const field of WHY_FIELDS) {
    const key = keys.find((k) => k.toLowerCase() === field);
    if (key === undefined) continue;
    const text = scalar(record[key]);
    if (text !== undefined) out.push(text);
    else if (depth > 0) out.push(...ordered(record[key], depth - 1));
  }
  return out;
}

/**
 * The explanation in a failed attempt's body or output, or undefined when there is none worth
 * leading with (an empty body). Control characters are dropped; the result is one line.
 */
export function checkWhy(output: string | undefined): string | undefined {
  if (output === undefined) return undefined;
  const text = printable(output).trim();
  if (text === '') return undefined;
  let why: string | undefined;
  if (text.startsWith('{')) {
    try {
      const values = [...new Set(ordered(JSON.parse(text) as unknown))];
      if (values.length > 0) why = values.join(': ');
    } catch {
      // Not JSON after all (or cut short): its first line is the best there is.
    }
  }
  why ??= text.split('\n').find((line) => line.trim() !== '')?.trim();
  if (why === undefined) return undefined;
  const flat = why.replace(/\s+/g, ' ');
  return flat.length <= WHY_MAX ? flat : `${flat.slice(0, WHY_MAX - 1)}…`;
}

/**
 * The explanation that leads a failed attempt's line (`why · `), or nothing when the rest of
 * the line says it already: the probe's error starts with it, or the output the line quotes
 * starts with it (its first line) (a `run:` check's `cat: ready: No such file` was said twice).
 */
export function whyLead(why: string | undefined, error: string | undefined, output?: string): string {
  if (why === undefined || (error ?? '').startsWith(why)) return '';
  if (output !== undefined && output.trim().replace(/\s+/g, ' ').startsWith(why)) return '';
  return `${why} · `;
}
