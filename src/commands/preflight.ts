/**
 * Checks made before a session starts, so that an operator who cannot become the run-as user
 * is told how to fix it before anything runs or is journaled.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import { scriptWords } from '../exec/bash-words.js';
import { askHost } from '../exec/host-check.js';
import { NO_SUCH_USER_FIX, RunAsError, resolveRunAs } from '../exec/run-as.js';
import type { HostAnswers, ScriptWords } from '../exec/types.js';
import { formatDiagnostic, type Runbook } from '../runbooks/index.js';
import { reachableSteps } from '../runbooks/reach.js';
import { DEFAULT_MIN_FREE_KIB, formatFinding, planPreflight, preflightFindings, stepKey, type Finding } from '../session/preflight.js';
import { openPreflightCache } from '../session/preflight-cache.js';
import { printable } from '../session/printable.js';
import { looksSecret, SecretSet } from '../session/redact.js';
import { createRunbookCache, primeRunbooks, readRunbookFileSync } from './load.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { PREFLIGHT } from './specs.js';
import { parseVarFlags } from './var-flags.js';
import { refusedVarValues } from './var-values.js';
import { EXIT } from './exit-codes.js';
import { lintErrors, refusalLine } from './lint-gate.js';

/** Undefined when stepgate can become `user` (undefined = the current user); else why not. */
export async function runAsRefusal(user: string | undefined): Promise<string | undefined> {
  try {
    await resolveRunAs(user);
    return undefined;
  } catch (error) {
    if (error instanceof RunAsError) return error.message;
    throw error;
  }
}

/** The run-as user a journaled session's main runbook names, read afresh (undefined = the invoking user). */
export function runbookUser(started: { cwd: string; frame: { source: { file: string } } }): string | undefined {
  return readRunbookFileSync(resolve(started.cwd, started.frame.source.file)).runbook.frontMatter.user;
}

/**
 * The host-aware half of checking a runbook (lint is the host-free half): everything the session
 * may run (main flow, checklists, every reachable recovery section) parsed with the run-as
 * user's bash, its commands resolved as that user, its scripts, directories and check hosts
 * looked at, the free space measured. Run by `stepgate preflight` and before every session.
 */
export interface PreflightResult {
  findings: Finding[];
  ms: number;
}

export async function runPreflight(file: string, opts: { as?: string; vars?: Record<string, string> } = {}): Promise<PreflightResult> {
  const started = performance.now();
  await primeRunbooks([file]);
  const main = readRunbookFileSync(file).runbook;
  const load = createRunbookCache();
  const reached = reachableSteps(main, load);
  // Values the host's shell and the check targets see: the front matter's env, then the vars
  // (given with --var, else their defaults); prompted vars without a default stay unknown.
  const values: Record<string, string> = { ...main.frontMatter.env };
  // Secret values (the session's rule: secret vars, secret-looking names) stay out of the
  // findings, which are printed and journaled before the session has the var's value to redact.
  const hidden = new Set(Object.keys(values).filter(looksSecret));
  const secrets = new SecretSet();
  secrets.addEnv(process.env);
  for (const v of main.frontMatter.vars) {
    const given = opts.vars?.[v.name] ?? process.env[`STEPGATE_VAR_${v.name}`] ?? v.default;
    if (given !== undefined) values[v.name] = given;
    if (v.secret || looksSecret(v.name)) hidden.add(v.name);
  }
  for (const name of hidden) secrets.add(values[name]);
  const cache = openPreflightCache();
  const wordsOf = async (script: string): Promise<ScriptWords> => {
    const known = cache.words(script);
    if (known) return known;
    const found = await scriptWords(script);
    cache.rememberWords(script, found);
    return found;
  };
  const words = new Map<string, ScriptWords>();
  for (const r of reached) {
    if (r.step.kind === 'command') words.set(stepKey(r), await wordsOf(r.step.script));
    if (r.step.kind === 'check') {
      for (const [i, check] of r.step.checks.entries()) {
        // A run: check reads its vars from the environment, as the shell does: never spliced in.
        if (check.kind === 'run') words.set(stepKey(r, i), await wordsOf(check.target));
      }
    }
  }
  const input = { reached, words, values, hidden, minFreeKiB: DEFAULT_MIN_FREE_KIB, mainFile: main.file, ...(opts.as !== undefined ? { as: opts.as } : {}) };
  const planned = planPreflight(input);
  const answers = new Map<string | undefined, HostAnswers>();
  const refused: Finding[] = [];
  for (const [user, query] of planned.queries) {
    const who = user ?? userInfo().username;
    const bash = cache.lastBash(who);
    if (bash !== undefined) query.parsedBefore = { bash, keys: Object.keys(query.scripts).filter((key) => cache.parsedBy(bash, query.scripts[key] ?? '')) };
    let said: HostAnswers;
    try {
      said = await askHost(query);
    } catch (error) {
      if (!(error instanceof RunAsError)) throw error;
      // A step's own user= that this host lacks (or sudo refuses): one error where that user's
      // steps begin, and nothing guessed about what they would find.
      const first = planned.firstStep.get(user);
      const named = first && opts.as === undefined ? frontMatterUser(first, user, main, load) : undefined;
      if (named) refused.push(userLineFinding(named.file, named.line, user ?? who, error.message, first?.step));
      else {
        // A step's own user= is not the runbook's user, and --as does not change it: the usual
        // advice ("the runbook's user / --as") would send the operator the wrong way.
        const why = first?.ownUser && error.message.endsWith(NO_SUCH_USER_FIX) ? `${error.message.slice(0, -NO_SUCH_USER_FIX.length)}It is this step's own user= (--as changes only the steps without one): create the user on this host, or change the step's user=.` : error.message;
        refused.push({ severity: 'error', code: 'cannot-run-as', file: first?.file ?? main.file, line: first?.line ?? 1, ...(first ? { step: first.step } : {}), message: `${first ? `step ${first.name} and the steps after it that run as ${user ?? who}` : `steps that run as ${user ?? who}`} cannot start: ${why}` });
      }
      answers.set(user, { syntax: {}, names: {}, paths: {}, dirs: {}, hosts: {}, space: {} });
      continue;
    }
    answers.set(user, said);
    if (said.bash !== undefined) {
      cache.rememberBash(who, said.bash);
      for (const [key, script] of Object.entries(query.scripts)) if (key in said.syntax && said.syntax[key] === undefined) cache.rememberParsed(said.bash, script);
    }
  }
  cache.save();
  const empty: HostAnswers = { syntax: {}, names: {}, paths: {}, dirs: {}, hosts: {}, space: {} };
  // The findings name targets as written where a secret is in them; whatever else quotes a
  // value (a host's error, a path) is redacted as the session would.
  const findings = [...refused, ...preflightFindings(planned, (user) => answers.get(user) ?? empty, input.minFreeKiB, main.file)].map((f) => ({ ...f, message: secrets.redact(f.message) }));
  return { findings, ms: Math.round(performance.now() - started) };
}

