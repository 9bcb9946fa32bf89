/**
 * The journal's events, checked as they are read (issue 13, item 5). One journal with an
 * unknown event type or a malformed `session-started` used to make `sessions` and a bare
 * `resume` fail for every session, and an event without a valid `at` made `log` throw
 * `RangeError: Invalid time value`. Each line is now checked against the shape the engine
 * relies on; a line that fails is reported (file:line, what is wrong) and left out.
 *
 * Deliberately a few small combinators rather than a schema library: the checks are what the
 * reducer, `log` and `sessions` dereference, no more, so a journal written by an older
 * stepgate (fewer optional fields) still reads.
 */
import type { RolloutEvent } from '../fleet/rollout.js';
import type { SessionEvent } from './types.js';

/** Returns a problem in words, or undefined when `value` fits. */
type Check = (value: unknown) => string | undefined;

const str: Check = (v) => (typeof v === 'string' ? undefined : 'must be a string');
const bool: Check = (v) => (typeof v === 'boolean' ? undefined : 'must be true or false');
const num: Check = (v) => (typeof v === 'number' && Number.isFinite(v) ? undefined : 'must be a finite number');
const int: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? undefined : 'must be a whole number >= 0');
/** Milliseconds since the epoch that `Date` can format. */
const time: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 8.64e15 ? undefined : 'must be a time in ms since the epoch');
const nullableInt: Check = (v) => (v === null ? undefined : Number.isSafeInteger(v) ? undefined : 'must be a whole number or null');
const any: Check = () => undefined;

function oneOf(...values: string[]): Check {
  return (v) => (typeof v === 'string' && values.includes(v) ? undefined : `must be one of ${values.join(', ')}`);
}

function array(of: Check): Check {
  return (v) => {
    if (!Array.isArray(v)) return 'must be a list';
    for (const [i, item] of v.entries()) {
      const problem = of(item);
      if (problem) return `[${i}] ${problem}`;
    }
    return undefined;
  };
}

/** An object with these fields; a key ending in `?` is optional. Other fields are allowed. */
function object(fields: Record<string, Check>): Check {
  return (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object';
    const record = v as Record<string, unknown>;
    for (const [spec, check] of Object.entries(fields)) {
      const optional = spec.endsWith('?');
      const name = optional ? spec.slice(0, -1) : spec;
      const value = record[name];
      if (value === undefined) {
        if (optional) continue;
        return `${name} is missing`;
      }
      const problem = check(value);
      if (problem) return `${name} ${problem}`;
    }
    return undefined;
  };
}

const who = object({ user: str, 'account?': str, 'ssmSessionId?': str });
const recoveryPath = object({ label: str, file: str, 'anchor?': str, origin: any });
const step: Check = (v) => {
  const base = object({ id: str, kind: oneOf('command', 'check', 'manual') })(v);
  if (base) return base;
  switch ((v as { kind: string }).kind) {
    case 'command':
      return object({ script: str, lang: str, attrs: object({}) })(v);
    case 'check':
      return object({ checks: array(object({})), attrs: object({}) })(v);
    default:
      return object({ text: str, done: bool })(v);
  }
};
const flowItem = object({ key: str, file: str, phase: oneOf('before', 'main', 'after', 'recovery'), step, hash: str, recoveries: array(recoveryPath) });
const frame = object({ source: object({ file: str, 'anchor?': str }), title: str, items: array(flowItem), rollback: bool });
const digest = object({ path: str, sha256: str });
const place = { at: time, depth: int, index: int, key: str };
const decision: Check = (v) => {
  const kind = (v as { kind?: unknown } | null)?.kind;
  switch (kind) {
    case 'retry':
    case 'decline':
      return undefined;
    case 'confirm':
      return object({ 'auto?': bool })(v);
    case 'recover':
      return object({ path: recoveryPath, frame, 'auto?': bool })(v);
    case 'skip':
    case 'override':
      return object({ reason: str })(v);
    case 'abort':
      return object({ 'reason?': str })(v);
    case 'jump':
      return object({ index: int, reason: str })(v);
    default:
      return `kind ${JSON.stringify(kind)} is not a decision`;
  }
};

