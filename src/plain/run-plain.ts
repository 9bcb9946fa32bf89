/**
 * Plain (headless) mode's walk: the session driven in order, for CI, scripts and terminals
 * without the TUI, until it ends or needs someone. The printing is `print-events.ts`'s.
 */
import type { VarSpec } from '../runbooks/model.js';
import { answerVars } from '../session/answer-vars.js';
import type { Move, StopReason, WalkPolicy } from '../session/next-move.js';
import { currentItem } from '../session/reducer.js';
import { abortedNote, passedOver } from '../session/history.js';
import { namesWithoutValue } from '../session/checks.js';
import type { SessionStore } from '../session/store.js';
import type { RecoveryPath, SessionState } from '../session/types.js';
import type { RecoveryShape } from '../session/recovery-shape.js';
import { walk, type WalkEnd } from '../session/walk.js';
import { PLAIN_WIDTH, describeBlock, summaryTable } from './print-events.js';
import { stepName } from '../session/step-name.js';
import { displayText } from '../session/printable.js';

/** How a plain walk ended; the commands turn it into an exit code (`commands/exit-codes.ts`). */
export type PlainEnd = 'completed' | 'blocked' | 'usage' | 'interrupted';

export interface PlainOptions {
  /** Count manual items and `confirm` steps as confirmed. */
  yes: boolean;
  /** At the first gate, walk the first recovery path once, then retry. */
  recover: boolean;
  /** `--recover-path N`: the gate's N-th recovery path instead of the first (implies `recover`). */
  recoverPath?: number;
  /** Vars given on the command line (`--var NAME=VALUE`). */
  vars: Record<string, string>;
  /** Process environment (`STEPGATE_VAR_NAME` supplies var NAME). */
  env: Record<string, string | undefined>;
  /** Asks the operator for a var when there is a terminal; undefined otherwise. */
  ask?: (spec: VarSpec, refused?: string) => Promise<string>;
  /**
   * Asks the operator yes/no on their terminal (a manual item done? a `confirm=` step run?);
   * undefined without any terminal, where the walk stops at them unless `yes`.
   */
  confirm?: (question: string) => Promise<boolean>;
  out: NodeJS.WritableStream;
  /** For paths in messages. */
  cwd: string;
  /** `resume --retry`: a step blocked when the run starts is retried once. */
  retryBlocked?: boolean;
  /** `--skip STEP=REASON`: skip these steps (by id or key) when reached or blocked. */
  skips?: Record<string, string>;
  /** Set by the caller when SIGINT/SIGTERM/SIGHUP arrived. */
  interrupted: () => boolean;
  /**
   * A terminal to forward to running steps (a sudo prompt, y/n), in raw mode so the step's
   * pty does the echoing (none for passwords). Ctrl-C typed there calls `onCtrlC`.
   */
  input?: NodeJS.ReadStream;
  onCtrlC?: () => void;
}

/**
 * A read of a terminal that hung up fails with EIO, as an 'error' event that, unheard, ends the
 * process with a stack trace before the step is stopped and journaled (a CI run saw it: the
 * SSM drop in tmux, where the login shell's hang-up and the closed terminal race). The hang-up
 * (SIGHUP) or the next write's EIO stops the step; there is nothing left to read. Kept on the
 * stream for good: a read under way when forwarding stops may still fail.
 */
function readGone(): void {
  // Nothing to do: see above.
}

/** Forwards a terminal's keys to the running step until the returned function is called. */
function forwardInput(store: SessionStore, input: NodeJS.ReadStream, onCtrlC: (() => void) | undefined): () => void {
  const actions = store.getState().actions;
  const raw = typeof input.setRawMode === 'function';
  const onData = (data: Buffer | string): void => {
    const text = data.toString();
    if (text.includes('\u0003') && onCtrlC) {
      onCtrlC();
      return;
    }
    if (store.getState().session.status.kind === 'running') actions.write(text);
  };
  if (raw) input.setRawMode(true);
  if (!input.listeners('error').includes(readGone)) input.on('error', readGone);
  input.on('data', onData);
  input.resume();
  return () => {
    input.off('data', onData);
    input.pause();
    try {
      if (raw) input.setRawMode(false);
    } catch {
      // The terminal hung up (the SSM session dropped): there is no mode left to restore.
    }
  };
}

