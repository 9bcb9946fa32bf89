/**
 * The session engine's data: what the reducer holds, the events it folds (each one is also a
 * journal line) and the commands it hands back to the driver. Plain JSON throughout, so a
 * journal replayed through `reduce` rebuilds the same state.
 */
import type { RestoredShell } from '../exec/types.js';
import type { Step, VarSpec } from '../runbooks/model.js';
import type { Finding } from './preflight.js';

/** Recovery frames that may be stacked above the main runbook before a choice is refused. */
export const MAX_RECOVERY_DEPTH = 3;

/**
 * A journal line accepted by `--accept-edited-journal`. `sha256` (hex) is of the line's text as
 * it was accepted: the acceptance covers that text only, so the line rewritten again is a new
 * break (review F5: acceptances by line number let an accepted line be edited at will).
 * Acceptances written before it have none, and settle nothing.
 */
export interface AcceptedEdit {
  line: number;
  what: string;
  sha256?: string;
}

/** Journal format version, written in `session-started`. */
export const JOURNAL_VERSION = 1;

/** Where a recovery path came from, in the order they are offered. */
export type RecoveryOrigin = 'step' | 'section' | 'front-matter' | 'link';

/** A place the operator can go from a gate: a section (`anchor`) or a whole runbook file. */
export interface RecoveryPath {
  /** What the operator sees: `recovery.md#restart-services`. */
  label: string;
  origin: RecoveryOrigin;
  /** Resolved path (relative to the working directory when the runbook path was relative). */
  file: string;
  anchor?: string;
}

/** Which part of the walk a step belongs to. */
export type Phase = 'before' | 'main' | 'after' | 'recovery';

/** One step as the session walks it: the parsed step plus what the engine needs around it. */
export interface FlowItem {
  /** `file#stepId`, unique within its frame. */
  key: string;
  /** The runbook the step comes from (before/after checklists live in other files). */
  file: string;
  phase: Phase;
  step: Step;
  /** Title of the step's section heading, for the checklist's groups (absent before the first heading). */
  sectionTitle?: string;
  /** sha256 of what the step does (script, checks, text, attributes): spots edits on resume. */
  hash: string;
  /** Offered at this step's gate, de-duplicated, in declaration order. */
  recoveries: RecoveryPath[];
}

/** What a frame walks: the main flow, or a recovery section/runbook pushed on top of it. */
export interface FrameInit {
  /** `file` alone = the whole runbook (for the main frame: before + steps + after). */
  source: { file: string; anchor?: string };
  title: string;
  items: FlowItem[];
  /** Completing this frame ends the session as rolled back (front matter `rollback: true`). */
  rollback: boolean;
}

export type StepStatus = 'pending' | 'running' | 'passed' | 'failed' | 'skipped' | 'overridden';

/** Progress of one check of a check step, for the UI's countdown. */
export interface CheckProgress {
  target: string;
  name?: string;
  attempt: number;
  of: number;
  ok?: boolean;
  latencyMs?: number;
  status?: number;
  error?: string;
  /** What explains a failure, from the body or output (see `check-attempt`). */
  why?: string;
  /** Delay before the next attempt, and when it fires (clock ms). */
  nextDelayMs?: number;
  nextAt?: number;
}

export interface StepState {
  status: StepStatus;
  /** Why it was skipped/overridden, or why it failed when the shell could not say. */
  reason?: string;
  /** Runs started so far (retries included). */
  attempts: number;
  exitCode?: number | null;
  signal?: string;
  timedOut?: boolean;
  /** The run was cut short: Ctrl-C, or stepgate itself died while it ran (seen on resume). */
  interrupted?: boolean;
  startedAt?: number;
  finishedAt?: number;
  durationMs?: number;
  checks?: CheckProgress[];
}

export interface Frame {
  init: FrameInit;
  steps: StepState[];
  /** Index of the step the operator is on. */
  cursor: number;
  /** The cursor step is a `confirm` step and the question is on screen. */
  confirming?: boolean;
  /**
   * The recovery path that last finished and returned to this frame's cursor step (the one
   * that was blocked), kept after it left the stack: the faces still show what its steps did,
   * and a walk that ran it stops here instead of running the step again unseen. Dropped when
   * the cursor leaves that step (it passed, was skipped or overridden, another step ran).
   */
  returned?: ReturnedFrame;
}

