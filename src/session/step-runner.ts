/**
 * Running one step: a command in the session shell, or a check step's probes, with its
 * transcript. Whatever happens on the way (the transcript, the shell, a probe throwing) ends
 * in a `step-finished` event, which is returned for the store to journal and fold.
 */
import type { Clock, ProbeResult, ProbeSpec, RunResult } from '../exec/types.js';
import { describeError } from '../errors.js';
import type { Step } from '../runbooks/model.js';
import { backoffDelay } from './backoff.js';
import { runCheckStep, type ChecksOutcome } from './checks.js';
import type { Journal, TranscriptSink } from './journal.js';
import type { SecretSet } from './redact.js';
import { MAX_CAPTURE, type SessionShell } from './session-shell.js';
import { checkCwd, lookupVar, runnableStep, shellPlace, stepCwd, stepEnv, stepUser, type StepContext } from './step-context.js';
import type { CapturedValue, Command, FlowItem, SessionEvent } from './types.js';
import { printable } from './printable.js';

/** One probe attempt (exec's probes); retries and backoff are the session's, on its clock. */
/** `redact` hides the session's secrets in what the result keeps, before it is cut (see exec's ProbeOptions). */
export type ProbeRunner = (spec: ProbeSpec, signal?: AbortSignal, redact?: (text: string) => string) => Promise<ProbeResult>;

export type StepFinished = Extract<SessionEvent, { type: 'step-finished' }>;
export type CheckAttempt = Extract<SessionEvent, { type: 'check-attempt' }>;
type FinishFields = Omit<StepFinished, 'type' | 'at' | 'depth' | 'index' | 'key'>;
type ExecuteCommand = Extract<Command, { type: 'execute' }>;

export interface StepRunnerDeps {
  journal: Journal;
  clock: Clock;
  probe: ProbeRunner;
  /** Jitter source for check backoff, [0, 1). */
  random: () => number;
  secrets: SecretSet;
  shell: SessionShell;
  /** The step's context as it is now (runbooks, options, vars). */
  context(): StepContext;
  /** The session's event count, for the transcript's name. */
  seq(): number;
  /** Journal a check attempt before the wait for the next one. */
  report(attempt: CheckAttempt): Promise<void>;
  /** Show a failure as the store's error. */
  fail(message: string): void;
  /** The value a `capture=` step kept for `name` earlier in the session, if any. */
  captured(name: string): CapturedValue | undefined;
  /** Journal and fold a first capture (the store also passes it to later steps). */
  keepCapture(event: Extract<SessionEvent, { type: 'var-captured' }>): Promise<void>;
}

/** What a step printed, as a value: escapes and carriage returns gone, trimmed. */
export function capturedValue(raw: string): string {
  return printable(raw.replace(/\r\n/g, '\n')).replace(/\r/g, '').trim();
}

/**
 * Why a step stopped by ctrl-c (or a hang-up) printed nothing: the stop came while the
 * session's shell was still starting (the first step of a session waits a second or two for
 * it), so its script never ran. The store puts who stopped it in front.
 */
export const NOT_STARTED = 'before the step started (its shell was still starting): nothing ran';

/** Where output goes when no transcript could be opened. */
const NO_TRANSCRIPT: TranscriptSink = { write: () => undefined, close: async () => undefined };

/** A step's transcript, and why it is not the step's whole output when it is not. */
interface GuardedSink extends TranscriptSink {
  lost(): string | undefined;
}

export class StepRunner {
  private readonly deps: StepRunnerDeps;
  private transcriptWarned = false;

  constructor(deps: StepRunnerDeps) {
    this.deps = deps;
  }