const SCHEMAS: Record<SessionEvent['type'], Check> = {
  'session-started': object({ at: time, v: int, id: str, version: str, who, host: str, pid: int, cwd: str, runbooks: array(digest), frame, vars: array(object({ name: str })), options: object({ 'as?': str, 'yes?': bool, 'allowedUntrusted?': array(str) }), 'runAs?': str }),
  'var-answered': object({ at: time, name: str, secret: bool, 'value?': str, source: oneOf('prompt', 'flag', 'env', 'default', 'resume') }),
  'var-captured': object({ ...place, name: str, value: str }),
  'step-started': object({ ...place, attempt: int }),
  'check-attempt': object({ ...place, check: int, target: str, 'name?': str, attempt: int, of: int, ok: bool, latencyMs: num, 'status?': int, 'exitCode?': num, 'error?': str, 'output?': str, 'nextDelayMs?': num }),
  'step-finished': object({ ...place, ok: bool, exitCode: nullableInt, 'signal?': str, durationMs: num, timedOut: bool, interrupted: bool, 'shellExited?': bool, 'reason?': str, 'transcript?': str, 'transcriptLost?': str }),
  'confirm-requested': object(place),
  decision: object({ ...place, who, decision }),
  'session-resumed': object({ at: time, who, pid: int, host: str, 'tornLine?': object({ line: int, bytes: int }), 'as?': str, 'runAs?': str, 'acceptedEdits?': array(object({ line: int, what: str, 'sha256?': str })) }),
  'session-discarded': object({ at: time, who, reason: str }),
  preflight: object({
    at: time,
    findings: array(object({ severity: oneOf('error', 'warning', 'note'), code: str, file: str, line: int, 'step?': str, message: str })),
    ms: num,
    'skipped?': object({ reason: str, who }),
  }),
  'terminal-closed': object({ at: time, signal: str, kept: bool, 'terminal?': object({ who, 'tty?': str, 'readOnly?': bool }) }),
  'terminal-attached': object({ at: time, terminal: object({ who, 'tty?': str, 'readOnly?': bool }) }),
  'terminal-detached': object({ at: time, terminal: object({ who, 'tty?': str, 'readOnly?': bool }) }),
  'lock-taken-over': object({ at: time, lock: str, side: oneOf('took', 'lost'), by: object({ user: str, pid: int, 'session?': str, 'uid?': int, 'claimedUser?': str }), 'from?': object({ user: str, pid: int, 'session?': str }), reason: str }),
  'plan-replaced': object({ at: time, depth: int, frame, diff: object({ added: array(str), removed: array(str), edited: array(str) }), runbooks: array(digest) }),
  'shell-reset': object({ at: time, cause: oneOf('shell-ended', 'resumed'), reason: str, 'restored?': object({ 'cwd?': str, exported: int }) }),
};

/** A fleet rollout's journal (`rollouts/ID.jsonl`): its own events, checked the same way. */
const instanceRow = object({ instanceId: str, 'step?': str, status: str, 'durationMs?': num, 'tail?': str, 'final?': bool });
const ROLLOUT_SCHEMAS: Record<RolloutEvent['type'], Check> = {
  'rollout-started': object({
    at: time,
    id: str,
    who,
    host: str,
    runbook: object({ file: str, sha256: str }),
    document: object({ name: str, version: str, created: bool, unchanged: bool }),
    targets: object({ 'instanceIds?': array(str), 'tag?': object({ key: str, value: str }) }),
    maxConcurrency: str,
    maxErrors: str,
    'region?': str,
  }),
  'command-sent': object({ at: time, commandId: str, status: str }),
  'instance-changed': object({ at: time, row: instanceRow }),
  'cancel-requested': object({ at: time, who: object({ user: str }) }),
  'rollout-finished': object({ at: time, status: str, ok: bool, failed: array(instanceRow), 'noInstance?': bool, 'neverStarted?': bool }),
  'rollout-error': object({ at: time, message: str }),
  'edits-accepted': object({ at: time, who: object({ user: str }), command: oneOf('status', 'cancel'), edits: array(object({ line: int, what: str, 'sha256?': str })) }),
};

function problemIn(table: Record<string, Check>, value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not an event object';
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string') return 'no event type';
  const schema = table[type];
  if (!schema) return `unknown event type ${JSON.stringify(type.slice(0, 40))}`;
  const problem = schema(value);
  return problem === undefined ? undefined : `${type}: ${problem}`;
}

/** What is wrong with `value` as a journal event, or undefined when it is one. */
export function eventProblem(value: unknown): string | undefined {
  return problemIn(SCHEMAS, value);
}

/** What is wrong with `value` as a rollout journal event, or undefined when it is one. */
export function rolloutEventProblem(value: unknown): string | undefined {
  return problemIn(ROLLOUT_SCHEMAS, value);
}

export function isValidEvent(value: unknown): value is SessionEvent {
  return eventProblem(value) === undefined;
}