/** A recovery frame that finished and returned to the step it was entered from. */
export interface ReturnedFrame {
  /** The frame as it finished: its steps with their states (never mutated again). */
  frame: Frame;
  /** Its depth on the stack while it ran (runs are told apart by depth and step key). */
  depth: number;
  /** The step of the frame below that it returned to. */
  index: number;
  /** `seq` of the event that finished it: a walk started before it stops at the return. */
  seq: number;
}

/** Who made a decision: the OS user behind sudo, and the SSM session when there is one. */
export interface Who {
  /** Who is at the keyboard as the environment says it (SUDO_USER, USER): a claim, unverified. */
  user: string;
  /** The account the process really ran as (its uid's name), when it is not `user`. */
  account?: string;
  ssmSessionId?: string;
}

export type Choice =
  | { kind: 'retry' }
  | { kind: 'recover'; index: number; path: RecoveryPath; disabled?: string }
  | { kind: 'skip'; reasonRequired: boolean }
  | { kind: 'override' }
  | { kind: 'abort' };

/** How a session ended. `discarded`: set aside by an operator (`stepgate discard`), not walked to an end. */
export type Outcome = 'completed' | 'rolled-back' | 'aborted' | 'discarded';

/** The status union the reducer switches on. */
export type Status =
  | { kind: 'new' }
  /** Front-matter vars are asked for, one at a time. */
  | { kind: 'vars'; spec: VarSpec }
  /** The cursor step waits for the operator (a manual item waits for confirmation). */
  | { kind: 'ready' }
  /** A `confirm` step asked before running. */
  | { kind: 'confirm' }
  | { kind: 'running' }
  /** A gate: nothing past the cursor runs until one of `choices` is taken. */
  | { kind: 'blocked'; choices: Choice[] }
  | { kind: 'ended'; outcome: Outcome; reason?: string };

export interface SessionState {
  id: string;
  status: Status;
  /** frames[0] is the main runbook; recovery frames are pushed on top. */
  frames: Frame[];
  vars: VarSpec[];
  /** Answered vars; secret values are never held here (nor journaled). */
  answers: Record<string, { secret: boolean; value?: string; source: VarSource }>;
  /**
   * Secret vars a resume asks again (their values were never kept), by how they were answered
   * before: one given by a person or a flag must not quietly become its default now.
   */
  secretsBefore?: Record<string, VarSource>;
  startedAt?: number;
  endedAt?: number;
  runbooks: RunbookDigest[];
  who?: Who;
  /**
   * Values steps captured (`capture=NAME`), the first one per name: passed to later steps and
   * checks as variables, restored on resume.
   */
  captured: Record<string, CapturedValue>;
  /** Run-as user for steps that name none: `--as` of the start, replaced by each resume's `--as`. */
  as?: string;
  /** A refusal or warning the operator should read (depth limit, missing reason ...). */
  notice?: string;
  /** What preflight found before the first step (the TUI's first row), once journaled. */
  preflight?: { findings: Finding[]; ms: number; skipped?: { reason: string; who: Who } };
  /** Journal events folded so far. */
  seq: number;
}

export interface CapturedValue {
  value: string;
  /** The step (`file#id`) whose output it is, and when. */
  key: string;
  at: number;
}

export interface RunbookDigest {
  path: string;
  sha256: string;
}

export type VarSource = 'prompt' | 'flag' | 'env' | 'default' | 'resume';

export type Decision =
  | { kind: 'retry' }
  /** A recovery path taken. `auto`: by `--recover` (plain mode), not by a person at the gate. */
  | { kind: 'recover'; path: RecoveryPath; frame: FrameInit; auto?: true }
  | { kind: 'skip'; reason: string }
  | { kind: 'override'; reason: string }
  | { kind: 'abort'; reason?: string }
  /**
   * A manual item confirmed, or a `confirm` step accepted. `auto`: by `--yes`, not by a
   * person looking at it (the audit trail must tell the two apart).
   */
  | { kind: 'confirm'; auto?: true }
  /** A `confirm` step declined: back to ready. */
  | { kind: 'decline' }
  /**
   * Run step `index` of the top frame out of order (or again), with a reason. The cursor
   * returns to the first open step afterwards. Never offered past a gate.
   */
  | { kind: 'jump'; index: number; reason: string };