/**
 * Where a refused user is named when the first step that runs as it takes it from its file's
 * front matter (no `user=` of its own): the `user:` line, which is what the operator changes.
 */
function frontMatterUser(
  first: { file: string; step: string },
  user: string | undefined,
  main: Runbook,
  load: (file: string) => Runbook | undefined,
): { file: string; line: number } | undefined {
  const book = first.file === main.file ? main : load(first.file);
  const step = book?.steps.find((s) => s.id === first.step);
  if (!book || !step || (step.kind !== 'manual' && step.attrs.user !== undefined)) return undefined;
  const at = book.frontMatter.userPosition;
  return at && book.frontMatter.user === user ? { file: book.file, line: at.line } : undefined;
}

/** A front matter `user:` stepgate cannot become here, at its line, with the two ways out. */
function userLineFinding(file: string, line: number, user: string, why: string, step?: string): Finding {
  // The step named apart from the sentence: a step called `who` read as a word of it (a trial).
  const runs = step === undefined ? 'the session\'s shell runs as it' : `step "${step}" and the steps after it run as it`;
  return {
    severity: 'error',
    code: 'cannot-run-as',
    file,
    line,
    ...(step !== undefined ? { step } : {}),
    // The general way out ("check the runbook's user") said for this very line.
    message: `user: ${user} cannot be used here (${runs}): ${why.endsWith(NO_SUCH_USER_FIX) ? `${why.slice(0, -NO_SUCH_USER_FIX.length)}Create the user on this host (useradd), or change user: here (or pass --as USER).` : why}`,
  };
}

/** The findings for the operator, and the way out when there are errors. */
export function describePreflight(result: PreflightResult, file: string): string {
  const errors = result.findings.filter((f) => f.severity === 'error').length;
  const warnings = result.findings.filter((f) => f.severity === 'warning').length;
  const lines = result.findings.map((f) => printable(formatFinding(f)));
  lines.push(`preflight: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'} (${result.ms} ms)`);
  // --skip-preflight does not get past a run-as user stepgate cannot become: not offered then.
  const runAs = result.findings.filter((f) => f.severity === 'error' && f.code === 'cannot-run-as').length;
  if (errors > 0 && runAs === errors) lines.push(`nothing has run: stepgate cannot become the run-as user above; fix that first (--skip-preflight does not get past it); stepgate preflight ${file} checks again`);
  else if (errors > 0) {
    const but = runAs > 0 ? ' (except the run-as user above, which must be fixed)' : '';
    lines.push(`nothing has run: fix the errors and start again, or pass --skip-preflight REASON to start anyway${but} (the reason is journaled); stepgate preflight ${file} checks again`);
  }
  return `${lines.join('\n')}\n`;
}

