/**
 * Checks that need more than one block at a time: targets that must resolve, advice on shell
 * habits stepgate replaces, variables nobody defines. Pure: other files come through `load`.
 */
import { DiagnosticSink, compareDiagnostics } from './diagnostics.js';
import { resolveTarget } from './links.js';
import type { Diagnostic, LinkTarget, Runbook, Step } from './model.js';
import { findSection } from './sections.js';
import { looksSecretName, referencedNames } from './vars.js';
import { nearMiss } from './near-miss.js';
import { lintRecoveryInFlow } from './recovery-in-flow.js';

export interface LintContext {
  /** The parsed runbook at a resolved path, or undefined when there is no such file. */
  load(file: string): Runbook | undefined;
  /** The process environment, for `${NAME}` in checks. */
  env: Record<string, string | undefined>;
  /** Why a file `load` gave nothing for could not be read (a FIFO, a device, a link loop), if known. */
  whyUnreadable?: (file: string) => string | undefined;
  /**
   * Names a session gives this runbook from the runbooks that reach it (their vars and
   * captures): a checklist or recovery runbook reads the deploy's `${PORT}` without declaring it.
   */
  inherited?: ReadonlySet<string>;
}

/**
 * The names a runbook gives the whole session: its vars (asked at the start) and, with
 * `captures`, its steps' captures, which exist only once those steps ran: a `before:`
 * checklist runs first and has none of them. Not its env entries: a step gets those of its own
 * file only (session/step-context.ts).
 */
export function sessionNames(runbook: Runbook, captures: boolean): Set<string> {
  const names = new Set<string>(runbook.frontMatter.vars.map((v) => v.name));
  if (captures) for (const step of runbook.steps) if (step.kind !== 'manual' && step.attrs.capture !== undefined) names.add(step.attrs.capture);
  return names;
}

type Resolution = { ok: true } | { ok: false; why: string };

export function checkTarget(from: Runbook, target: LinkTarget, ctx: LintContext): Resolution {
  const resolved = resolveTarget(from.file, target);
  const runbook = target.file === undefined ? from : ctx.load(resolved.file);
  if (!runbook) return { ok: false, why: ctx.whyUnreadable?.(resolved.file) ?? `file ${resolved.file} not found` };
  if (resolved.anchor !== undefined && !findSection(runbook, resolved.anchor)) {
    const known = runbook.sections.map((s) => `#${s.anchor}`).slice(0, 8).join(', ');
    return { ok: false, why: `no heading #${resolved.anchor} in ${resolved.file}${known ? ` (headings: ${known})` : ''}` };
  }
  return { ok: true };
}