/** The walk's policy for these options; `interruptedStep` as `runPlain` takes it. */
export function plainPolicy(opts: PlainOptions, interruptedStep: WalkPolicy['interruptedStep']): WalkPolicy {
  return {
    confirm: opts.yes ? 'auto' : opts.confirm ? 'ask' : 'stop',
    recover: opts.recover || opts.recoverPath !== undefined,
    ...(opts.recoverPath !== undefined ? { recoverPath: opts.recoverPath } : {}),
    recovered: false,
    skips: new Map(Object.entries(opts.skips ?? {})),
    retryBlocked: opts.retryBlocked === true,
    interruptedStep,
    unattended: opts.input === undefined,
  };
}

/** Why a plain walk stopped, for the operator: the exit and the line that says what next. */
function ending(reason: StopReason, s: SessionState, opts: PlainOptions, declined: WalkEnd['declined'], shapeOf: (path: RecoveryPath) => RecoveryShape | undefined): { end: PlainEnd; message: string } {
  switch (reason.kind) {
    case 'ended': {
      if (s.status.kind !== 'ended') return { end: 'blocked', message: 'stepgate: the session did not end' };
      const { outcome, reason: why } = s.status;
      if (outcome === 'completed') {
        const over = passedOver(s);
        return { end: 'completed', message: `== completed${over ? ` (${over})` : ''} ==` };
      }
      const after = abortedNote(s);
      return { end: 'blocked', message: `== ${outcome}${why ? `: ${why}` : ''} ==${after !== undefined ? `\n${after}` : ''}` };
    }
    case 'not-started':
      return { end: 'blocked', message: 'stepgate: the session did not start' };
    case 'interrupted-step':
      return {
        end: 'blocked',
        // --recover acts at a failed gate; an interrupted step has not failed (a trial's --recover went unremarked).
        message: `${describeBlock(s, opts.cwd, shapeOf)}\nthe step was running when stepgate stopped; re-run it with: stepgate resume ${s.id} --yes --rerun-interrupted, or skip it with --skip ${reason.step}=REASON${opts.recover || opts.recoverPath !== undefined ? ` (${opts.recoverPath !== undefined ? '--recover-path' : '--recover'} takes a recovery path at a failed gate; this step has not failed: add --rerun-interrupted, and it acts if the step fails again)` : ''}`,
      };
    case 'blocked': {
      // Each way out spelled as a command for this session: "rerun" would read as starting
      // the runbook again, and a bare resume would only stop here again.
      // A check whose target names a value nobody gave is retried in vain until it has one (a
      // trial's `${NOPE}` was offered --retry alone): given in stepgate's environment, it does.
      const unset = namesWithoutValue(currentItem(s)?.step.reason);
      const ways = [
        // Short labels: a command wrapped at 80 columns is not one an operator can paste.
        `  retry:    ${unset.map((name) => `${name}=VALUE `).join('')}stepgate resume ${s.id} --retry`,
        ...(reason.recoverable ? [`  recover:  stepgate resume ${s.id} --recover  (recovery path 1)`] : []),
        // Another path by its number: a trial's roll back was path 2, out of plain mode's reach.
        ...((reason.paths ?? 0) > 1 ? [`            stepgate resume ${s.id} --recover-path N  (path N of the ${reason.paths})`] : []),
        `  skip:     stepgate resume ${s.id} --skip ${currentItem(s)?.item.step.id ?? 'STEP'}=REASON`,
        `  or decide in the TUI: stepgate (the picker lists this session)`,
      ];
      return { end: 'blocked', message: `${describeBlock(s, opts.cwd, shapeOf)}\nwhat next:\n${ways.join('\n')}` };
    }
    case 'needs-operator': {
      const what = reason.manual !== undefined ? `manual item "${reason.manual}"` : `step ${stepName(currentItem(s)?.item)} asks for confirmation`;
      return { end: 'blocked', message: `STOPPED: ${what}, and there is no terminal to ask on; --yes ticks manual items and confirms steps (journaled as by --yes): stepgate resume ${s.id} --yes` };
    }
    case 'needs-terminal':
      return {
        end: 'blocked',
        message: `STOPPED: step ${stepName(currentItem(s)?.item)} is interactive (it needs a person typing at a terminal) and stepgate has no terminal here (stdin and /dev/tty are not one); it was not started. Run it from a terminal: stepgate resume ${s.id}`,
      };
    case 'face':
      if (declined) {
        const what = declined.manual !== undefined ? `manual item "${declined.manual}" not ticked` : `step ${stepName(currentItem(s)?.item)} not confirmed`;
        return { end: 'blocked', message: `STOPPED: ${what}; continue with: stepgate resume ${s.id}` };
      }
      if (reason.why === INTERRUPTED) return { end: 'interrupted', message: `stepgate: interrupted; continue with: stepgate resume ${s.id}` };
      return { end: 'usage', message: `stepgate: ${reason.why}` };
    case 'returned':
      // Plain mode walks on after a recovery path (it printed each step's output); kept for a
      // policy that asks to stop there.
      return { end: 'blocked', message: `STOPPED: recovery ${reason.title} finished; ${stepName(currentItem(s)?.item)} runs again with: stepgate resume ${s.id} --yes` };
    case 'vars':
    case 'left-checklist':
    case 'no-progress':
      return { end: 'blocked', message: `stepgate: ${reason.kind === 'no-progress' && reason.error !== undefined ? reason.error : 'no progress'}` };
    default: {
      const never: never = reason;
      throw new Error(`unknown stop ${JSON.stringify(never)}`);
    }
  }
}

