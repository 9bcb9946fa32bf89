/**
 * `stepgate run FILE [--as USER] [--yes] [--recover] [--var NAME=VALUE]...`: plain mode.
 * Walks the runbook in order with line-oriented output and stops at the first gate.
 * Exit codes: 0 completed, 1 blocked/aborted/rolled back, 2 usage or invalid runbook, 130 interrupted.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { systemClock } from '../exec/clock.js';
import { shQuote } from '../exec/shell-quote.js';
import type * as ProbesModule from '../exec/probes.js';
import type * as ShellModule from '../exec/shell.js';
import type { WarmShell } from '../exec/warm-shell.js';
import type { Clock } from '../exec/types.js';
import { formatDiagnostic, planRunbook } from '../runbooks/index.js';
import { mainFlowSteps } from '../runbooks/sections.js';
import { lintErrors, refusalLine } from './lint-gate.js';
import type { Diagnostic, Runbook, VarSpec } from '../runbooks/model.js';
import { currentWho, hostName, processAccount, stepgateVersion } from '../session/host.js';
import { FileJournal } from '../session/journal.js';
import { lockSession } from '../session/session-lock.js';
import { newSessionId, sessionsDir } from '../session/session-paths.js';
import { PlanError, collectRunbooks, planMain } from '../session/plan.js';
import { findTranscript } from '../session/transcripts.js';
import { unfinishedSessionOf } from '../session/history.js';
import { describeUnfinished } from './offer-resume.js';
import { displayPath, printEvents } from '../plain/print-events.js';
import { runPlain, type PlainOptions } from '../plain/run-plain.js';
import { EXIT } from './exit-codes.js';
import { createSessionStore, type ProbeRunner, type SessionDeps, type SessionStore, type ShellFactory, type StartOptions } from '../session/store.js';
import { createRunbookCache, loadRunbookFile, whyUnreadable } from './load.js';
import { PreflightBlocked, VarValueRefused, preflightBeforeStart, runAsRefusal } from './preflight.js';
import { unansweredVars } from './var-values.js';
import { allowedUntrusted, refusedUntrusted, setRunbookTree, setTrustPolicy } from './trust.js';
import { SKIP_PREFLIGHT_NO_REASON, usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { RUN } from './specs.js';
import { parseVarFlags } from './var-flags.js';
import { holdRunbookLock, lockFlags, plainLockHeld, plainLockOptions } from './runbook-lock.js';
import { currentItem } from '../session/reducer.js';
import { reading, sharedTerminal, type Terminal } from './controlling-tty.js';
import { unknownSkipRefusal } from './unknown-skip.js';
import { claimOutputLoss, droppedReason, isDrop, outputGone, type Interruption } from './output-loss.js';
import { displayText } from '../session/printable.js';

/** The flags of a plain walk, shared by `run` and `resume` (which adds its own). */

const USAGE = RUN.usage;


/** The real clock (exec's). */
export const wallClock: Clock = systemClock;

let execModules: Promise<[typeof ShellModule, typeof ProbesModule]> | undefined;

/**
 * exec's shell and probes (node-pty, xterm, execa), loaded once. The TUI asks for them after
 * its first paint, plain mode at once; a step or check waits for them if it comes first.
 */
export function loadExec(): Promise<[typeof ShellModule, typeof ProbesModule]> {
  execModules ??= Promise.all([import('../exec/shell.js'), import('../exec/probes.js')]);
  return execModules;
}

/** exec's single-attempt probe; the session retries on its clock so each attempt is journaled first. */
const execProbe: ProbeRunner = async (spec, signal, redact) =>
  (await loadExec())[1].runProbe(spec, { ...(signal ? { signal } : {}), ...(redact ? { redact } : {}) });

const openShell: ShellFactory = async (options) => (await loadExec())[0].openShell(options);

/**
 * The session's shell as `user`, started now (exec's WarmShell): the user's login runs while
 * preflight, the journal and the locks are made. Undefined when it cannot start; the session
 * then starts its shell as always, and says why if that fails too.
 */
export async function prewarmShell(user: string | undefined): Promise<WarmShell | undefined> {
  try {
    return await (await loadExec())[0].WarmShell.start(user, process.stdout.columns ?? 80, process.stdout.rows ?? 24);
  } catch {
    return undefined;
  }
}

/** `factory`, giving the shells it opens `warm` (the first that runs as its user takes it). */
function withWarmShell(factory: ShellFactory, warm: WarmShell | undefined): ShellFactory {
  return warm ? async (options) => await factory({ ...options, warm }) : factory;
}