  /** Runs the step `command` names; always resolves to its `step-finished` (unless the clock throws). */
  async run(command: ExecuteCommand, signal: AbortSignal): Promise<StepFinished> {
    const { deps } = this;
    const { item, depth, index, attempt } = command;
    const base = { depth, index, key: item.key };
    const started = deps.clock.now();
    let sink: GuardedSink | undefined;
    let fields: FinishFields;
    try {
      const step = runnableStep(deps.context(), item);
      sink = await this.openTranscript(`${String(deps.seq()).padStart(5, '0')}-${step.id}-${attempt}`);
      fields = await this.outcome(command, step, signal, sink, started);
    } catch (error) {
      deps.shell.endStep(false);
      fields = {
        ok: false,
        exitCode: null,
        durationMs: deps.clock.now() - started,
        timedOut: false,
        interrupted: signal.aborted,
        reason: `stepgate could not run this step: ${describeError(error)}`,
      };
    }
    await sink?.close();
    const event: StepFinished = { type: 'step-finished', at: deps.clock.now(), ...base, ...fields };
    if (sink?.path !== undefined) event.transcript = sink.path;
    // An audit reads the transcript as the step's whole output unless the journal says otherwise.
    const lost = sink?.lost();
    if (lost !== undefined) event.transcriptLost = lost;
    return event;
  }

  private async outcome(command: ExecuteCommand, step: Step, signal: AbortSignal, sink: TranscriptSink, started: number): Promise<FinishFields> {
    const { deps } = this;
    const { item, depth, index } = command;
    if (step.kind === 'command') {
      const { result, printed } = await this.runCommand(item, step, signal, sink, started);
      deps.shell.refreshScreen();
      // Before step-finished: the state kept on disk is never older than what the journal says ran.
      await deps.shell.keepState();
      // A shell that ended is replaced by exec on the next run, with cwd and exports restored
      // (and a shell-reset event): closing it here would lose that state.
      let ok = result.exitCode === 0 && !result.timedOut && !result.interrupted;
      let captureFailure: string | undefined;
      if (ok && step.attrs.capture !== undefined && printed !== undefined) {
        captureFailure = await this.capture(step.attrs.capture, capturedValue(printed), { depth, index, key: item.key });
        if (captureFailure !== undefined) ok = false;
      }
      const fields: FinishFields = {
        ok,
        exitCode: result.exitCode,
        durationMs: Math.round(result.durationMs),
        timedOut: result.timedOut,
        interrupted: result.interrupted,
      };
      if (result.signal !== undefined) fields.signal = result.signal;
      if (result.shellExited) fields.shellExited = true;
      const reason = captureFailure ?? result.reason ?? (result.timedOut ? `timed out after ${step.attrs.timeoutMs ?? '?'} ms` : undefined);
      if (reason !== undefined) fields.reason = reason;
      return fields;
    }
    if (step.kind === 'check') {
      const outcome = await this.runChecks(item, step, { depth, index, key: item.key }, signal, sink);
      return {
        ok: outcome.ok,
        exitCode: outcome.ok ? 0 : 1,
        durationMs: deps.clock.now() - started,
        timedOut: false,
        interrupted: outcome.interrupted,
        ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
      };
    }
    return { ok: false, exitCode: null, durationMs: 0, timedOut: false, interrupted: false, reason: 'a manual item is confirmed, not run' };
  }

  /**
   * Keeps what a `capture=NAME` step printed as a session variable, once: a name captured
   * before keeps its value (a re-run after a change must not replace what was recorded before
   * it), and the operator is told. Returns why the step fails instead, if it does.
   */
  private async capture(name: string, value: string, base: { depth: number; index: number; key: string }): Promise<string | undefined> {
    const { deps } = this;
    if (value === '') return `capture=${name}: the step printed nothing to capture`;
    if (value.length > MAX_CAPTURE) return `capture=${name}: the step printed ${value.length} characters; a captured value holds at most ${MAX_CAPTURE}`;
    const kept = deps.captured(name);
    if (kept) {
      const note =
        kept.value === value
          ? `[stepgate] ${name} is still ${kept.value}`
          : `[stepgate] ${name} keeps the value captured at ${kept.key.slice(kept.key.lastIndexOf('#') + 1)}: ${kept.value} (this run printed ${value}; a capture is written once per session)`;
      deps.shell.tell(`${deps.secrets.redact(note)}\r\n`);
      return undefined;
    }
    await deps.keepCapture({ type: 'var-captured', at: deps.clock.now(), ...base, name, value });
    return undefined;
  }

