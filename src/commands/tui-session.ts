/**
 * The TUI in this process (tui.ts decided it runs here): a runbook's new session, the picker,
 * or a journaled session resumed (`stepgate resume` on a terminal, `resumeInTui`).
 *
 * This module wires the real host (exec's shell and probes, the file journal) into the
 * session store; the components under src/ui see only the store.
 */
import { resolve } from 'node:path';
import { formatDiagnostic, lintRunbook } from '../runbooks/index.js';
import { osUser, hostName } from '../session/host.js';
import { FileJournal } from '../session/journal.js';
import { SessionBusyError, lockSession, sessionOwner } from '../session/session-lock.js';
import { dropTornTail, readJournal, chainProblems } from '../session/journal-read.js';
import { journalPath, newSessionId, sessionsDir } from '../session/session-paths.js';
import { PlanError } from '../session/plan.js';
import { createSessionStore, type SessionStore } from '../session/store.js';
import type { PickerEntry } from '../ui/picker-model.js';
import { runbookLayout } from '../ui/layout.js';
import { createRunbookCache, loadRunbookFile, whyUnreadable } from './load.js';
import { hostDeps, undeclaredVarWarnings } from './run.js';
import { lintErrorCount, lintErrors, recoveryFiles, resumeLintRefusal } from './lint-gate.js';
import { PreflightBlocked, VarValueRefused, preflightBeforeStart, runAsRefusal, runbookUser } from './preflight.js';
import { editedJournalRefusal } from './edited-journal.js';
import { resumedShellNotice } from './open-session.js';
import { answerGivenWhenAsked, answerVars } from '../session/answer-vars.js';
import { replay } from '../session/reducer.js';
import { detachedChild } from './detach.js';
import { type Opened, loadUi, markLockLost, showBriefly, showTui } from './tui-screen.js';
import { detachedSessionIds, listEntries } from './picker-entries.js';
import { othersNotes } from './attach-other.js';
import { othersSessionNotes } from './others-sessions.js';
import { noteLines } from './sessions.js';
import { EXIT } from './exit-codes.js';
import { forgetRefused, refusedUntrusted, setRunbookTree } from './trust.js';
import { LockRefused, holdRunbookLock, holdSessionRunbookLock, lostLockText, shortLockRefusal, tookOverText } from './runbook-lock.js';
import type { HeldRunbookLock, LockFlags, SessionLockOptions } from './runbook-lock.js';
import { describeError } from '../errors.js';

/**
 * Answers vars given on the command line or as STEPGATE_VAR_NAME; the rest are asked in the TUI.
 * A `--var` the runbook does not declare is said on the status line (stderr would be drawn over).
 */
async function answerGivenVars(store: SessionStore, vars: Record<string, string>): Promise<void> {
  const [warning] = undeclaredVarWarnings(store, vars);
  if (warning !== undefined) store.setState({ error: warning });
  await answerVars(store, { vars, env: process.env, otherwise: 'leave' });
  // A given var after one the TUI prompts for is answered when it comes to be asked.
  answerGivenWhenAsked(store, { vars, env: process.env });
}

/** The session's shell is as wide as the output pane and as tall as its body. */
function paneSize(): { cols: number; rows: number } {
  const layout = runbookLayout(process.stdout.columns || 80, process.stdout.rows || 24, false);
  return { cols: layout.cols, rows: Math.max(4, layout.detail - 1) };
}

/** The deploy lock as a TUI holds it: a take-over stops it as a signal would, saying why. */
function lockOptions(id: string, locking: LockFlags, store: () => SessionStore | undefined): SessionLockOptions {
  return {
    ...locking,
    session: id,
    store,
    detached: detachedChild() !== undefined,
    err: process.stderr,
    stop: (steal) => {
      markLockLost(lostLockText(steal, id));
      process.kill(process.pid, 'SIGTERM');
    },
  };
}

/** Said as run says it: a refused linked file would otherwise read as a missing one in lint's words. */
function throwIfUntrusted(): void {
  const untrusted = refusedUntrusted();
  if (untrusted.length > 0) throw new Error(untrusted.join('\nstepgate: '));
}