/** Everything a session needs from the host, shared with `resume`. */
export async function hostDeps(journal: FileJournal, warm?: WarmShell): Promise<SessionDeps> {
  return {
    openShell: withWarmShell(openShell, warm),
    probe: execProbe,
    clock: wallClock,
    journal,
    loadRunbook: loadRunbookFile,
    host: { who: () => currentWho(), account: processAccount(), host: hostName(), pid: process.pid, cwd: process.cwd(), version: stepgateVersion() },
    env: process.env,
    cols: process.stdout.columns ?? 80,
    rows: process.stdout.rows ?? 24,
    findTranscript: (stepId, attempt) => findTranscript(join(journal.dir, journal.id), stepId, attempt),
    allowedUntrusted,
  };
}

/** Where questions are written: stderr on a terminal (stdout stays the run's), else the terminal itself. */
function questionOutput(term: Terminal): NodeJS.WriteStream {
  return term.input === process.stdin && process.stderr.isTTY ? process.stderr : term.output;
}

/**
 * Asks for a var on the operator's terminal (stdin, or /dev/tty when stdin or stdout is not
 * it); secret answers are not echoed. Undefined without any terminal.
 */
export function terminalAsk(term: Terminal | undefined = sharedTerminal()): ((spec: VarSpec, refused?: string) => Promise<string>) | undefined {
  if (term === undefined) return undefined;
  const out = questionOutput(term);
  return (spec, refused) =>
    reading(
      term,
      () =>
        new Promise((resolve) => {
          const rl = createInterface({ input: term.input, output: out, terminal: true });
          // A secret's default is never shown: enter takes it, but it does not go on the screen.
          const shown = spec.default !== undefined && !spec.secret ? ` [${spec.default}]` : spec.default !== undefined ? ' [enter keeps the default]' : '';
          const question = `${spec.prompt}${shown}: `;
          if (refused !== undefined) out.write(`stepgate: ${displayText(refused)}; try again\n`);
          if (spec.secret) {
            // Echo nothing of what is typed: readline writes through this function.
            const writer = rl as unknown as { _writeToOutput: (s: string) => void };
            writer._writeToOutput = (s: string) => {
              if (s.startsWith(question)) out.write(question);
              else if (s.includes('\n') || s.includes('\r')) out.write('\n');
            };
          }
          rl.question(question, (answer) => {
            rl.close();
            resolve(answer);
          });
        }),
    );
}

/**
 * Asks a yes/no question on the operator's terminal: a manual item ("done?") or a `confirm=`
 * step ("run it?"). Undefined without any terminal. Only `y` or `yes` says yes.
 */
export function terminalConfirm(term: Terminal | undefined = sharedTerminal()): ((question: string) => Promise<boolean>) | undefined {
  if (term === undefined) return undefined;
  const out = questionOutput(term);
  return (question) =>
    reading(
      term,
      () =>
        new Promise((resolve) => {
          const rl = createInterface({ input: term.input, output: out, terminal: true });
          rl.question(`${question} [y/N] `, (answer) => {
            rl.close();
            resolve(/^\s*y(es)?\s*$/i.test(answer));
          });
        }),
    );
}

/** How long a step gets to end after Ctrl-C before stepgate leaves anyway on SIGHUP/SIGTERM. */
const SIGNAL_GRACE_MS = 5000;

/**
 * Interrupts the running step on SIGINT/SIGTERM/SIGHUP, or when stdout or stderr is lost
 * (EPIPE, EIO), so its end is journaled, then lets the run return 130. A hang-up (a dropped
 * SSM session), a lost output or SIGTERM does not wait forever for a step that ignores Ctrl-C:
 * after a grace period stepgate leaves, the journal intact, and `resume` shows the step as
 * interrupted. Returns a getter for "was interrupted" and the uninstaller.
 */