  /** The command in the session shell; a shell that cannot start or run fails the step with why. */
  private async runCommand(
    item: FlowItem,
    step: Extract<Step, { kind: 'command' }>,
    signal: AbortSignal,
    sink: TranscriptSink,
    started: number,
  ): Promise<{ result: RunResult; printed: string | undefined }> {
    const { deps } = this;
    const ctx = deps.context();
    deps.shell.beginStep(sink, step.attrs.capture !== undefined);
    let result: RunResult;
    try {
      const sh = await deps.shell.ensure(shellPlace(ctx));
      if (signal.aborted) {
        // An empty transcript would read as a run that printed nothing: it says what happened.
        sink.write(`[stepgate] stopped ${NOT_STARTED}\n`);
        deps.shell.endStep(false);
        return { result: { exitCode: null, durationMs: deps.clock.now() - started, timedOut: false, interrupted: true, shellExited: false, reason: NOT_STARTED }, printed: undefined };
      }
      sh.clearScreen();
      const running = sh.run({
        script: step.script,
        timeoutMs: step.attrs.timeoutMs,
        cwd: stepCwd(ctx, item, step),
        user: stepUser(ctx, item, step),
        isolated: step.attrs.isolated,
        env: stepEnv(ctx, item),
        signal,
      });
      // run() has taken the shell (synchronously): keys typed until now reach the step.
      deps.shell.releaseInput(sh);
      result = await running;
    } catch (error) {
      result = {
        exitCode: null,
        durationMs: deps.clock.now() - started,
        timedOut: false,
        interrupted: signal.aborted,
        shellExited: false,
        reason: describeError(error),
      };
    }
    const printed = deps.shell.endStep();
    return { result, printed };
  }

  private runChecks(
    item: FlowItem,
    step: Extract<Step, { kind: 'check' }>,
    base: { depth: number; index: number; key: string },
    signal: AbortSignal,
    sink: { write(text: string): void },
  ): Promise<ChecksOutcome> {
    const { deps } = this;
    const ctx = deps.context();
    const ownCwd = checkCwd(ctx, item, step);
    const user = stepUser(ctx, item, step);
    return runCheckStep(step, {
      probe: deps.probe,
      clock: deps.clock,
      backoff: (attempt, policy) => backoffDelay(attempt, policy, deps.random),
      lookup: lookupVar(ctx, item),
      env: stepEnv(ctx, item),
      ...(user !== undefined ? { user } : {}),
      ...(ownCwd !== undefined ? { cwd: ownCwd } : {}),
      signal,
      transcript: (text) => sink.write(deps.secrets.redact(text)),
      redact: deps.secrets.redact,
      report: (attempt) => deps.report({ type: 'check-attempt', at: deps.clock.now(), ...base, ...attempt }),
    });
  }

  /** Transcript trouble (disk full, a closed file) is reported once and never stops a step. */
  private transcriptTrouble(path: string | undefined, error: unknown): void {
    if (this.transcriptWarned) return;
    this.transcriptWarned = true;
    const line = `[stepgate] warning: the step transcript${path !== undefined ? ` ${path}` : ''} cannot be written (${describeError(error)}); steps go on without it`;
    this.deps.shell.tell(`${this.deps.secrets.redact(line)}\r\n`);
    this.deps.fail(line);
  }

  /** A transcript whose failures are warnings: its write runs inside the pty's data callback. */
  private async openTranscript(name: string): Promise<GuardedSink> {
    let sink: TranscriptSink;
    try {
      sink = await this.deps.journal.openTranscript(name);
    } catch (error) {
      this.transcriptTrouble(undefined, error);
      const lost = `not written: ${describeError(error)}`;
      return { ...NO_TRANSCRIPT, lost: () => lost };
    }
    let lost: string | undefined;
    const broke = (error: unknown): void => {
      lost ??= `cut short: ${describeError(error)}`;
      this.transcriptTrouble(sink.path, error);
    };
    const safe: GuardedSink = {
      write: (text) => {
        if (lost !== undefined) return;
        try {
          sink.write(text);
        } catch (error) {
          broke(error);
        }
      },
      close: async () => {
        try {
          await sink.close();
        } catch (error) {
          broke(error);
        }
      },
      lost: () => lost,
    };
    return sink.path === undefined ? safe : { ...safe, path: sink.path };
  }
}
