/**
 * `check` (alias `health`) fences: a YAML body with one check or a list of checks.
 */
import { isMap, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { warnCommentCuts } from './comment-cut.js';
import type { DiagnosticSink } from './diagnostics.js';
import { parseDuration } from './duration.js';
import { longBareSeconds, misspeltDuration } from './duration-advice.js';
import { nearMiss } from './near-miss.js';
import { reportYamlErrors } from './yaml-errors.js';
import { simpleCheckEntries } from './simple-checks.js';
import {
  DEFAULT_CHECK_ATTEMPTS,
  DEFAULT_CHECK_BACKOFF_MS,
  DEFAULT_CHECK_TIMEOUT_MS,
  type CheckKind,
  type CheckSpec,
  type Position,
  type StatusRange,
} from './model.js';

const TARGET_KEYS: CheckKind[] = ['http', 'tcp', 'run'];
const OPTION_KEYS = new Set(['expect', 'contains', 'timeout', 'retries', 'backoff', 'name', 'follow']);

export const DEFAULT_EXPECT: StatusRange[] = [{ min: 200, max: 299 }];

/** `200`, `"2xx"`, `"200-204"`, or a list of those. */
export function parseExpect(value: unknown): StatusRange[] | undefined {
  const items = Array.isArray(value) ? value : [value];
  const out: StatusRange[] = [];
  for (const item of items) {
    const text = String(item).trim().toLowerCase();
    let range: StatusRange | undefined;
    let m: RegExpExecArray | null;
    if ((m = /^([1-5])xx$/.exec(text))) range = { min: Number(m[1]) * 100, max: Number(m[1]) * 100 + 99 };
    else if ((m = /^(\d{3})\s*-\s*(\d{3})$/.exec(text))) range = { min: Number(m[1]), max: Number(m[2]) };
    else if (/^\d{3}$/.test(text)) range = { min: Number(text), max: Number(text) };
    if (!range || range.min < 100 || range.max > 599 || range.min > range.max) return undefined;
    out.push(range);
  }
  return out.length > 0 ? out : undefined;
}

export interface CheckDefaults {
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

/**
 * `bodyLine` is the source line of the body's first line; diagnostics point into the YAML.
 * Fence attributes (`retries`, `backoff`, `timeout`) act as defaults for every check in the block.
 */
export function parseChecks(
  body: string,
  bodyLine: number,
  bodyColumn: number,
  sink: DiagnosticSink,
  defaults: CheckDefaults,
  /** Checks refused for an error in a field other than their target: lint still reads their text. */
  refused: CheckSpec[] = [],
): CheckSpec[] {
  return readChecks(body, bodyLine, bodyColumn, sink, defaults, refused, true);
}

/**
 * `parseChecks`; `simple`: read a block of the common shape without the YAML library
 * (simple-checks.ts). Exported for the test that holds both readings to the same result.
 */
export function readChecks(body: string, bodyLine: number, bodyColumn: number, sink: DiagnosticSink, defaults: CheckDefaults, refused: CheckSpec[], simple: boolean): CheckSpec[] {
  const entries = simple ? simpleCheckEntries(body) : undefined;
  if (entries !== undefined) {
    const posOf = offsetPosition(body, bodyLine, bodyColumn);
    const checks: CheckSpec[] = [];
    for (const entry of entries) {
      const read = readCheck(entry.raw, posOf(entry.at), sink, defaults, (key) => posOf(entry.keys.get(key) ?? entry.at));
      if (read?.ok) checks.push(read.spec);
      else if (read) refused.push(read.spec);
    }
    return checks;
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(body, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const posOf = (offset: number | undefined): Position => {
    const p = lineCounter.linePos(offset ?? 0);
    return { line: bodyLine + p.line - 1, column: p.col + bodyColumn - 1 };
  };
  if (doc.errors.length > 0) {
    reportYamlErrors(doc.errors, body, lineCounter, posOf, sink, 'check block');
    return [];
  }
  const root = doc.contents;
  if (root === null || root === undefined) {
    sink.error('check-no-target', { line: bodyLine - 1, column: bodyColumn }, 'empty check block: add http: URL, tcp: host:port or run: command');
    return [];
  }
  const nodes: unknown[] = isSeq(root) ? root.items : [root];
  const checks: CheckSpec[] = [];
  for (const node of nodes) {
    const at = posOf((node as YamlNode | null)?.range?.[0]);
    if (!isMap(node)) {
      sink.error('bad-check', at, 'each check is a mapping such as {http: http://localhost:8081/healthz}');
      continue;
    }
    warnCommentCuts(node, body, posOf, sink);
    const read = readCheck(node.toJSON() as Record<string, unknown>, at, sink, defaults, (key) => {
      const pair = node.items.find((p) => (p.key as YamlNode | null)?.toString() === key);
      return posOf((pair?.key as YamlNode | undefined)?.range?.[0]);
    });
    if (read?.ok) checks.push(read.spec);
    else if (read) refused.push(read.spec);
  }
  return checks;
}

/** A body offset as a runbook position, as YAML's LineCounter numbers it (1-based line and column). */
function offsetPosition(body: string, bodyLine: number, bodyColumn: number): (offset: number) => Position {
  return (offset) => {
    const lineStart = body.lastIndexOf('\n', offset - 1) + 1;
    let line = 1;
    for (let i = body.indexOf('\n'); i >= 0 && i < lineStart; i = body.indexOf('\n', i + 1)) line++;
    return { line: bodyLine + line - 1, column: offset - lineStart + 1 + bodyColumn - 1 };
  };
}

function readCheck(
  raw: Record<string, unknown>,
  at: Position,
  sink: DiagnosticSink,
  defaults: CheckDefaults,
  keyAt: (key: string) => Position,
): { spec: CheckSpec; ok: boolean } | undefined {
  let ok = true;
  for (const key of Object.keys(raw)) {
    if (!OPTION_KEYS.has(key) && !TARGET_KEYS.includes(key as CheckKind)) {
      const near = nearMiss(key, [...TARGET_KEYS, ...OPTION_KEYS]);
      sink.error(
        'unknown-attribute',
        keyAt(key),
        near !== undefined ? `unknown check field "${key}": did you mean "${near}"?` : `unknown check field "${key}" (known: http, tcp, run, ${[...OPTION_KEYS].join(', ')})`,
      );
      ok = false;
    }
  }
  // A check without a usable target is still read to its end: its other fields' errors are
  // said with that one, not one fix at a time (a trial's `retries: five` showed up only after
  // `htp:` was fixed).
  let targetless = false;
  const kinds = TARGET_KEYS.filter((k) => k in raw);
  if (kinds.length === 0) {
    sink.error('check-no-target', at, 'check has no target: add http: URL, tcp: host:port or run: command');
    targetless = true;
  } else if (kinds.length > 1) {
    sink.error('bad-check', at, `a check has one target, this one has ${kinds.join(' and ')}: split it into a list`);
    targetless = true;
  }
  const kind = (kinds[0] ?? 'http') as CheckKind;
  const targetValue = raw[kind];
  const target = typeof targetValue === 'string' || typeof targetValue === 'number' ? String(targetValue).trim() : '';
  if (!targetless && typeof targetValue === 'boolean') {
    // `run: true` or `run: false`: YAML reads the command as a boolean.
    sink.error('check-no-target', keyAt(kind), `${kind}: ${String(targetValue)} is a YAML boolean, not a ${kind === 'run' ? 'command' : 'target'}: quote it (${kind}: "${String(targetValue)}")`);
    targetless = true;
  } else if (!targetless && target === '') {
    sink.error('check-no-target', keyAt(kind), `${kind}: needs a value`);
    targetless = true;
  }
  if (targetless) ok = false;
  else if (kind === 'http' && !target.startsWith('${') && !/^https?:\/\//i.test(target)) {
    sink.error('bad-check', keyAt(kind), `http: ${target}: want a URL starting with http:// or https://`);
    ok = false;
  }
  if (kind === 'tcp' && !target.includes('${') && !/^(\[[^\]]+\]|[^:\s]+):\d{1,5}$/.test(target)) {
    sink.error('bad-check', keyAt(kind), `tcp: ${target}: want host:port, e.g. localhost:5432`);
    ok = false;
  }
  const spec: CheckSpec = {
    kind,
    target,
    expect: DEFAULT_EXPECT,
    timeoutMs: defaults.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS,
    attempts: defaults.attempts ?? DEFAULT_CHECK_ATTEMPTS,
    backoffMs: defaults.backoffMs ?? DEFAULT_CHECK_BACKOFF_MS,
    position: at,
  };
  if (raw.name !== undefined) spec.name = String(raw.name);
  if (raw.contains !== undefined) spec.contains = String(raw.contains);
  if (raw.follow !== undefined) {
    if (raw.follow !== 'any' && raw.follow !== 'same-origin') {
      sink.error('bad-check', keyAt('follow'), `follow: ${String(raw.follow)}: want any (follow redirects to other hosts too) or same-origin (the default)`);
      ok = false;
    } else if (kind === 'http') spec.follow = raw.follow;
    else if (!targetless) sink.warn('bad-check', keyAt('follow'), 'follow applies to http checks only');
  }
  if (raw.expect !== undefined) {
    const expect = parseExpect(raw.expect);
    if (!expect) {
      sink.error('bad-expect', keyAt('expect'), `expect: ${JSON.stringify(raw.expect)}: want status codes or ranges such as 200, 2xx, 200-299`);
      ok = false;
    } else {
      if (kind !== 'http' && !targetless) sink.warn('bad-check', keyAt('expect'), `expect applies to http checks only`);
      spec.expect = expect;
    }
  }
  for (const key of ['timeout', 'backoff'] as const) {
    if (raw[key] === undefined) continue;
    const ms = parseDuration(raw[key]);
    const misspelt = typeof raw[key] === 'string' ? misspeltDuration(raw[key]) : undefined;
    const long = longBareSeconds(raw[key]);
    if (ms === undefined || (key === 'timeout' && ms === 0)) {
      sink.error(
        'bad-duration',
        keyAt(key),
        misspelt !== undefined
          ? `${key}: ${String(raw[key])}: ${misspelt.why}: write ${key}: ${misspelt.literal}`
          : ms === undefined
            ? `${key}: ${String(raw[key])} is not a duration (use 500ms, 2s, 3m, 1h or seconds)`
            : `timeout: ${String(raw[key])}: a check's timeout must be longer than 0`,
      );
      ok = false;
    } else {
      if (long !== undefined)
        sink.warn('bad-duration', keyAt(key), `${key}: ${String(raw[key])} is ${long.words}${key === 'timeout' ? ' per attempt' : ''}, as a bare number counts seconds: write ${key}: ${long.seconds} if that is meant, ${long.otherwise.join(' or ')} otherwise`);
      if (key === 'timeout') spec.timeoutMs = ms;
      else spec.backoffMs = ms;
    }
  }
  if (raw.retries !== undefined) {
    const n = Number(raw.retries);
    if (!Number.isInteger(n) || n < 1 || n > 100) {
      sink.error('bad-check', keyAt('retries'), `retries: ${String(raw.retries)}: want the total number of attempts, 1 to 100`);
      ok = false;
    } else spec.attempts = n;
  }
  // Without a target there is nothing to run, nor a target for lint to read.
  return targetless ? undefined : { spec, ok };
}
