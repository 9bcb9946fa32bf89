/**
 * `stepgate resume [ID] [--plain] [--yes] [--rerun-interrupted] [--as USER] [--var NAME=VALUE]...`:
 * rebuilds a session from its journal after a crash, a SIGKILL or a dropped SSM session and
 * continues it: in the TUI on a terminal (as `stepgate FILE` decides), in plain mode without
 * one, under CI, with `--plain`, or with a flag that only a plain walk obeys (`--yes`,
 * `--rerun-interrupted`, `--retry`, `--recover`, `--skip`). Without ID: the newest session
 * that has not ended.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { lastDrop, summarize, unfinishedSessions } from '../session/history.js';
import { FileJournal } from '../session/journal.js';
import { SessionBusyError, lockSession } from '../session/session-lock.js';
import { dropTornTail, chainProblems, readJournal } from '../session/journal-read.js';
import { journalPath, sessionsDir } from '../session/session-paths.js';
import { matchSessionId } from '../session/session-id-match.js';
import { varsStillRead } from '../session/decisions.js';
import { displayPath, printEvents } from '../plain/print-events.js';
import { runPlain } from '../plain/run-plain.js';
import { EXIT } from './exit-codes.js';
import { resumedShellNotice } from './open-session.js';
import { PlanError } from '../session/plan.js';
import { createSessionStore, type ResumeReport, type SessionStore } from '../session/store.js';
import { hostDeps, loadExec, parseRecoverPath, parseSkipFlags, parseVarFlags, plainOptions, prewarmShell, terminalAsk, trapSignals, untrustedRefusal } from './run.js';
import type { WarmShell } from '../exec/warm-shell.js';
import { unknownSkipRefusal } from './unknown-skip.js';
import { recoveryFiles, resumeLintRefusal } from './lint-gate.js';
import { runAsRefusal, runbookUser } from './preflight.js';
import { currentItem, replay } from '../session/reducer.js';
import { needsValue, secretAgain, secretGivenBefore, varConflicts } from '../session/answer-vars.js';
import type { SessionEvent, SessionState } from '../session/types.js';
import type { VarSpec } from '../runbooks/index.js';
import { usageError } from './usage.js';
import { displayText } from '../session/printable.js';
import { parseCommand } from './parse-command.js';
import { RESUME } from './specs.js';
import { plainModeReason } from './interactive.js';
import { CannotWrap, launch, placement } from './detach.js';
import { offerAttach } from './attach.js';
import { liveTuis } from './detach.js';
import { refusedVarValues } from './var-values.js';
import { othersNotes } from './attach-other.js';
import { othersSessionNotes } from './others-sessions.js';
import { askYesNo } from './ask.js';
import { describeUnfinished } from './offer-resume.js';
import { ACCEPT_FLAG, editedJournalRefusal } from './edited-journal.js';
import { setRunbookTree, setTrustPolicy } from './trust.js';
import { holdSessionRunbookLock, lockFlags, plainLockHeld, plainLockOptions } from './runbook-lock.js';
import { sharedTerminal } from './controlling-tty.js';

/** The flags that only a plain walk obeys: given one, `resume` stays in plain mode. */
const PLAIN_ONLY = ['plain', 'yes', 'rerun-interrupted', 'retry', 'recover', 'recover-path', 'skip'] as const;

function plainFlag(values: Partial<Record<(typeof PLAIN_ONLY)[number], unknown>>): string | undefined {
  const given = PLAIN_ONLY.find((flag) => values[flag] !== undefined && values[flag] !== false);
  return given === undefined ? undefined : `--${given} given`;
}

const USAGE = RESUME.usage;