/** `sudo -i`, `sudo su`, `su -`: stepgate already runs the step as the right user. */
const USER_SWITCH = /(^|[\s;&|(])(sudo\s+(-\S+\s+)*(-i|--login|su)\b|su\s+(-|-l|--login)(\s|$))/m;
const LOOP = /(^|[\s;&|(])(for|while|until)\s/m;
/**
 * A job left running in the background: a lone `&` (not `&&`, `2>&1`, `&>`) at the end of a
 * line or before `;`. (`(cmd &)` is not one: the subshell's child is no job of the shell, and a
 * hang-up leaves it running, as in a terminal.) When stepgate's shell ends (the session ends, stepgate quits, the
 * terminal drops) it is hung up as a terminal would: the shell's jobs get SIGHUP and end.
 */
const BACKGROUND = /(?<![&>|<])&(?![&>])\s*(?:$|;)/m;
/** What keeps a job past the hang-up (nohup, disown, setsid, systemd-run), or a step that waits for it. */
const OUTLIVES = /(^|[\s;&|(])(nohup|disown|setsid|systemd-run|wait)(\s|$|;)/m;

export function lintRunbook(runbook: Runbook, ctx: LintContext): Diagnostic[] {
  const sink = new DiagnosticSink(runbook.file);
  const fm = runbook.frontMatter;
  const mustResolve = (target: LinkTarget | undefined, what: string): void => {
    if (!target) return;
    const r = checkTarget(runbook, target, ctx);
    if (!r.ok) sink.error('unresolved-target', target.position, `${what} ${target.raw}: ${r.why}`);
  };
  mustResolve(fm.recovery, 'recovery:');
  for (const t of fm.before) mustResolve(t, 'before:');
  for (const t of fm.after) mustResolve(t, 'after:');
  for (const section of runbook.sections) mustResolve(section.recover, 'recover=');
  for (const step of runbook.steps) if (step.kind !== 'manual') mustResolve(step.attrs.recover, 'recover=');

  for (const ref of runbook.crossRefs) {
    const r = checkTarget(runbook, ref.target, ctx);
    if (!r.ok) sink.warn('unresolved-link', ref.target.position, `cross-reference ${ref.target.raw}: ${r.why}`);
  }

  lintRecoveryInFlow(runbook, sink);
  lintNames(runbook, sink);
  const known = new Set<string>([...fm.vars.map((v) => v.name), ...Object.keys(fm.env)]);
  lintCaptures(runbook, sink, known);
  for (const step of runbook.steps) if (step.kind !== 'manual' && step.attrs.capture !== undefined) known.add(step.attrs.capture);
  for (const name of ctx.inherited ?? []) known.add(name);
  // A front matter that did not parse has its own error; every ${NAME} it may define would
  // otherwise be a warning too, pointing away from it.
  const isDefined = (name: string): boolean => fm.unreadable === true || known.has(name) || ctx.env[name] !== undefined;
  for (const step of runbook.steps) {
    lintStep(step, sink, isDefined);
    lintShellNames(step, sink, isDefined, known);
  }
  return [...runbook.diagnostics, ...sink.items].sort(compareDiagnostics);
}

/** `$NAME` or `${NAME}` of an environment-style (upper-case) name in shell text. */
const SHELL_REFERENCE = /\$\{?([A-Z_][A-Z0-9_]*)/g;

/**
 * A shell's `$NAME` one typo from a var or env entry of the runbook, and set neither there nor
 * by the step itself (`NAME=`, `read NAME`, `for NAME in`): the step would get an empty value (a
 * trial's `run: curl ...:$APP_PROT/healthz` passed lint and preflight, then failed three times
 * on port 80). Only near misses: a step may use any variable of its own or of the host.
 */
function lintShellNames(step: Step, sink: DiagnosticSink, isDefined: (name: string) => boolean, known: ReadonlySet<string>): void {
  const scripts = step.kind === 'command' ? [step.script] : step.kind === 'check' ? step.checks.filter((c) => c.kind === 'run').map((c) => c.target) : [];
  const said = new Set<string>();
  for (const script of scripts) {
    // Each name once per script: setInScript reads the whole script (a review's step of 8,000
    // lines naming two unknown names on each took 22 s to lint).
    const examined = new Set<string>();
    for (const [, name = ''] of script.matchAll(SHELL_REFERENCE)) {
      if (examined.has(name)) continue;
      examined.add(name);
      if (said.has(name) || isDefined(name) || setInScript(script, name)) continue;
      const meant = nearMiss(name, known);
      if (meant === undefined) continue;
      said.add(name);
      sink.warn('unknown-variable', step.position, `$${name} is not a var or env entry of this runbook, nor set in this ${step.kind === 'check' ? 'check' : 'step'}: did you mean $${meant}?`);
    }
  }
}

/** Whether the script gives `name` a value itself. */
function setInScript(script: string, name: string): boolean {
  return new RegExp(`(?:^|[\\s;&|(])(?:(?:export|local|declare|readonly|typeset)(?:\\s+-\\w+)*\\s+)?${name}\\+?=|\\bread\\b[^\\n;|&]*\\b${name}\\b|\\bfor\\s+${name}\\s+in\\b|\\bexport\\s+${name}\\b`, 'm').test(script);
}

/** The prefix of stepgate's own variables in the step's shell (src/exec/rc-script.ts). */
const OWN_SHELL_PREFIX = '__sg_';

/**
 * Front-matter names: one that starts like stepgate's own shell variables would overwrite them
 * (or be overwritten) in every step; a secret-looking `env:` entry with a value puts the secret
 * in the runbook file, and in every clone and review of its repository.
 */
function lintNames(runbook: Runbook, sink: DiagnosticSink): void {
  const fm = runbook.frontMatter;
  const at = { line: 1, column: 1 };
  for (const v of fm.vars)
    if (v.name.startsWith(OWN_SHELL_PREFIX)) sink.error('reserved-name', v.position, `var ${v.name}: names starting ${OWN_SHELL_PREFIX} are stepgate's own variables in the step's shell; rename it`);
  for (const [name, value] of Object.entries(fm.env)) {
    const position = fm.envPositions?.[name] ?? at;
    if (name.startsWith(OWN_SHELL_PREFIX)) sink.error('reserved-name', position, `env ${name}: names starting ${OWN_SHELL_PREFIX} are stepgate's own variables in the step's shell; rename it`);
    // A var of the same name wins over the entry in every step, so its value is a local default.
    if (looksSecretName(name) && value !== '' && !fm.vars.some((v) => v.name === name))
      sink.warn('secret-in-runbook', position, `env ${name} looks like a secret's name and its value is written in the runbook, for anyone who reads the file or its repository: declare it under vars: instead (${name}: {prompt: ..., secret: true}), which stepgate asks for or reads from STEPGATE_VAR_${name}`);
  }
}

/**
 * `capture=NAME`: only a command prints something to keep; the value is journaled in clear, so
 * a secret-looking name is refused; a var or env entry of the same name would be shadowed.
 */
function lintCaptures(runbook: Runbook, sink: DiagnosticSink, declared: Set<string>): void {
  const seen = new Map<string, string>();
  for (const step of runbook.steps) {
    if (step.kind === 'manual' || step.attrs.capture === undefined) continue;
    const name = step.attrs.capture;
    if (step.kind === 'check') {
      sink.error('bad-attribute', step.position, `capture=${name}: only a command step prints a value to capture; checks keep none`);
      continue;
    }
    if (looksSecretName(name))
      sink.error('bad-attribute', step.position, `capture=${name}: a captured value is journaled in clear, and ${name} looks like a secret's name; capture something that is not a secret, or use a secret var`);
    if (declared.has(name))
      sink.error('bad-attribute', step.position, `capture=${name}: ${name} is already a var or an env entry of the front matter; pick another name`);
    const first = seen.get(name);
    if (first !== undefined)
      sink.warn('bad-attribute', step.position, `capture=${name} is also captured by step ${first}; a capture is written once per session, so whichever passes first wins`);
    else seen.set(name, step.id);
  }
}

function lintStep(step: Step, sink: DiagnosticSink, isDefined: (name: string) => boolean): void {
  if (step.kind === 'manual') {
    // A trial pasted a checklist back from a closed ticket: its "backup taken" item passed
    // unasked and the next step dropped a table. Ticked in the file means passed in every session.
    if (step.done)
      sink.warn('pre-ticked', step.position, `"${step.text.length > 60 ? `${step.text.slice(0, 57)}...` : step.text}" is ticked in the runbook, so every session passes it without anyone confirming it: untick it (- [ ]) to have the operator confirm it each time`);
    return;
  }
  if (step.description.trim() === '')
    sink.warn('no-description', step.position, `${step.kind === 'check' ? 'check' : 'step'} ${step.id} has no description: write a sentence before the block saying what it does and why`);
  if (step.kind === 'command') {
    if (step.attrs.retries !== undefined || step.attrs.backoffMs !== undefined)
      sink.warn('ignored-attribute', step.position, 'retries= and backoff= apply to check blocks only: a command step runs once and blocks on failure (retry it from the gate, or move the condition into a check block)');
    if (USER_SWITCH.test(step.script))
      sink.warn('sudo-in-step', step.position, 'this step switches user itself (sudo -i / su -); stepgate already runs steps as the runbook\'s user: set user: in front matter or user= on the step instead');
    if (LOOP.test(step.script) && /\bcurl\b/.test(step.script) && /\bsleep\b/.test(step.script))
      sink.warn('curl-retry-loop', step.position, 'a curl retry loop reads better as a check block (```check with http: URL), which retries with backoff and gates progress');
    if (BACKGROUND.test(step.script) && !OUTLIVES.test(step.script))
      sink.warn('background-job', step.position, 'a background job (cmd &) gets SIGHUP and ends when stepgate\'s shell ends (the session ends, stepgate quits, the connection drops), as in a terminal: start it with nohup (or disown it, or setsid -f) to keep it running, or through the host\'s service manager');
    return;
  }
  for (const check of [...step.checks, ...(step.refused ?? [])]) {
    for (const field of [check.target, check.contains ?? '']) {
      for (const name of referencedNames(field)) {
        if (!isDefined(name))
          sink.warn('unknown-variable', check.position, `\${${name}} is not a var, an env entry in front matter, or set in this environment`);
      }
    }
  }
}
