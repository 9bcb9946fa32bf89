/**
 * The session store's contract: what it is given (`SessionDeps`, every effect behind an
 * interface) and what it offers the faces (`SessionActions`, `SessionStoreState`).
 */
import type { Finding } from './preflight.js';
import type { StoreApi } from 'zustand/vanilla';
import type { Clock, ScreenSnapshot } from '../exec/types.js';
import type { Journal } from './journal.js';
import type { TornLine } from './journal-read.js';
import type { LoadedRunbook } from './plan.js';
import type { ResumeReport } from './resume.js';
import type { ShellFactory } from './session-shell.js';
import type { ProbeRunner } from './step-runner.js';
import type { AcceptedEdit, FlowItem, LockEvent, RecoveryPath, SessionEvent, SessionState, TerminalEvent, VarSource, Who } from './types.js';
import type { RecoveryShape } from './recovery-shape.js';

export type { ResumeReport, ShellFactory, ProbeRunner };

/** Host facts for the journal; injectable so tests are deterministic. */
export interface HostFacts {
  who(): Who;
  /** The account stepgate runs as: steps run as it when neither --as nor the runbook's `user:` names another. */
  account: string;
  host: string;
  pid: number;
  cwd: string;
  version: string;
}

export interface SessionDeps {
  openShell: ShellFactory;
  probe: ProbeRunner;
  clock: Clock;
  journal: Journal;
  loadRunbook(file: string): Promise<LoadedRunbook>;
  host: HostFacts;
  /** Process environment: `${NAME}` in checks and secret-looking values to redact. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Jitter source for check backoff, [0, 1). Default Math.random. */
  random?: () => number;
  /** Minimum ms between screen snapshots pushed into the store. Default 50 (20 Hz). */
  screenIntervalMs?: number;
  /**
   * Whether `start` and `resume` start the session's shell ahead of the first step (default
   * true). The TUI passes false and calls `prepareShell` once its first frame is drawn: the
   * shell's modules and its fork would delay that frame.
   */
  shellAtStart?: boolean;
  /**
   * Whether a face shows the shell's screen (the TUI does). Default true. Plain mode passes
   * false: the shell then keeps no terminal emulator and `screen` stays null.
   */
  screen?: boolean;
  /**
   * What a step reads as stdin. Default 'terminal' (the pty). Plain mode without any terminal
   * passes 'none': a step reading stdin gets end-of-file instead of waiting forever.
   */
  stepStdin?: 'terminal' | 'none';
  /** Terminal size for the shell. Default 80x24. */
  cols?: number;
  rows?: number;
  /**
   * Where the transcript of run `attempt` of step `stepId` is, for a run a crash cut short
   * (no `step-finished` names it). Without it, `resume` cannot point to that output.
   */
  findTranscript?: (stepId: string, attempt: number) => Promise<string | undefined>;
  /**
   * Runbook files let in by `--allow-untrusted` (owned by another user, or writable by group
   * or others), as `file: why` lines: journaled in `session-started` and `session-resumed`.
   */
  allowedUntrusted?: () => string[];
}

export interface StartOptions {
  file: string;
  /** `--as USER`: run-as user for steps that do not name their own. */
  as?: string;
  yes?: boolean;
  /** What preflight found before the session started, journaled right after its start. */
  preflight?: { findings: Finding[]; ms: number; skipped?: string };
}