/** Step edits found when a runbook changed between crash and resume. */
export interface PlanDiff {
  added: string[];
  removed: string[];
  edited: string[];
}

/** Every event is one journal line; `at` is clock ms. */
export type SessionEvent =
  | {
      type: 'session-started';
      at: number;
      v: number;
      id: string;
      version: string;
      who: Who;
      host: string;
      pid: number;
      cwd: string;
      runbooks: RunbookDigest[];
      frame: FrameInit;
      vars: VarSpec[];
      /** `allowedUntrusted`: runbook files let in by --allow-untrusted, `file: why`. */
      options: { as?: string; yes?: boolean; allowedUntrusted?: string[] };
      /**
       * The user the session's steps run as (--as, else the runbook's `user:`, else stepgate's own
       * account), as it was then: a report must not read it from the runbook as it is today.
       * Absent in journals of stepgate before it was kept.
       */
      runAs?: string;
    }
  | { type: 'var-answered'; at: number; name: string; secret: boolean; value?: string; source: VarSource }
  /**
   * A step with `capture=NAME` passed: what it printed, kept as a session variable. Journaled
   * before its `step-finished`. A name already captured keeps its first value (not journaled again).
   */
  | { type: 'var-captured'; at: number; depth: number; index: number; key: string; name: string; value: string }
  | { type: 'step-started'; at: number; depth: number; index: number; key: string; attempt: number }
  | {
      type: 'check-attempt';
      at: number;
      depth: number;
      index: number;
      key: string;
      check: number;
      target: string;
      name?: string;
      attempt: number;
      of: number;
      ok: boolean;
      latencyMs: number;
      status?: number;
      exitCode?: number;
      error?: string;
      /**
       * A failed attempt's response body or `run:` output, its head (whitespace collapsed,
       * at most `OUTPUT_EXCERPT` characters), when the error does not quote it already. The
       * whole of it (as the probe kept it) is in the step's transcript.
       */
      output?: string;
      /**
       * What explains a failed attempt, from its body or output (`checkWhy`): a JSON body's
       * status/error/message/reason/detail values, or the first non-empty line of text.
       */
      why?: string;
      nextDelayMs?: number;
    }
  | {
      type: 'step-finished';
      at: number;
      depth: number;
      index: number;
      key: string;
      ok: boolean;
      exitCode: number | null;
      signal?: string;
      durationMs: number;
      timedOut: boolean;
      interrupted: boolean;
      shellExited?: boolean;
      reason?: string;
      transcript?: string;
      /** Why the transcript is not the step's whole output (cut short, or never opened): the disk's error. */
      transcriptLost?: string;
    }
  | { type: 'confirm-requested'; at: number; depth: number; index: number; key: string }
  | { type: 'decision'; at: number; depth: number; index: number; key: string; who: Who; decision: Decision }
  | {
      type: 'session-resumed';
      at: number;
      who: Who;
      pid: number;
      host: string;
      /** A torn last journal line was dropped before appending. */
      tornLine?: { line: number; bytes: number };
      /** `--as USER` given to resume, when it differs from the session's. */
      as?: string;
      /** The user the steps run as from now on, when it is not the one journaled before (see session-started). */
      runAs?: string;
      /**
       * Journal lines whose hash chain did not verify, accepted by the operator with
       * --accept-edited-journal (see `journal-chain.ts`).
       */
      acceptedEdits?: AcceptedEdit[];
    }
  | {
      /**
       * `stepgate discard ID REASON`: the session is not needed any more and ends, from any
       * state, without anything run. Written by the discarding process, never by a live one.
       */
      type: 'session-discarded';
      at: number;
      who: Who;
      reason: string;
    }
  | { type: 'plan-replaced'; at: number; depth: number; frame: FrameInit; diff: PlanDiff; runbooks: RunbookDigest[] }
  | {
      /** What preflight found on the host before the first step (warnings, or errors passed by --skip-preflight). */
      type: 'preflight';
      at: number;
      findings: Finding[];
      /** How long it took, ms. */
      ms: number;
      /** `--skip-preflight REASON`: the errors did not block, and who said so. */
      skipped?: { reason: string; who: Who };
    }
  | {
      /** The session shell was replaced: what was in it (functions, unexported variables) is gone. */
      type: 'shell-reset';
      at: number;
      /** `shell-ended`: a step ran `exit N` or the shell was killed; `resumed`: a new stepgate process took the session over. */
      cause: ShellResetCause;
      reason: string;
      /** What the new shell starts from; absent when nothing was restored. */
      restored?: RestoredShell;
    }
  | TerminalEvent
  | LockEvent;