function printReport(report: ResumeReport, path: string, cwd: string, events: SessionEvent[], state: SessionState): void {
  const out = process.stdout;
  const drop = lastDrop(events);
  if (drop) out.write(`the terminal closed (${drop.signal}) at ${new Date(drop.at).toISOString().slice(11, 19)} UTC${drop.terminal ? ` (${drop.terminal.who.user})` : ''}, and stepgate stopped.\n`);
  if (report.torn) {
    out.write(`note: ${path}:${report.torn.line} was a torn last line (${report.torn.bytes} bytes, cut off by a crash mid-write); it was dropped and the session rebuilt from the events before it\n`);
  }
  for (const change of report.changed) {
    const { added, removed, edited } = change.diff;
    out.write(`warning: ${displayPath(change.file, cwd)} changed since the session started\n`);
    for (const key of added) out.write(`  + added   ${key}\n`);
    for (const key of removed) out.write(`  - removed ${key}\n`);
    for (const key of edited) out.write(`  ~ edited  ${key} (will run again)\n`);
    if (added.length + removed.length + edited.length === 0) out.write('  (no step changed: prose or a linked file only)\n');
  }
  if (report.interrupted) {
    out.write(`interrupted: step ${report.interrupted.title} was running when stepgate stopped; its outcome is unknown: re-run it or skip it with a reason\n`);
    if (report.interrupted.transcript !== undefined) {
      out.write(`  what it printed until then: ${report.interrupted.transcript}\n`);
      printTail(report.interrupted.transcript);
    }
    return;
  }
  // A step cut short before this resume (ctrl-c, a dropped terminal): how far it got decides
  // between running it again and skipping it, so its last lines are shown, as the TUI does.
  const cur = currentItem(state);
  const transcript = cur?.step.interrupted ? report.runs?.transcripts.get(cur.item.key) : undefined;
  if (cur && transcript !== undefined) {
    out.write(`interrupted: step ${cur.item.step.id} was cut short; what it printed: ${transcript}\n`);
    printTail(transcript);
  }
}