export function trapSignals(store: SessionStore): { interrupted: () => boolean; interrupt: () => void; off: () => void } {
  let hit = false;
  let dropped = false;
  const handler = (cause: Interruption): void => {
    const drop = isDrop(cause);
    if (drop) {
      // One drop: SIGHUP and the failed writes of a closed terminal come together, and each
      // later write fails again; none of them is a second Ctrl-C.
      if (dropped) return;
      dropped = true;
      outputGone();
    }
    if (hit) {
      process.stderr.write(`stepgate: ${cause} again, leaving now; the journal is intact\n`);
      process.exit(EXIT.interrupted);
    }
    hit = true;
    process.stderr.write(`\nstepgate: ${cause}: interrupting the running step\n`);
    const actions = store.getState().actions;
    if (drop) {
      // A dropped terminal, journaled as such: not the operator's Ctrl-C (issue 11, item 9).
      void actions.record({ type: 'terminal-closed', signal: cause, kept: false, terminal: { who: currentWho() } }).catch(() => undefined);
      actions.interrupt(droppedReason(cause));
    } else if (cause === 'SIGTERM') actions.interrupt('stepgate got SIGTERM while it ran and stopped it');
    else actions.interrupt();
    if (cause !== 'SIGINT') {
      setTimeout(() => {
        process.stderr.write(`stepgate: the step did not end within ${SIGNAL_GRACE_MS / 1000}s of ${cause}; leaving, the journal is intact\n`);
        process.exit(EXIT.interrupted);
      }, SIGNAL_GRACE_MS).unref();
    }
  };
  const signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  for (const s of signals) process.on(s, handler);
  const releaseOutput = claimOutputLoss(handler);
  return {
    interrupted: () => hit,
    interrupt: () => handler('SIGINT'),
    off: () => {
      signals.forEach((s) => process.off(s, handler));
      releaseOutput();
    },
  };
}

/** Plain mode on this process's terminal: the flags given, plus stdin/stdout, env, signals. */
export function plainOptions(
  flags: Pick<PlainOptions, 'yes' | 'recover' | 'recoverPath' | 'vars' | 'skips'> & { retryBlocked?: boolean },
  signals: { interrupted: () => boolean; interrupt: () => void },
): PlainOptions {
  const ask = terminalAsk();
  const confirm = terminalConfirm();
  return {
    ...flags,
    env: process.env,
    ...(ask ? { ask } : {}),
    ...(confirm ? { confirm } : {}),
    out: process.stdout,
    cwd: process.cwd(),
    interrupted: signals.interrupted,
    ...terminalInput(signals.interrupt),
  };
}

/**
 * Keys typed on the operator's terminal (stdin, or /dev/tty when stdin or stdout is not it)
 * reach the running step; Ctrl-C interrupts it as SIGINT would.
 */
export function terminalInput(onCtrlC: () => void): { input?: NodeJS.ReadStream; onCtrlC?: () => void } {
  const term = sharedTerminal();
  return term ? { input: term.input, onCtrlC } : {};
}

export { parseVarFlags };

/** One warning per `--var` the session's runbooks do not declare (a typo would otherwise be silently ignored). */
export function undeclaredVarWarnings(store: SessionStore, vars: Record<string, string>): string[] {
  const declared = new Set(store.getState().session.vars.map((v) => v.name));
  return Object.keys(vars)
    .filter((name) => !declared.has(name))
    .map((name) => `--var ${name} is not a var of this runbook (declared: ${[...declared].join(', ') || 'none'}); ignored`);
}

/**
 * `FILE#ID` names a step of that file, FILE as typed (relative to here), the session's keys
 * being absolute paths; a bare ID is any step so called.
 */
function skipKey(name: string): string {
  const hash = name.lastIndexOf('#');
  if (hash <= 0 || isAbsolute(name.slice(0, hash))) return name;
  return `${resolve(name.slice(0, hash))}${name.slice(hash)}`;
}

/** `--recover-path N`: a recovery path's number at the gate (1 is the first), or a message. */
export function parseRecoverPath(value: string | undefined): number | undefined | string {
  if (value === undefined) return undefined;
  const n = Number(value);
  return /^[1-9][0-9]?$/.test(value.trim()) && Number.isInteger(n) ? n : `--recover-path wants the number of a recovery path as the gate lists them (1 is the first), got ${JSON.stringify(value)}`;
}