export type ShellResetCause = 'shell-ended' | 'resumed';

/**
 * Who was at a terminal that came or went (issue 12): the login user behind it (`SUDO_USER`
 * first, as for decisions) and its SSM session, plus the terminal itself.
 */
export interface TerminalFacts {
  who: Who;
  /** `/dev/pts/3`, when known. */
  tty?: string;
  /** A watcher (`stepgate attach --watch`): it sees the screen and cannot act. */
  readOnly?: boolean;
}

/**
 * The operator's terminal and the session, journaled as their own events: the audit trail says
 * when a terminal dropped (distinct from an operator's Ctrl-C) and who came back. The engine
 * folds them as nothing: they change no step.
 */
export type TerminalEvent =
  | {
      /**
       * The terminal went away (a dropped SSM session: SIGHUP). `kept`: stepgate ran in its
       * detachable terminal, so the TUI and the running step went on; otherwise the running
       * step was stopped.
       */
      type: 'terminal-closed';
      at: number;
      signal: string;
      kept: boolean;
      terminal?: TerminalFacts;
    }
  /** Someone attached to the detached TUI (`stepgate attach`). */
  | { type: 'terminal-attached'; at: number; terminal: TerminalFacts }
  /** Someone detached on purpose (the detach key). */
  | { type: 'terminal-detached'; at: number; terminal: TerminalFacts };

/**
 * One side of a take-over of the runbook's deploy lock: the login user, its stepgate and session.
 * In the holder's `lost` event, `by` has `uid`: `user` is then the name of the uid the kernel
 * showed (the requester's proof file, `exec/lock.ts`), verified; `pid`, `session` and
 * `claimedUser` (the login it said, when it is not `user`) are the requester's claims.
 */
export interface LockParty {
  user: string;
  pid: number;
  session?: string;
  /** The verified uid behind `user` (a `lost` event's `by`). */
  uid?: number;
  /** The login the requester claimed (SUDO_USER behind root, say), when it differs from the verified `user`. */
  claimedUser?: string;
}

/**
 * The runbook's deploy lock (`lock:` front matter) changed hands by `--steal-lock REASON`
 * (issue 11), journaled in both sessions: the thief's (`side: 'took'`, `from` the holder when it
 * answered) and the holder's (`side: 'lost'`, just before its running step is stopped). The
 * engine folds it as nothing.
 */
export interface LockEvent {
  type: 'lock-taken-over';
  at: number;
  lock: string;
  side: 'took' | 'lost';
  by: LockParty;
  from?: LockParty;
  reason: string;
}

export type SessionEventType = SessionEvent['type'];

/** Effects the reducer asks for; the driver performs them and feeds events back. */
export type Command =
  /** Begin the cursor step of the top frame (a retry, a confirmed step, a step run out of order). */
  | { type: 'start-step'; depth: number; index: number; confirmed: boolean }
  /** Run the step now: a command in the shell, or its checks. */
  | { type: 'execute'; depth: number; index: number; attempt: number; item: FlowItem }
  | { type: 'ended'; outcome: Outcome };

export interface Reduction {
  state: SessionState;
  commands: Command[];
}