/** The last lines of a transcript, printable, indented under the line that names it. */
function printTail(path: string, lines = 5): void {
  let text: string;
  try {
    const handle = openSync(path, 'r');
    try {
      const size = fstatSync(handle).size;
      const from = Math.max(0, size - 4096);
      const buffer = Buffer.alloc(size - from);
      readSync(handle, buffer, 0, buffer.length, from);
      text = buffer.toString('utf8');
    } finally {
      closeSync(handle);
    }
  } catch {
    return;
  }
  const tail = text.split(/\r?\n/).filter((line) => line.trim() !== '').slice(-lines);
  for (const line of tail) process.stdout.write(`  | ${displayText(line)}\n`);
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(RESUME, argv);
  if (typeof parsed === 'number') return parsed;
  setTrustPolicy(parsed.values['allow-untrusted'] === true ? 'allow' : 'refuse');
  const [given, extra] = parsed.positionals;
  if (extra !== undefined) return usageError(`one session at a time (got ${extra} too)`, USAGE);
  const vars = parseVarFlags(parsed.values.var);
  if (typeof vars === 'string') return usageError(vars, USAGE);
  const skips = parseSkipFlags(parsed.values.skip);
  if (typeof skips === 'string') return usageError(skips, USAGE);
  const recoverPath = parseRecoverPath(parsed.values['recover-path']);
  if (typeof recoverPath === 'string') return usageError(recoverPath, USAGE);
  const locking = lockFlags(parsed.values);
  if (typeof locking === 'string') return usageError(locking, USAGE);
  const dir = sessionsDir();
  let id: string | undefined;
  if (given !== undefined) {
    const named = await matchSessionId(dir, given, 'stepgate sessions');
    if ('refused' in named) return usageError(named.refused, USAGE);
    id = named.id;
  }
  const inTui = plainModeReason({ plainFlag: plainFlag(parsed.values) }) === undefined;
  const where = inTui ? placement({ detach: parsed.values.detach === true, noDetach: parsed.values['no-detach'] === true }) : undefined;
  if (where?.kind === 'error') return usageError(where.message, USAGE);
  if (where?.kind === 'wrap') {
    // The session to resume may be running still, detached: going back to it is the resume.
    // Named by its id, it cannot be resumed while it runs; a bare resume would take an older one.
    // "Instead of an older one" only when there is one (a trial was offered a choice that did not exist).
    const older = id === undefined ? (await unfinishedSessions(dir)).free : undefined;
    const attached = await offerAttach(
      (tui) => tui.session !== undefined && (id === undefined || tui.session.id === id),
      older !== undefined ? 'resuming an older session' : undefined,
    );
    if (attached !== undefined) return attached;
  }
  if (id === undefined) {
    const { free: newest, held } = await unfinishedSessions(dir);
    if (!newest) {
      const busy = held[0];
      const detachedTui = busy && (await liveTuis().catch(() => [])).some((tui) => tui.session?.id === busy.session.id);
      if (busy && detachedTui) {
        // A detached TUI does not stop by itself: waiting or killing it is not the way back.
        process.stderr.write(
          `stepgate: session ${busy.session.id} (${busy.session.runbook}) runs detached in a TUI (process ${busy.pid}), and no other session is unfinished: stepgate attach ${busy.session.id} goes back to it (--watch to look only)\n`,
        );
      } else if (busy) {
        process.stderr.write(
          `stepgate: session ${busy.session.id} (${busy.session.runbook}, ${busy.session.state}) is still held by process ${busy.pid}` +
            ` (a stepgate that has not exited yet: after a hang-up it stops within 5 s); try again in a moment, or stop that process first\n`,
        );
      } else {
        process.stderr.write(`stepgate: no unfinished session in ${dir}\n`);
        const [tuiNotes, sessionNotes] = await Promise.all([othersNotes().catch(() => []), othersSessionNotes().catch(() => [])]);
        for (const line of [...tuiNotes, ...sessionNotes]) process.stderr.write(`stepgate: ${displayText(line)}\n`);
      }
      return EXIT.usage;
    }
    id = newest.id;
    // Several sessions may be unfinished: say which one this is before anything runs, and
    // which newer ones it passed over because a stepgate runs them now.
    const nobodyToAsk = held.length > 0 && !inTui && sharedTerminal() === undefined;
    process.stderr.write(`stepgate: ${nobodyToAsk ? 'the newest unfinished session not running is' : 'resuming session'} ${id} (${newest.runbook}, ${newest.state}, started by ${newest.who})\n`);
    for (const busy of held) {
      process.stderr.write(`stepgate: note: session ${busy.session.id} (${busy.session.runbook}) is running in process ${busy.pid}: not this one (stepgate attach ${busy.session.id} if it runs detached)\n`);
    }
    if (nobodyToAsk) {
      process.stderr.write(`stepgate: nothing resumed: a newer session is running, and there is no terminal to ask whether ${id} is the one meant; name it: stepgate resume ${id}\n`);
      return EXIT.usage;
    }
    // The operator likely meant the session that runs now (declined attaching to it, or did not
    // know it runs): an older one, perhaps last week's abandoned deploy, is not taken on their
    // behalf. The TUI would cover the lines above at once. With nobody to ask (a script, cron),
    // it is not taken at all: the id says which.
    if (held.length > 0) {
      const answer = await askYesNo(`resume session ${id} instead (${displayPath(newest.runbook, process.cwd())}, ${describeUnfinished(newest)})?`, 'no');
      if (answer !== 'yes') {
        process.stderr.write('stepgate: nothing resumed\n');
        return answer === 'cancelled' ? EXIT.interrupted : EXIT.completed;
      }
    }
  }
  const path = journalPath(dir, id);
  if (!existsSync(path)) {
    process.stderr.write(`stepgate: no session ${id} in ${dir}\n`);
    return EXIT.usage;
  }
  // An edited journal is refused before anything else, in either face. Only a first answer:
  // the journal may change until the lock is taken, and the read under it decides.
  const accept = parsed.values['accept-edited-journal'] === true;
  const edits = chainProblems(await readJournal(path), path);
  if (edits.length > 0 && !accept) {
    process.stderr.write(editedJournalRefusal(path, id, edits));
    return EXIT.usage;
  }
  const summary = await summarize(dir, id);
  if (summary.state === 'never started') {
    // Killed while its journal was being created: not even the session's start was written.
    process.stderr.write(
      `stepgate: nothing ran in session ${id}: it was stopped while its journal was being created, so there is nothing to resume; open the runbook again (stepgate sessions --all lists it as never started)\n`,
    );
    return EXIT.usage;
  }
  if (summary.empty && !summary.finished) {
    process.stderr.write(
      `stepgate: nothing ran in session ${id} (${displayPath(summary.runbook, process.cwd())}): there is nothing to resume; open the runbook again (stepgate ${displayPath(summary.runbook, process.cwd())}), or set the session aside with stepgate discard ${id} REASON\n`,
    );
    return EXIT.usage;
  }
  // A session keeps the vars it answered (the steps that ran used them): a --var that would
  // change one is refused rather than ignored, or RELEASE=v2 would quietly go on with v1.
  const conflicts = varConflicts(summary.answers ?? {}, vars);
  if (conflicts.length > 0) {
    const which = conflicts.map((c) => `${c.name}=${c.answered} (you gave --var ${c.name}=${c.given})`).join(', ');
    process.stderr.write(
      `stepgate: session ${id} answered ${which}, and a session keeps its answers: resume it without that --var, or start a new session with it (stepgate ${displayPath(summary.runbook, process.cwd())} --var ...)\n`,
    );
    return EXIT.usage;
  }
  // A mistyped --var (RELAESE for RELEASE) is refused as run refuses it, before the session is
  // touched: it was a warning, and the step it was meant for ran with the answer it had. Only
  // the flags: a STEPGATE_VAR_ in the environment may be there for another runbook.
  const refused = Object.keys(vars).length > 0 ? await refusedVarValues(summary.runbook, vars, {}) : [];
  if (refused.length > 0) {
    process.stderr.write(`${refused.join('\n')}\nstepgate: session ${id} was not resumed and nothing has run: give each var by its name, a value its pattern takes\n`);
    return EXIT.usage;
  }
  // The operator whose SSM session dropped gets back the TUI they were in.
  const plainWhy = plainModeReason({ plainFlag: plainFlag(parsed.values) });
  if (plainWhy === undefined) {
    if (where?.kind === 'wrap') {
      try {
        return await launch(where.tmux, ['resume', id, ...argv.filter((arg) => arg !== given)]);
      } catch (error) {
        if (!(error instanceof CannotWrap)) throw error;
      }
    }
    return (await import('./tui-session.js')).resumeInTui(id, parsed.values.as, vars, locking, accept, parsed.values.quiet === true);
  }
  if (process.stdin.isTTY && process.stdout.isTTY) process.stderr.write(`stepgate: ${plainWhy}: continuing in plain mode\n`);
  loadExec().catch(() => undefined);

  let unlock;
  // The session's next shell, started once the run-as user is known to be reachable: its login
  // runs while the journal is read and replayed (as in run; closed if the resume stops first).
  let warm: Promise<WarmShell | undefined> | undefined;
  try {
    unlock = await lockSession(dir, id);
  } catch (error) {
    if (error instanceof SessionBusyError) {
      process.stderr.write(`stepgate: ${error.message}; it is still running\n`);
      return EXIT.blocked;
    }
    throw error;
  }
  try {
    const torn = await dropTornTail(path);
    const read = await readJournal(path);
    // The verdict that counts: a journal edited between the check above and the lock was
    // resumed, its edits recorded as accepted, without the flag (review F4).
    const accepted = chainProblems(read, path);
    if (accepted.length > 0 && !accept) {
      process.stderr.write(editedJournalRefusal(path, id, accepted));
      return EXIT.usage;
    }
    for (const bad of read.bad) process.stderr.write(`stepgate: ${path}:${bad.line}: not an event (${bad.error}); skipped\n`);
    const first = read.events[0];
    if (!first || first.type !== 'session-started') {
      process.stderr.write(`stepgate: ${path} does not start with a session-started event; cannot resume\n`);
      return EXIT.usage;
    }
    // Secret vars were never journaled and a resume asks for them again. With no terminal to
    // ask on, one not given now would stop the walk after the resume began (a shell opened as
    // the run-as user, a resume journaled): stop before anything.
    const replayed = replay(read.events);
    if (terminalAsk() === undefined) {
      // A secret given before (not its default) is not replaced by its default either.
      const missing = varsToGiveAgain(replayed).find(
        (v) => (v.default === undefined || secretGivenBefore(replayed, v) !== undefined) && vars[v.name] === undefined && process.env[`STEPGATE_VAR_${v.name}`] === undefined,
      );
      if (missing) {
        const before = secretGivenBefore(replayed, missing);
        process.stderr.write(`stepgate: ${before !== undefined && missing.default !== undefined ? secretAgain(missing, before) : needsValue(missing)}\n`);
        return EXIT.usage;
      }
    }
    const startedAs = parsed.values.as ?? replayed.as ?? runbookUser(first);
    const refusal = await runAsRefusal(startedAs);
    if (refusal !== undefined) {
      process.stderr.write(`stepgate: ${refusal}\n`);
      return EXIT.usage;
    }
    warm = prewarmShell(startedAs);
    // A link out of the session's runbook directory is untrusted, as when the session started.
    setRunbookTree(first.frame.source.file);
    // The runbook as it is now runs from here: one a new session would refuse is refused too.
    const lintRefusal = replayed.status.kind === 'ended' ? undefined : await resumeLintRefusal(first.frame.source.file, id, process.cwd(), recoveryFiles(replayed));
    // Said as run says it: in lint's words a refused linked file reads as a missing one.
    if (untrustedRefusal()) return EXIT.usage;
    if (lintRefusal !== undefined) {
      process.stderr.write(`${lintRefusal.lines.join('\n')}\n`);
      return EXIT.usage;
    }
    let storeRef: SessionStore | undefined;
    const held = plainLockHeld(await holdSessionRunbookLock(first, plainLockOptions(id, locking, () => storeRef)), locking);
    if (!held) return EXIT.blocked;
    const journal = await FileJournal.open(dir, id);
    const store = createSessionStore({ ...(await hostDeps(journal, await warm)), screen: false, stepStdin: sharedTerminal() ? 'terminal' : 'none' });
    storeRef = store;
    const stopPrinting = printEvents(store, process.stdout, process.cwd());
    const signals = trapSignals(store);
    try {
      const options: { torn?: typeof torn; as?: string; acceptedEdits?: typeof edits } = {};
      if (torn) options.torn = torn;
      if (parsed.values.as !== undefined) options.as = parsed.values.as;
      if (accepted.length > 0) {
        options.acceptedEdits = accepted;
        process.stderr.write(`stepgate: ${ACCEPT_FLAG}: resuming from a journal with ${accepted.length} line${accepted.length === 1 ? '' : 's'} that do not verify (recorded)\n`);
      }
      let report: ResumeReport;
      try {
        report = await store.getState().actions.resume(read.events, options);
      } catch (error) {
        if (!(error instanceof PlanError)) throw error;
        process.stderr.write(`stepgate: cannot resume ${id}: ${error.message}\n`);
        return EXIT.usage;
      }
      await held.journalTaken();
      printReport(report, path, process.cwd(), read.events, store.getState().session);
      // A skip the operator meant, mistyped, must not run the step it was to skip.
      const unknownSkips = await unknownSkipRefusal(store.getState().session.frames.map((frame) => frame.init), skips);
      if (unknownSkips.length > 0) {
        process.stderr.write(`${unknownSkips.join('\n')}\n`);
        return EXIT.usage;
      }
      process.stdout.write(`${resumedShellNotice(report)}\n`);
      const status = store.getState().session.status;
      if (status.kind === 'ended') {
        process.stdout.write(`session ${id} already ${status.outcome}; nothing to resume\n`);
        return status.outcome === 'completed' ? EXIT.completed : EXIT.blocked;
      }
      const plain = plainOptions(
        { yes: parsed.values.yes === true, recover: parsed.values.recover === true, ...(recoverPath !== undefined ? { recoverPath } : {}), retryBlocked: parsed.values.retry === true, vars, skips },
        signals,
      );
      return EXIT[await runPlain(store, plain, parsed.values['rerun-interrupted'] === true ? 'rerun' : 'stop')];
    } finally {
      signals.off();
      stopPrinting();
      await store.getState().actions.close();
      held.release();
    }
  } finally {
    await (await warm)?.close();
    await unlock();
  }
}

/** The vars a resume asks for: the secret ones (never journaled) and any never answered, while a step that reads them is left. */
function varsToGiveAgain(state: SessionState): VarSpec[] {
  if (!varsStillRead(state)) return [];
  return state.vars.filter((v) => !(v.name in state.answers) || state.answers[v.name]?.secret === true);
}