/** `--skip STEP=REASON` flags to a map, or an error message. A reason is required. */
export function parseSkipFlags(values: string[] | undefined): Record<string, string> | string {
  const skips: Record<string, string> = {};
  for (const pair of values ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return `--skip wants STEP=REASON (the reason is journaled), got ${JSON.stringify(pair)}; for example --skip ${shQuote(`${eq < 0 && pair !== '' ? pair : 'STEP'}=known flaky, ticket OPS-12`)}`;
    if (pair.slice(eq + 1).trim() === '') {
      const step = pair.slice(0, eq);
      return `--skip wants STEP=REASON, and ${JSON.stringify(pair)} has no reason: a reason is required (it is journaled), for example --skip ${shQuote(`${step}=known flaky, ticket OPS-12`)}`;
    }
    skips[skipKey(pair.slice(0, eq))] = pair.slice(eq + 1);
  }
  return skips;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(RUN, argv);
  if (typeof parsed === 'number') return parsed;
  const [file, extra] = parsed.positionals;
  const locking = lockFlags(parsed.values);
  if (typeof locking === 'string') return usageError(locking, USAGE);
  if (file === undefined) return usageError('which runbook? give a .md file', USAGE);
  if (extra !== undefined) return usageError(`one runbook at a time (got ${extra} too)`, USAGE);
  if (parsed.values.as === '') return usageError('--as wants a user name', USAGE);
  // Loading while the runbook is read and linted: the first step needs it anyway.
  loadExec().catch(() => undefined);
  const vars = parseVarFlags(parsed.values.var);
  if (typeof vars === 'string') return usageError(vars, USAGE);
  const skips = parseSkipFlags(parsed.values.skip);
  if (typeof skips === 'string') return usageError(skips, USAGE);
  const recoverPath = parseRecoverPath(parsed.values['recover-path']);
  if (typeof recoverPath === 'string') return usageError(recoverPath, USAGE);

  // An invalid runbook never starts a session.
  setRunbookTree(file);
  setTrustPolicy(parsed.values['allow-untrusted'] === true ? 'allow' : 'refuse');
  const loaded = await loadRunbookFile(file);
  const errors = lintErrors(loaded.runbook);
  if (untrustedRefusal()) return EXIT.usage;
  if (errors.length > 0) {
    for (const d of errors) process.stderr.write(`${formatDiagnostic(d)}\n`);
    process.stderr.write(`${refusalLine(file, errors, process.cwd(), `fix them (stepgate lint ${file}) before running`)}\n`);
    return EXIT.usage;
  }

  // Nothing to run is not a completed deploy: `stepgate run deploy.md --yes && announce` of an
  // empty or truncated file said `== completed ==` and exit 0 (a trial).
  // Planned (its checklists read) only when its own flow is empty: not on every run's start.
  if (mainFlowSteps(loaded.runbook).length === 0 && planRunbook(loaded.runbook, createRunbookCache()).parts.every((part) => part.sections.length === 0)) {
    const empty = loaded.runbook.diagnostics.some((d) => d.code === 'empty-file');
    process.stderr.write(`stepgate: ${file} has no steps to run (${empty ? 'the file is empty' : 'no bash or check block, no - [ ] item'}): nothing was started\n`);
    return EXIT.usage;
  }

  // A skip the operator meant, mistyped, must not run the step it was to skip: refused before
  // a session (or its journal) exists.
  const unknownSkips = await unknownSkipsOf(file, skips);
  if (unknownSkips.length > 0) {
    process.stderr.write(`${unknownSkips.join('\n')}\n`);
    return EXIT.usage;
  }

  // An unfinished session of this runbook: said before anything runs, as a new session restarts
  // the runbook from its first step (read while preflight runs).
  const earlier = unfinishedSessionOf(sessionsDir(), resolve(file)).catch(() => undefined);

  // The SSM case: ssm-user without a sudoers rule for the service user is told the fix now,
  // before a session or a journal exists.
  const refusal = await runAsRefusal(parsed.values.as ?? loaded.runbook.frontMatter.user);
  if (refusal !== undefined) {
    process.stderr.write(`stepgate: ${refusal}\n`);
    return EXIT.usage;
  }

  // Without a terminal nobody can be asked: a var with no value given and no default would stop
  // the session at its first question, after its journal was made (an unfinished session to
  // explain at the next run). Refused now, each at its declaration.
  if (sharedTerminal() === undefined) {
    const unanswered = await unansweredVars(file, vars, process.env);
    if (unanswered.length > 0) {
      process.stderr.write(`${unanswered.join('\n')}\nstepgate: nothing has run and no session was started: there is no terminal to ask on\n`);
      return EXIT.usage;
    }
  }

  if (parsed.values['skip-preflight']?.trim() === '') return usageError(SKIP_PREFLIGHT_NO_REASON, USAGE);

  // From here on the session's shell starts as the user, while the rest is checked and made.
  const warm = prewarmShell(parsed.values.as ?? loaded.runbook.frontMatter.user);
  try {
    const flags = { as: parsed.values.as, skipPreflight: parsed.values['skip-preflight'], yes: parsed.values.yes === true, recover: parsed.values.recover === true, ...(recoverPath !== undefined ? { recoverPath } : {}) };
    return await checkAndRun(file, loaded, flags, { vars, skips, locking, earlier }, warm);
  } finally {
    await (await warm)?.close();
  }
}