async function startSession(file: string, as: string | undefined, vars: Record<string, string>, locking: LockFlags, skipPreflight?: string): Promise<Opened> {
  // A link out of this runbook's directory is untrusted (as for run): the tree is this runbook's,
  // the picker's next one included.
  setRunbookTree(file);
  forgetRefused();
  const loaded = await loadRunbookFile(file);
  throwIfUntrusted();
  const errors = lintErrors(loaded.runbook);
  if (errors.length > 0) {
    throw new Error(`${file} has ${lintErrorCount(file, errors, process.cwd())} (stepgate lint ${file}): ${formatDiagnostic(errors[0] as (typeof errors)[number])}`);
  }
  const refusal = await runAsRefusal(as ?? loaded.runbook.frontMatter.user);
  if (refusal !== undefined) throw new Error(refusal);
  // Before the TUI takes the screen: what it finds (warnings, skipped errors) stays above it.
  // stderr would be drawn over by the TUI: what preflight found is said on the status line.
  const preflight = await preflightBeforeStart(file, { vars, ...(as !== undefined ? { as } : {}), ...(skipPreflight !== undefined ? { skip: skipPreflight } : {}) }, () => undefined);
  const dir = sessionsDir();
  const id = newSessionId(Date.now());
  let storeRef: SessionStore | undefined;
  const held = await holdRunbookLock(file, loaded.runbook, lockOptions(id, locking, () => storeRef));
  if ('refused' in held) throw new LockRefused(held.refused);
  const unlock = await lockSession(dir, id).catch((error: unknown) => {
    held.release();
    throw error;
  });
  const journal = await FileJournal.open(dir, id);
  const store = createSessionStore({ ...(await hostDeps(journal)), screenIntervalMs: 33, ...paneSize(), shellAtStart: false });
  storeRef = store;
  const release = async (): Promise<void> => {
    await unlock();
    held.release();
  };
  try {
    await store.getState().actions.start({ file, preflight, ...(as !== undefined ? { as } : {}) });
    await held.journalTaken();
    const took = tookOverText(held, locking.steal);
    if (took !== undefined) showBriefly(store, took.replace(/^stepgate: /, ''));
    await answerGivenVars(store, vars);
    const found = preflight.findings.length;
    if (found > 0) {
      const errors = preflight.findings.filter((f) => f.severity === 'error').length;
      store.setState({ error: `preflight: ${errors > 0 ? `${errors} errors passed (--skip-preflight)` : `${found} warning${found === 1 ? '' : 's'}`}; the first row lists them` });
    }
  } catch (error) {
    await store.getState().actions.close();
    await release();
    throw error;
  }
  return { store, runAs: as ?? loaded.runbook.frontMatter.user ?? osUser(), host: hostName(), release };
}

/** A resume refused for the runbook's lint errors: `lines` (each error, then what to do) for stderr, the message for the picker. */
class LintRefused extends Error {
  constructor(
    message: string,
    readonly lines: string[],
  ) {
    super(message);
  }
}

async function resumeSession(id: string, as: string | undefined, vars: Record<string, string>, locking: LockFlags, acceptEdits = false): Promise<Opened> {
  const dir = sessionsDir();
  const path = journalPath(dir, id);
  const unlock = await lockSession(dir, id);
  let held: HeldRunbookLock | undefined;
  try {
    const torn = await dropTornTail(path);
    const read = await readJournal(path);
    const edits = chainProblems(read, path);
    if (edits.length > 0 && !acceptEdits) throw new Error(editedJournalRefusal(path, id, edits).replace(/^stepgate: /, '').trimEnd());
    const first = read.events[0];
    if (!first || first.type !== 'session-started') throw new Error(`${path} does not start with session-started`);
    const runAs = as ?? replay(read.events).as ?? runbookUser(first);
    const refusal = await runAsRefusal(runAs);
    if (refusal !== undefined) throw new Error(refusal);
    setRunbookTree(first.frame.source.file);
    forgetRefused();
    // The runbook as it is now runs from here: one a new session would refuse is refused too.
    const replayed = replay(read.events);
    const lintRefusal = replayed.status.kind === 'ended' ? undefined : await resumeLintRefusal(first.frame.source.file, id, process.cwd(), recoveryFiles(replayed));
    throwIfUntrusted();
    if (lintRefusal !== undefined) throw new LintRefused(lintRefusal.short, lintRefusal.lines);
    let storeRef: SessionStore | undefined;
    const taken = await holdSessionRunbookLock(first, lockOptions(id, locking, () => storeRef));
    if ('refused' in taken) throw new LockRefused(taken.refused);
    held = taken;
    const journal = await FileJournal.open(dir, id);
    const store = createSessionStore({ ...(await hostDeps(journal)), screenIntervalMs: 33, ...paneSize(), shellAtStart: false });
    storeRef = store;
    const options: { torn?: typeof torn; as?: string; acceptedEdits?: typeof edits } = {};
    if (torn) options.torn = torn;
    if (as !== undefined) options.as = as;
    if (edits.length > 0) options.acceptedEdits = edits;
    const report = await store.getState().actions.resume(read.events, options);
    await taken.journalTaken();
    await answerGivenVars(store, vars);
    showBriefly(store, tookOverText(taken, locking.steal)?.replace(/^stepgate: /, '') ?? resumedShellNotice(report, { brief: true }));
    return {
      store,
      runAs: runAs ?? osUser(),
      host: hostName(),
      release: async () => {
        await unlock();
        taken.release();
      },
    };
  } catch (error) {
    await unlock();
    held?.release();
    throw error;
  }
}