export interface SessionActions {
  /** Starts a new session on a runbook (loads linked runbooks, journals `session-started`). */
  start(options: StartOptions): Promise<void>;
  /** Rebuilds a session from its journal and continues it. */
  /** `acceptedEdits`: journal lines whose chain did not verify, accepted by the operator (journaled). */
  resume(events: SessionEvent[], options?: { torn?: TornLine; as?: string; acceptedEdits?: AcceptedEdit[] }): Promise<ResumeReport>;
  /**
   * Answers the var being asked for; '' takes the default. A value its `pattern:` refuses is
   * not taken (the var is still asked): the store's error and the result say why.
   */
  answerVar(value: string, source?: VarSource): Promise<string | undefined>;
  /** Starts the cursor step (a `confirm` step asks first). */
  runStep(): Promise<void>;
  /**
   * Starts the session's shell now, ahead of the step that will run in it, once every var has
   * its value and such a step is still to come (see `shellAtStart`); otherwise nothing.
   */
  prepareShell(): void;
  /** Runs step `index` of the top frame out of order (or again); the reason is journaled. */
  runStepAt(index: number, reason: string): Promise<void>;
  /** Confirms a manual item or accepts a `confirm` step. `auto`: confirmed by `--yes` rather than by the operator; journaled as such. */
  confirm(options?: { auto?: boolean }): Promise<void>;
  decline(): Promise<void>;
  retry(): Promise<void>;
  /** Takes recovery path `index` of the gate's list. `auto`: by `--recover` rather than by the operator; journaled as such. */
  chooseRecovery(index: number, options?: { auto?: boolean }): Promise<void>;
  skip(reason: string): Promise<void>;
  override(reason: string): Promise<void>;
  abort(reason?: string): Promise<void>;
  /**
   * Ctrl-C to the running step (or stops its checks). `cause`: why, when it is not the
   * operator's Ctrl-C (`the terminal closed (SIGHUP) ...`); it becomes the step's journaled reason.
   */
  interrupt(cause?: string): void;
  /** Journals what happened to the operator's terminal (dropped, attached, detached) or to the deploy lock. */
  record(event: RecordInput): Promise<void>;
  /**
   * A check's `http`/`tcp` target or `contains` of `item` as its probe gets it, for the screen:
   * the names of secrets, and of vars not answered yet, stay as written (`shownCheckText`).
   */
  shownCheckText(item: FlowItem, text: string): string;
  /** How many steps a recovery path walks and whether it ends rolled back, for its menu row. */
  recoveryShape(path: RecoveryPath): RecoveryShape | undefined;
  /** Keys to the running step. */
  write(data: string): void;
  /**
   * Keys for the step being started (typed in the same burst as the key that started it, or
   * before it runs): held and given to it as soon as its shell runs it.
   */
  typeAhead(data: string): void;
  resize(cols: number, rows: number): void;
  /** Resolves when no step is running and no event is being processed. */
  idle(): Promise<void>;
  /** Listens to a step's (redacted) output as it arrives: plain mode prints it. */
  onOutput(listener: (text: string) => void): () => void;
  /** Listens to every event after it is journaled and folded. */
  onEvent(listener: (event: SessionEvent, state: SessionState) => void): () => void;
  /** Stops a running step (`cause` as for `interrupt`), closes the shell and the journal. */
  close(cause?: string): Promise<void>;
}

/** A terminal event as `record` takes it: the store stamps the time. */
export type TerminalEventInput = TerminalEvent extends infer E ? (E extends TerminalEvent ? Omit<E, 'at'> : never) : never;

/** What `record` journals: a terminal event or a take-over of the deploy lock, without its time. */
export type RecordInput = TerminalEventInput | Omit<LockEvent, 'at'>;

export interface SessionStoreState {
  session: SessionState;
  /** The shell's screen, refreshed at most every `screenIntervalMs`. */
  screen: ScreenSnapshot | null;
  /**
   * While the session's shell starts (the first step waits for it), whom it starts as: the
   * step is running but its command has not started yet.
   */
  shellStarting?: string | undefined;
  /**
   * The running step printed this line, which looks like a question (a password prompt, a
   * `[y/N]`), and nothing since for a while: it may be waiting for keys. Undefined once it
   * prints more, is sent keys, or ends.
   */
  waitingForInput?: string | undefined;
  /** Why the last intent or effect failed (load error, refused decision ...). */
  error?: string;
  /**
   * A word for the operator that is no refusal (a resume's new shell, a deploy lock taken over),
   * shown on the status line for six seconds or until the next event. Kept apart from `error`: a var's prompt shows `error`
   * as the reason its last value was refused, and a trial saw the resume's shell notice there.
   */
  briefNotice?: string | undefined;
  resume?: ResumeReport;
  actions: SessionActions;
}

export type SessionStore = StoreApi<SessionStoreState>;
