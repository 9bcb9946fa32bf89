/**
 * Running a check step: each check's `${NAME}`s expanded by stepgate (http, tcp, `contains`;
 * a `run:` command gets them from its environment instead), turned into a probe
 * spec, tried up to its attempts with backoff on the session's clock. Every attempt is
 * reported (and journaled by the caller) before the wait for the next one begins.
 */
import type { Clock, ProbeResult, ProbeSpec } from '../exec/types.js';
import type { CheckSpec, CheckStep } from '../runbooks/model.js';
import type { SessionEvent } from './types.js';
import { expandVars } from '../runbooks/vars.js';

/** `host:port` or `[v6]:port`. */
export function hostPort(target: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(target) ?? /^([^:]+):(\d+)$/.exec(target);
  if (!m) return undefined;
  return { host: m[1] ?? '', port: Number(m[2]) };
}

/**
 * A check's retry policy. The parser already applied the fence's `retries`/`backoff` as
 * defaults under each check's own fields, so this agrees with `plan` and the format doc.
 */
export function checkPolicy(_step: CheckStep, check: CheckSpec): { attempts: number; baseMs: number } {
  return { attempts: Math.max(1, check.attempts), baseMs: check.backoffMs };
}

/** How much of a failed attempt's body or output `check-attempt` carries. */
export const OUTPUT_EXCERPT = 200;

/**
 * The head of a failed attempt's output for the journal, unless its error already quotes it.
 * `redact` runs on the whole output first: cut or with its spaces collapsed, a secret would no
 * longer be found by the journal's redaction, and its head (or all of it) would reach disk.
 */
export function outputExcerpt(result: ProbeResult, redact: (text: string) => string = (text) => text): string | undefined {
  if (result.ok || result.output === undefined) return undefined;
  const head = redact(result.output).slice(0, OUTPUT_EXCERPT * 4).replace(/\s+/g, ' ').trim().slice(0, OUTPUT_EXCERPT);
  if (head === '' || (result.error ?? '').includes(head.slice(0, 40))) return undefined;
  return head;
}

/** One attempt as the journal's `check-attempt` has it (without type, time and step). */
export type AttemptFields = Omit<Extract<SessionEvent, { type: 'check-attempt' }>, 'type' | 'at' | 'depth' | 'index' | 'key'>;

export interface CheckContext {
  probe: (spec: ProbeSpec, signal?: AbortSignal, redact?: (text: string) => string) => Promise<ProbeResult>;
  clock: Clock;
  backoff: (attempt: number, policy: { attempts: number; baseMs: number }) => number;
  /** `${NAME}` values: vars, front-matter env, process env. */
  lookup: (name: string) => string | undefined;
  /** For `run:` checks: environment, user and cwd of the step. */
  env: Record<string, string>;
  user?: string;
  cwd?: string;
  signal: AbortSignal;
  /** A line for the step's transcript. */
  transcript: (text: string) => void;
  /** Awaited before waiting for the next attempt. */
  report: (attempt: AttemptFields) => Promise<void>;
  /** Replaces the session's secrets in a failed attempt's output before its head is kept. Default: none. */
  redact?: (text: string) => string;
}

export interface ChecksOutcome {
  ok: boolean;
  interrupted: boolean;
  reason?: string;
}

/** The probe for one check, or why there cannot be one. */
export function probeSpec(check: CheckSpec, target: string, ctx: Pick<CheckContext, 'lookup' | 'env' | 'user' | 'cwd'>): ProbeSpec | string {
  const contains = check.contains === undefined ? undefined : expandVars(check.contains, ctx.lookup).text;
  switch (check.kind) {
    case 'http': {
      const spec: ProbeSpec = { kind: 'http', url: target, expect: check.expect, timeoutMs: check.timeoutMs };
      if (contains !== undefined) spec.contains = contains;
      return spec;
    }
    case 'tcp': {
      const hp = hostPort(target);
      if (!hp) return `tcp check target ${target} is not host:port`;
      return { kind: 'tcp', host: hp.host, port: hp.port, timeoutMs: check.timeoutMs };
    }
    case 'run': {
      const spec: ProbeSpec = { kind: 'run', command: target, env: ctx.env, timeoutMs: check.timeoutMs };
      if (ctx.user !== undefined) spec.user = ctx.user;
      if (ctx.cwd !== undefined) spec.cwd = ctx.cwd;
      if (contains !== undefined) spec.contains = contains;
      return spec;
    }
    default: {
      const never: never = check.kind;
      return `unknown check kind ${String(never)}`;
    }
  }
}

const INTERRUPTED: ChecksOutcome = { ok: false, interrupted: true, reason: 'interrupted by the operator' };

/** Runs the checks of a step in order; the first one still failing after its attempts fails the step. */
export async function runCheckStep(step: CheckStep, ctx: CheckContext): Promise<ChecksOutcome> {
  // A check block whose checks were all invalid must not pass the gate by having none.
  if (step.checks.length === 0) return { ok: false, interrupted: false, reason: 'this check step has no valid check to run (see stepgate lint)' };
  for (const [i, check] of step.checks.entries()) {
    // A `run:` command is shell text: splicing a value into it would let the value run as
    // code. Its vars are in its environment, so bash expands `${NAME}` itself, as data.
    const target = check.kind === 'run' ? check.target : expandVars(check.target, ctx.lookup).text;
    const spec = probeSpec(check, target, ctx);
    if (typeof spec === 'string') return { ok: false, interrupted: false, reason: spec };
    const { attempts, baseMs } = checkPolicy(step, check);
    let last: ProbeResult | undefined;
    for (let attempt = 1; attempt <= attempts; attempt += 1) {
      if (ctx.signal.aborted) return INTERRUPTED;
      last = await ctx.probe(spec, ctx.signal, ctx.redact);
      const nextDelayMs = !last.ok && attempt < attempts ? ctx.backoff(attempt, { attempts, baseMs }) : undefined;
      const fields: AttemptFields = { check: i, target, attempt, of: attempts, ok: last.ok, latencyMs: last.latencyMs };
      if (check.name !== undefined) fields.name = check.name;
      if (last.status !== undefined) fields.status = last.status;
      if (last.exitCode !== undefined) fields.exitCode = last.exitCode;
      if (last.error !== undefined) fields.error = last.error;
      const excerpt = outputExcerpt(last, ctx.redact);
      if (excerpt !== undefined) fields.output = excerpt;
      if (nextDelayMs !== undefined) fields.nextDelayMs = nextDelayMs;
      ctx.transcript(`${check.kind} ${target} attempt ${attempt}/${attempts}: ${last.ok ? 'ok' : (last.error ?? 'failed')}\n${last.output ? `${last.output}\n` : ''}`);
      await ctx.report(fields);
      if (last.ok) break;
      if (nextDelayMs !== undefined) {
        try {
          await ctx.clock.sleep(nextDelayMs, ctx.signal);
        } catch {
          return INTERRUPTED;
        }
      }
    }
    if (!last?.ok) {
      const what = check.name ?? `${check.kind} ${target}`;
      return { ok: false, interrupted: false, reason: `${what} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${last?.error ?? 'no result'}` };
    }
  }
  return { ok: true, interrupted: false };
}