const INTERRUPTED = 'interrupted';

/**
 * Walks the session until it ends or blocks (`session/walk.ts`, under `plainPolicy`); prints
 * how it stopped and the summary. `interruptedStep` (resume): a step that was running when
 * stepgate died either stops the run (`stop`, the default of `resume`) or runs again (`rerun`).
 */
export async function runPlain(store: SessionStore, opts: PlainOptions, interruptedStep: 'stop' | 'rerun' | 'gate' = 'gate'): Promise<PlainEnd> {
  const out = opts.out;
  const input = opts.input;
  const { reason, declined } = await walk(store, plainPolicy(opts, interruptedStep), {
    answerVars: () => answerVars(store, { vars: opts.vars, env: opts.env, ...(opts.ask ? { ask: opts.ask } : {}), otherwise: 'default', takeDefaults: opts.yes }),
    halt: () => (opts.interrupted() ? INTERRUPTED : undefined),
    ...(input ? { acting: () => forwardInput(store, input, opts.onCtrlC) } : {}),
    ...(opts.confirm ? { ask: askOn(opts.confirm, store) } : {}),
    taking(move) {
      if (move.kind === 'retry') {
        const name = stepName(currentItem(store.getState().session)?.item);
        out.write(move.why === 'interrupted' ? `re-running interrupted step ${name}\n` : `retrying blocked step ${name}\n`);
      }
    },
  });
  const s = store.getState().session;
  const { end, message } = ending(reason, s, opts, declined, (path) => store.getState().actions.recoveryShape(path));
  // The block's reason and the table's notes quote check names and error bodies.
  out.write(`${displayText(message)}\n`);
  // On a terminal long notes wrap within plain mode's width; a file or pipe keeps one row per step.
  const tty = (out as { isTTY?: boolean }).isTTY === true;
  out.write(`\n${displayText(summaryTable(s, tty ? PLAIN_WIDTH : undefined))}\n`);
  return end;
}

/** The operator's terminal, even when stdout goes to a pipe: ask, as the TUI would. */
function askOn(confirm: (question: string) => Promise<boolean>, store: SessionStore): (move: Extract<Move, { kind: 'ask' }>) => Promise<boolean> {
  return (move) => confirm(displayText(move.manual !== undefined ? `[ ] ${move.manual}\n    done?` : `step ${stepName(currentItem(store.getState().session)?.item)} asks for confirmation: run it?`));
}