/** What `stepgate [FILE|DIR]` was given, checked by `main` (tui.ts) before it chose to run here. */
export interface InPlaceOptions {
  target: string;
  isDir: boolean;
  as: string | undefined;
  vars: Record<string, string>;
  locking: LockFlags;
  skipPreflight: string | undefined;
  note: string | undefined;
  quiet: boolean;
}

/** The TUI in this process: the runbook's session (or the picker) on this terminal until the operator quits; the exit code. */
export async function openInPlace(options: InPlaceOptions): Promise<number> {
  const { target, isDir, as, vars, locking, skipPreflight, note } = options;
  // Ink and React load while the runbook is read and the session starts.
  const ui = loadUi();
  ui.catch(() => undefined);

  let opened: Opened | undefined;
  if (!isDir) {
    try {
      opened = await startSession(target, as, vars, locking, skipPreflight);
    } catch (error) {
      if (error instanceof PreflightBlocked || error instanceof LockRefused) {
        // A lock's refusal is a sentence of stepgate's, as plain run says it; preflight's are
        // file:line findings.
        process.stderr.write(`${error instanceof LockRefused ? 'stepgate: ' : ''}${error.message}\n`);
        return error instanceof VarValueRefused ? EXIT.usage : EXIT.blocked;
      }
      process.stderr.write(`stepgate: ${describeError(error)}\n`);
      return EXIT.usage;
    }
  }
  const dir = resolve(target);
  const picker = isDir
    ? {
        dir,
        entries: await listEntries(dir),
        open: async (entry: PickerEntry): Promise<Opened> => {
          // The picker does not wait for a deploy lock: the first line of who holds it is said there.
          if (entry.kind === 'runbook') return startSession(entry.file, as, vars, { wait: false }, skipPreflight).catch(shortLockRefusal);
          if ((await detachedSessionIds()).has(entry.id)) throw new Error(`it runs detached: quit, then stepgate attach ${entry.id}`);
          // Another live stepgate has it (a plain run, a TUI in another terminal): said short, pid first.
          const owner = await sessionOwner(sessionsDir(), entry.id).catch(() => undefined);
          if (owner !== undefined) throw new Error(`it is running in process ${owner}; resume it once that process has ended`);
          return resumeSession(entry.id, as, vars, { wait: false }).catch(shortLockRefusal);
        },
        refresh: () => listEntries(dir),
        // As root, what `sessions` notes: other users' unfinished sessions and detached TUIs
        // (a colleague's deploy left blocked as ssm-user was not in root's picker).
        notes: async () => {
          const [tuis, sessions] = await Promise.all([othersNotes().catch(() => []), othersSessionNotes().catch(() => [])]);
          return noteLines([...tuis, ...sessions], undefined);
        },
      }
    : undefined;
  return showTui(ui, opened, picker, { ...(note !== undefined ? { note } : {}), quiet: options.quiet });
}


/**
 * `stepgate resume [ID]` on a terminal: the session rebuilt from its journal, in the TUI, at
 * the step (or gate) where it stopped. Exit codes as `resume` in plain mode: 2 for a journal
 * that cannot be resumed or a refused run-as user, 1 when another live stepgate holds it.
 */
export async function resumeInTui(id: string, as: string | undefined, vars: Record<string, string>, locking: LockFlags, acceptEdits = false, quiet = false): Promise<number> {
  const ui = loadUi();
  ui.catch(() => undefined);
  let opened: Opened;
  try {
    opened = await resumeSession(id, as, vars, locking, acceptEdits);
  } catch (error) {
    if (error instanceof LockRefused) {
      process.stderr.write(`stepgate: ${error.message}\n`);
      return EXIT.blocked;
    }
    if (error instanceof SessionBusyError) {
      process.stderr.write(`stepgate: ${error.message}; it is still running\n`);
      return EXIT.blocked;
    }
    if (error instanceof LintRefused) {
      process.stderr.write(`${error.lines.join('\n')}\n`);
      return EXIT.usage;
    }
    const why = describeError(error);
    process.stderr.write(`stepgate: ${error instanceof PlanError ? `cannot resume ${id}: ${why}` : why}\n`);
    return EXIT.usage;
  }
  const status = opened.store.getState().session.status;
  if (status.kind === 'ended') {
    await opened.store.getState().actions.close();
    await opened.release();
    process.stdout.write(`session ${id} already ${status.outcome}; nothing to resume\n`);
    return status.outcome === 'completed' ? EXIT.completed : EXIT.blocked;
  }
  return showTui(ui, opened, undefined, { quiet });
}