async function checkAndRun(
  file: string,
  loaded: Awaited<ReturnType<typeof loadRunbookFile>>,
  flags: { as: string | undefined; skipPreflight: string | undefined; yes: boolean; recover: boolean; recoverPath?: number },
  given: { vars: Record<string, string>; skips: Record<string, string>; locking: Exclude<ReturnType<typeof lockFlags>, string>; earlier: Promise<Awaited<ReturnType<typeof unfinishedSessionOf>> | undefined> },
  warm: Promise<WarmShell | undefined>,
): Promise<number> {
  const { vars, skips, locking, earlier } = given;
  // The host-aware half: a missing program or script is named now, before anything runs.
  const skipPreflight = flags.skipPreflight;
  let preflight;
  try {
    const as = flags.as;
    preflight = await preflightBeforeStart(file, { vars, ...(as !== undefined ? { as } : {}), ...(skipPreflight !== undefined ? { skip: skipPreflight } : {}) }, (text) => process.stderr.write(text));
  } catch (error) {
    if (!(error instanceof PreflightBlocked)) throw error;
    process.stderr.write(`${error.message}\n`);
    return error instanceof VarValueRefused ? EXIT.usage : EXIT.blocked;
  }

  const previous = await earlier;
  if (previous) {
    process.stderr.write(
      `stepgate: note: session ${previous.id} of this runbook is unfinished (${describeUnfinished(previous)}); this run starts a new session from the first step; \`stepgate resume ${previous.id}\` continues that one instead\n`,
    );
  }
  const dir = sessionsDir();
  const id = newSessionId(Date.now());
  let storeRef: SessionStore | undefined;
  // One session of this runbook on the host at a time: the second operator is told who holds it.
  const held = plainLockHeld(await holdRunbookLock(file, loaded.runbook, plainLockOptions(id, locking, () => storeRef)), locking);
  if (!held) return EXIT.blocked;
  const unlock = await lockSession(dir, id);
  const journal = await FileJournal.open(dir, id);
  // Plain mode prints the output itself: no terminal emulator behind it.
  const store = createSessionStore({ ...(await hostDeps(journal, await warm)), screen: false, stepStdin: sharedTerminal() ? 'terminal' : 'none' });
  storeRef = store;
  const stopPrinting = printEvents(store, process.stdout, process.cwd());
  const signals = trapSignals(store);
  try {
    const options: StartOptions = { file, yes: flags.yes, preflight };
    if (flags.as !== undefined) options.as = flags.as;
    try {
      await store.getState().actions.start(options);
    } catch (error) {
      if (error instanceof PlanError) {
        process.stderr.write(`stepgate: ${error.message}\n`);
        return EXIT.usage;
      }
      throw error;
    }
    process.stderr.write(`stepgate: journal ${journal.path}\n`);
    await held.journalTaken();
    for (const warning of undeclaredVarWarnings(store, vars)) process.stderr.write(`stepgate: warning: ${warning}\n`);
    return EXIT[await runPlain(store, plainOptions({ yes: flags.yes, recover: flags.recover, ...(flags.recoverPath !== undefined ? { recoverPath: flags.recoverPath } : {}), vars, skips }, signals))];
  } finally {
    signals.off();
    stopPrinting();
    await store.getState().actions.close();
    await unlock();
    held.release();
  }
}

/**
 * The refusal of `--skip` names that are no step of the session `file` would start (its plan:
 * the runbook and its checklists) or of its recovery paths. A runbook that cannot be planned
 * names none here: the session's start says why.
 */
async function unknownSkipsOf(file: string, skips: Record<string, string>): Promise<string[]> {
  if (Object.keys(skips).length === 0) return [];
  let frame;
  try {
    const { books } = await collectRunbooks(resolve(file), loadRunbookFile);
    const main = books.get(resolve(file));
    if (!main) return [];
    frame = planMain(main, books);
  } catch (error) {
    if (error instanceof PlanError) return [];
    throw error;
  }
  return await unknownSkipRefusal([frame], skips);
}

/** Says why a runbook (or one it links to) is refused as untrusted; true when one was. */
export function untrustedRefusal(): boolean {
  const refused = refusedUntrusted();
  for (const message of refused) process.stderr.write(`stepgate: ${message}\n`);
  return refused.length > 0;
}