const USAGE = PREFLIGHT.usage;

/** `stepgate preflight FILE`: exit 0 when nothing blocks, 1 when an error would, 2 on bad input. */
export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(PREFLIGHT, argv);
  if (typeof parsed === 'number') return parsed;
  const [file, extra] = parsed.positionals;
  if (file === undefined || extra !== undefined) return usageError('preflight takes exactly one runbook file', USAGE);
  const vars = parseVarFlags(parsed.values.var);
  if (typeof vars === 'string') return usageError(vars, USAGE);
  await primeRunbooks([file]);
  const loaded = readRunbookFileSync(file);
  // A runbook run and the TUI would refuse (lint errors, here or in a runbook it reaches)
  // must not pass preflight: the operator would learn it only when starting the session.
  const invalid = lintErrors(loaded.runbook);
  if (invalid.length > 0) {
    for (const d of invalid) process.stderr.write(`${formatDiagnostic(d)}\n`);
    process.stderr.write(`${refusalLine(file, invalid, process.cwd(), `a session of it would not start: fix them (stepgate lint ${file}), then preflight again`)}\n`);
    return EXIT.usage;
  }
  // --as naming a user this host lacks is a bad invocation; the runbook's own user: is a
  // finding at its line, reported (and in --json) like any other.
  if (parsed.values.as !== undefined) {
    const refusal = await runAsRefusal(parsed.values.as);
    if (refusal !== undefined) {
      process.stderr.write(`stepgate: ${refusal}\n`);
      return EXIT.usage;
    }
  }
  // A value the var's pattern refuses: as run and the TUI refuse it, before the host is asked.
  const refused = await refusedVarValues(file, vars, process.env);
  if (refused.length > 0) {
    process.stderr.write(`${refused.join('\n')}\n`);
    return EXIT.usage;
  }
  const result = await runPreflight(file, { ...(parsed.values.as !== undefined ? { as: parsed.values.as } : {}), vars });
  const fm = loaded.runbook.frontMatter;
  if (parsed.values.as === undefined && fm.user !== undefined && !result.findings.some((f) => f.code === 'cannot-run-as' && f.file === loaded.runbook.file && f.line === fm.userPosition?.line)) {
    // No step runs as it (a runbook of manual steps): a session still starts its shell as it.
    const refusal = await runAsRefusal(fm.user);
    if (refusal !== undefined) result.findings.unshift(userLineFinding(loaded.runbook.file, fm.userPosition?.line ?? 1, fm.user, refusal));
  }
  if (parsed.values.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else process.stdout.write(describePreflight(result, file));
  // A run-as user stepgate cannot become is exit 2 here as in run and the TUI (stepgate --help's
  // exit codes); other errors are a host not ready yet.
  if (result.findings.some((f) => f.severity === 'error' && f.code === 'cannot-run-as')) return EXIT.usage;
  return result.findings.some((f) => f.severity === 'error') ? EXIT.blocked : EXIT.completed;
}

/** Preflight found errors and nobody passed --skip-preflight: nothing was started. */
export class PreflightBlocked extends Error {}
/** A var given a value its pattern refuses: bad input (exit 2), not a host that is not ready. */
export class VarValueRefused extends PreflightBlocked {}

/**
 * Preflight before a session starts (run, the TUI): errors stop it here, before a session or a
 * journal exists, unless `skip` gives a reason; the record returned is journaled by the session.
 * Warnings and skipped errors are written to `report` (stderr in plain mode).
 */
export async function preflightBeforeStart(
  file: string,
  opts: { as?: string; vars: Record<string, string>; skip?: string },
  report: (text: string) => void,
): Promise<{ findings: Finding[]; ms: number; skipped?: string }> {
  // A given var value the runbook's pattern refuses: said at the var's declaration, whatever
  // --skip-preflight says (the session would refuse it), before the host is asked about what
  // the value breaks (a URL, a path).
  const refused = await refusedVarValues(file, opts.vars, process.env);
  if (refused.length > 0) throw new VarValueRefused(`${refused.join('\n')}\nnothing has run: give each var by its name, a value its pattern takes`);
  const result = await runPreflight(file, { vars: opts.vars, ...(opts.as !== undefined ? { as: opts.as } : {}) });
  const shown = { ...result, findings: result.findings.filter((f) => f.severity !== 'note') };
  const blocked = shown.findings.some((f) => f.severity === 'error');
  if (blocked && opts.skip === undefined) throw new PreflightBlocked(describePreflight(shown, file).trimEnd());
  if (shown.findings.length > 0) {
    const text = describePreflight(shown, file).split('\n').filter((l) => !l.startsWith('nothing has run')).join('\n');
    report(blocked ? `${text}stepgate: starting despite preflight errors (--skip-preflight: ${opts.skip})\n` : text);
  }
  return { ...shown, ...(blocked && opts.skip !== undefined ? { skipped: opts.skip } : {}) };
}
