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
import { checkWhy } from './check-why.js';

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
  const body = redact(result.output).slice(0, OUTPUT_EXCERPT * 20);
  const head = readable(body).slice(0, OUTPUT_EXCERPT);
  // The error quotes the body raw: an HTML page's quote is its markup, so its words are kept.
  if (head === '' || (!HTML_START.test(body.trim()) && (result.error ?? '').includes(head.slice(0, 40)))) return undefined;
  return head;
}

/** How an HTML page begins (a server's error page, most often). */
const HTML_START = /^(<!doctype html|<html|<head|<body)/i;

/**
 * A body's words on one line. An HTML error page is read for its title, else its text without
 * the markup: a trial's gate led with `<!DOCTYPE HTML>` where the page said `404 Not Found`.
 */
function readable(body: string): string {
  const flat = body.replace(/\s+/g, ' ').trim();
  if (!HTML_START.test(flat)) return flat;
  const title = /<title[^>]*>([^<]*)<\/title>/i.exec(flat)?.[1]?.trim();
  if (title) return title;
  return flat
    .replace(/<(script|style)[^>]*>.*?<\/\1>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/**
 * A failed attempt's line in the transcript, where its whole output follows: the error without
 * the head of that output it quotes (`bad status 503 (expected 2xx): <body>`), which a trial saw
 * twice in a row.
 */
export function transcriptHeadline(result: ProbeResult): string {
  const error = result.error ?? 'failed';
  const cut = error.indexOf(': ');
  if (result.output === undefined || cut < 0) return error;
  const quoted = error.slice(cut + 2);
  return quoted !== '' && result.output.replace(/\s+/g, ' ').trim().startsWith(quoted) ? error.slice(0, cut) : error;
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
      if (check.follow !== undefined) spec.follow = check.follow;
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

/**
 * A check's `http`/`tcp` target or `contains` as the screen shows it: what the probe is given,
 * so an operator reads the URL that is really tried. A name in `asWritten` keeps its `${NAME}`:
 * a secret's value must never reach the screen, and a var not answered yet has no value the
 * probe will use. `redact` runs last, for a value that holds a secret under a harmless name.
 */
export function shownCheckText(text: string, lookup: (name: string) => string | undefined, asWritten: (name: string) => boolean, redact: (text: string) => string): string {
  // A URL's password from a harmlessly named value (DATABASE_URL=postgres://u:pw@db) is no
  // secret the redactor knows: masked here (a review's finding).
  return redact(expandVars(text, (name) => (asWritten(name) ? undefined : lookup(name))).text).replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi, '$1:***@');
}

const NO_VALUE = "no value (not a var, an env entry of the front matter, or set in stepgate's environment)";

/**
 * The names a failed check's reason says have no value: a retry helps only once they have one
 * (the plain walk's "what next" says how).
 */
export function namesWithoutValue(reason: string | undefined): string[] {
  const at = reason?.indexOf(NO_VALUE) ?? -1;
  if (reason === undefined || at < 0) return [];
  const head = reason.slice(0, at);
  // `http: TARGET: ${A}, ${B} have no value`: the names after the target, not the target's own.
  return [...head.slice(head.lastIndexOf(': ') + 2).matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)].map((m) => m[1] ?? '').filter((name, i, all) => name !== '' && all.indexOf(name) === i);
}

const INTERRUPTED: ChecksOutcome = { ok: false, interrupted: true, reason: 'interrupted by the operator' };

interface CheckRun {
  index: number;
  check: CheckSpec;
  target: string;
  spec: ProbeSpec;
  attempts: number;
  baseMs: number;
  done: number;
  last?: ProbeResult;
  /** The last failed attempt's explanation, from its output with the session's secrets hidden. */
  why?: string;
}

/** What a failed check says in the step's reason: its name, then why (the service's words first). */
function failedText(run: CheckRun): string {
  const what = run.check.name ?? `${run.check.kind} ${run.target}`;
  const why = run.why;
  const error = run.last?.error ?? 'no result';
  // With an explanation, the error's own quote of the body would say it twice: its head is enough.
  const cause = why !== undefined && !error.startsWith(why) ? `${why} (${error.split(': ')[0] ?? error})` : error;
  return `${what} failed after ${run.done} attempt${run.done === 1 ? '' : 's'}: ${cause}`;
}

/**
 * Runs the checks of a step in rounds: each round probes every check that has not passed yet
 * and has attempts left (all at once), reports each attempt in check order, then waits the
 * longest of their backoffs. So every check of a block is probed on each attempt and the gate
 * shows each one's state, instead of only the first failing one. The step passes when every
 * check has passed; a check that passed is not probed again.
 */
export async function runCheckStep(step: CheckStep, ctx: CheckContext): Promise<ChecksOutcome> {
  // A check block whose checks were all invalid must not pass the gate by having none.
  if (step.checks.length === 0) return { ok: false, interrupted: false, reason: 'this check step has no valid check to run (see stepgate lint)' };
  const runs: CheckRun[] = [];
  for (const [index, check] of step.checks.entries()) {
    // A `run:` command is shell text: splicing a value into it would let the value run as
    // code. Its vars are in its environment, so bash expands `${NAME}` itself, as data.
    const expanded = check.kind === 'run' ? undefined : expandVars(check.target, ctx.lookup);
    // A name with no value can never become a URL or a host: retried, it cost a trial 30 s of
    // "invalid URL" before the gate said what was wrong.
    if (expanded !== undefined && expanded.unknown.length > 0) {
      const unknown = [...new Set(expanded.unknown)];
      const names = unknown.map((name) => `\${${name}}`).join(', ');
      return { ok: false, interrupted: false, reason: `${check.kind}: ${check.target}: ${names} ${unknown.length === 1 ? 'has' : 'have'} ${NO_VALUE}; not tried` };
    }
    const target = expanded?.text ?? check.target;
    const spec = probeSpec(check, target, ctx);
    if (typeof spec === 'string') return { ok: false, interrupted: false, reason: spec };
    const { attempts, baseMs } = checkPolicy(step, check);
    runs.push({ index, check, target, spec, attempts, baseMs, done: 0 });
  }
  for (;;) {
    const due = runs.filter((run) => !run.last?.ok && run.done < run.attempts);
    if (due.length === 0) break;
    if (ctx.signal.aborted) return INTERRUPTED;
    const results = await Promise.all(due.map((run) => ctx.probe(run.spec, ctx.signal, ctx.redact)));
    if (ctx.signal.aborted) return INTERRUPTED;
    due.forEach((run, i) => {
      run.last = results[i];
      run.done += 1;
    });
    // One wait per round: the longest backoff of the checks that will be tried again, so each
    // waits at least its own documented delay.
    const delays = due.filter((run) => !run.last?.ok && run.done < run.attempts).map((run) => ctx.backoff(run.done, { attempts: run.attempts, baseMs: run.baseMs }));
    const wait = delays.length > 0 ? Math.max(...delays) : undefined;
    for (const run of due) {
      const last = run.last as ProbeResult;
      const fields: AttemptFields = { check: run.index, target: run.target, attempt: run.done, of: run.attempts, ok: last.ok, latencyMs: last.latencyMs };
      if (run.check.name !== undefined) fields.name = run.check.name;
      if (last.status !== undefined) fields.status = last.status;
      if (last.exitCode !== undefined) fields.exitCode = last.exitCode;
      if (last.error !== undefined) fields.error = last.error;
      if (!last.ok) {
        // Secrets hidden before it is read: the explanation reaches the journal and the reason.
        const why = checkWhy(last.output === undefined ? undefined : (ctx.redact ?? ((t: string) => t))(last.output));
        if (why !== undefined) fields.why = why;
        run.why = why;
      }
      const excerpt = outputExcerpt(last, ctx.redact);
      if (excerpt !== undefined) fields.output = excerpt;
      if (!last.ok && run.done < run.attempts && wait !== undefined) fields.nextDelayMs = wait;
      ctx.transcript(`${run.check.kind} ${run.target} attempt ${run.done}/${run.attempts}: ${last.ok ? 'ok' : transcriptHeadline(last)}\n${last.output ? `${last.output}\n` : ''}`);
      await ctx.report(fields);
    }
    if (wait !== undefined) {
      try {
        await ctx.clock.sleep(wait, ctx.signal);
      } catch {
        return INTERRUPTED;
      }
    }
  }
  const failed = runs.filter((run) => !run.last?.ok);
  if (failed.length === 0) return { ok: true, interrupted: false };
  const head = failed.length > 1 ? `${failed.length} of ${runs.length} checks failed: ` : '';
  return { ok: false, interrupted: false, reason: `${head}${failed.map(failedText).join('; ')}` };
}
