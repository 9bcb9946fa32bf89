/**
 * The live session: a zustand vanilla store around the pure reducer. Operator intents become
 * events; each event is journaled (fsync'd) first, then folded, then the commands the reducer
 * returns are performed (running a step in the shell, probing checks) and their results come
 * back as more events. The UI reads the store and calls `actions`; it never touches exec.
 */
import { userInfo } from 'node:os';
import { resolve as resolvePath } from 'node:path';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  ProbeResult,
  ProbeSpec,
  RunResult,
  ScreenSnapshot,
  RestoredShell,
  Shell,
  ShellOptions,
  ShellSnapshot,
  Clock,
} from '../exec/types.js';
import type { Runbook, Step, VarSpec } from '../runbooks/model.js';
import { backoffDelay } from './backoff.js';
import { runCheckStep, type ChecksOutcome } from './checks.js';
import type { Journal, TornLine, TranscriptSink } from './journal.js';
import { collectRunbooks, collectVars, diffPlans, journaledVars, planMain, planRecovery, replanFrame, type LoadedRunbook } from './plan.js';
import { currentItem, reduce, refusal, replay, initialState } from './reducer.js';
import { REDACTED, SecretSet, StreamRedactor, looksSecret, redactDeep } from './redact.js';
import { restoredFrom, withoutSecrets } from './shell-state.js';
import { runLogOf, withTranscript, type RunLog } from './run-log.js';
import type {
  Command,
  Decision,
  FlowItem,
  PlanDiff,
  RunbookDigest,
  SessionEvent,
  SessionState,
  VarSource,
  Who,
} from './types.js';

/** Opens the session's persistent shell (exec's `openShell`). */
export type ShellFactory = (options: ShellOptions) => Promise<Shell>;

/** One probe attempt (exec's probes); retries and backoff are the session's, on its clock. */
/** `redact` hides the session's secrets in what the result keeps, before it is cut (see exec's ProbeOptions). */
export type ProbeRunner = (spec: ProbeSpec, signal?: AbortSignal, redact?: (text: string) => string) => Promise<ProbeResult>;

/** Host facts for the journal; injectable so tests are deterministic. */
export interface HostFacts {
  who(): Who;
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
  /** Terminal size for the shell. Default 80x24. */
  cols?: number;
  rows?: number;
  /**
   * Where the transcript of run `attempt` of step `stepId` is, for a run a crash cut short
   * (no `step-finished` names it). Without it, `resume` cannot point to that output.
   */
  findTranscript?: (stepId: string, attempt: number) => Promise<string | undefined>;
}

export interface StartOptions {
  file: string;
  /** `--as USER`: run-as user for steps that do not name their own. */
  as?: string;
  yes?: boolean;
}

/** What `resume` found and did, for the operator. */
export interface ResumeReport {
  torn?: TornLine;
  /**
   * The step that was running when stepgate stopped, if any, and the transcript of that run
   * (what it printed until then) when it is found.
   */
  interrupted?: { key: string; title: string; transcript?: string };
  /** Runbooks whose content changed since the session started, with step-level changes. */
  changed: Array<{ file: string; diff: PlanDiff }>;
  /**
   * What the new shell takes over from the one the earlier process had (its cwd and exported
   * variables, kept on disk after every step); absent when nothing was kept (a session from
   * before this was kept, or one that had run no step).
   */
  shell?: RestoredShell;
  /** Why a kept shell state is not used (steps now run as another user). */
  shellNotRestored?: string;
  /** Each step's latest run as journaled (check attempts, transcript), for the TUI's gate. */
  runs?: RunLog;
}

export interface SessionActions {
  /** Starts a new session on a runbook (loads linked runbooks, journals `session-started`). */
  start(options: StartOptions): Promise<void>;
  /** Rebuilds a session from its journal and continues it. */
  resume(events: SessionEvent[], options?: { torn?: TornLine; as?: string }): Promise<ResumeReport>;
  /** Answers the var being asked for; '' takes the default. */
  answerVar(value: string, source?: VarSource): Promise<void>;
  /** Starts the cursor step (a `confirm` step asks first). */
  runStep(): Promise<void>;
  /** Runs step `index` of the top frame out of order (or again); the reason is journaled. */
  runStepAt(index: number, reason: string): Promise<void>;
  /**
   * Runs steps in order until something needs the operator: a gate, a var, a manual item or
   * confirmation (unless `yes`), or the end.
   */
  runToNextBlock(options?: { yes?: boolean }): Promise<void>;
  /** Confirms a manual item or accepts a `confirm` step. */
  /** `auto`: confirmed by `--yes` rather than by the operator; journaled as such. */
  confirm(options?: { auto?: boolean }): Promise<void>;
  decline(): Promise<void>;
  retry(): Promise<void>;
  /** Takes recovery path `index` of the gate's list. */
  chooseRecovery(index: number): Promise<void>;
  skip(reason: string): Promise<void>;
  override(reason: string): Promise<void>;
  abort(reason?: string): Promise<void>;
  /** Ctrl-C to the running step (or stops its checks). */
  interrupt(): void;
  /** Keys to the running step. */
  write(data: string): void;
  resize(cols: number, rows: number): void;
  /** Resolves when no step is running and no event is being processed. */
  idle(): Promise<void>;
  /** Listens to a step's (redacted) output as it arrives: plain mode prints it. */
  onOutput(listener: (text: string) => void): () => void;
  /** Listens to every event after it is journaled and folded. */
  onEvent(listener: (event: SessionEvent, state: SessionState) => void): () => void;
  close(): Promise<void>;
}

export interface SessionStoreState {
  session: SessionState;
  /** The shell's screen, refreshed at most every `screenIntervalMs`. */
  screen: ScreenSnapshot | null;
  /** Why the last intent or effect failed (load error, refused decision ...). */
  error?: string;
  resume?: ResumeReport;
  actions: SessionActions;
}

export type SessionStore = StoreApi<SessionStoreState>;

/** Where output goes when no transcript could be opened. */
const NO_TRANSCRIPT: TranscriptSink = { write: () => undefined, close: async () => undefined };

export function createSessionStore(deps: SessionDeps): SessionStore {
  const env = deps.env ?? process.env;
  const random = deps.random ?? Math.random;

  const screenInterval = deps.screenIntervalMs ?? 50;
  const secrets = new SecretSet();
  secrets.addEnv(env);
  /** Var values, secret ones included; never in the store's state. */
  const varValues = new Map<string, string>();
  /** Declared defaults, secret ones included (the journal and the state hold `[REDACTED]` for those). */
  let varDefaults = new Map<string, string>();
  let books = new Map<string, Runbook>();
  let options: StartOptions = { file: '' };
  let shell: Shell | undefined;
  /** The terminal size the UI last asked for; a shell opened later starts at it. */
  let size = { cols: deps.cols ?? 80, rows: deps.rows ?? 24 };
  let shellOff: (() => void) | undefined;
  let running: { abort: AbortController; done: Promise<void> } | undefined;
  let queue: Promise<void> = Promise.resolve();
  let screenTimer: ReturnType<typeof setTimeout> | undefined;
  let lastScreenAt = 0;
  const outputListeners = new Set<(text: string) => void>();
  const eventListeners = new Set<(event: SessionEvent, state: SessionState) => void>();
  let currentSink: { write(text: string): void } | undefined;
  let lineRedactor: StreamRedactor | undefined;
  let transcriptWarned = false;
  /** A resumed session's kept shell state, for the first shell this process opens. */
  let restoreShell: ShellSnapshot | undefined;
  /** Journaled when that first shell opens: the earlier process's shell was replaced. */
  let resumedReset: Extract<SessionEvent, { type: 'shell-reset' }> | undefined;
  /** The shell state last kept on disk (JSON), so an unchanged one is not written again. */
  let keptShell = '';
  let shellStateWarned = false;
  /** The kept shell state being removed because the session ended; close() waits for it. */
  let forgettingShell: Promise<void> = Promise.resolve();

  const store = createStore<SessionStoreState>()(() => ({
    session: initialState(),
    screen: null,
    actions: undefined as unknown as SessionActions,
  }));
  const state = (): SessionState => store.getState().session;
  const fail = (message: string): void => store.setState({ error: secrets.redact(message) });

  function learnSecrets(book: Runbook): void {
    secrets.addEnv(book.frontMatter.env);
  }

  /** Remembers the declared defaults; a secret var's default is redacted like its value. */
  function learnVars(vars: readonly VarSpec[]): void {
    varDefaults = new Map();
    for (const v of vars) {
      if (v.default === undefined) continue;
      varDefaults.set(v.name, v.default);
      if (v.secret) secrets.add(v.default);
    }
  }

  /**
   * Journal, fold, perform. Events are processed strictly one after another. The redacted
   * event is the one journaled, folded and shown: neither the state nor a listener (plain
   * mode's stdout, the TUI) ever holds a secret, and a replayed journal equals the live state.
   */
  function dispatch(raw: SessionEvent): Promise<void> {
    const next = queue.then(async () => {
      const event = redactDeep(raw, secrets.redact);
      await deps.journal.append(event);
      const { state: folded, commands } = reduce(state(), event);
      store.setState({ session: folded, error: folded.notice });
      for (const listener of eventListeners) listener(event, folded);
      for (const command of commands) perform(command);
    });
    queue = next.catch(() => undefined);
    return next;
  }

  function perform(command: Command): void {
    switch (command.type) {
      case 'start-step':
        // Not awaited inside the queue: starting journals another event.
        void Promise.resolve()
          .then(() => startStep(command.confirmed, { depth: command.depth, index: command.index }))
          .catch((e: unknown) => fail(String(e)));
        return;
      case 'execute':
        launch(command);
        return;
      case 'ended':
        void closeShell();
        forgettingShell = forgetShellState();
        return;
      default: {
        const never: never = command;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
  }

  function who(): Who {
    return deps.host.who();
  }

  async function decide(decision: Decision): Promise<void> {
    await queue;
    const s = state();
    const why = refusal(s, decision);
    const cur = currentItem(s);
    if (why !== undefined || !cur) {
      fail(why ?? 'there is no step to decide on');
      return;
    }
    await dispatch({ type: 'decision', at: deps.clock.now(), depth: cur.depth, index: cur.index, key: cur.item.key, who: who(), decision });
  }

  /**
   * Starts the cursor step. `target` is set for a start the reducer asked for (retry, a
   * confirmed step, a recovery that returned): events queued meanwhile may have moved the
   * cursor, and that start (maybe already confirmed) belongs to the step it named, not to
   * whatever is current now, so it is dropped.
   */
  async function startStep(confirmed: boolean, target?: { depth: number; index: number }): Promise<void> {
    await queue;
    const s = state();
    const cur = currentItem(s);
    if (target !== undefined && (cur?.depth !== target.depth || cur.index !== target.index)) return;
    if (!cur || s.status.kind !== 'ready') {
      const why =
        s.status.kind === 'vars'
          ? `answer ${s.status.spec.name} first`
          : s.status.kind === 'blocked'
            ? `${cur?.item.step.id ?? 'the step'} is blocked: retry, recover, skip, override or abort`
            : `cannot start a step while ${s.status.kind}`;
      fail(why);
      return;
    }
    const { item, depth, index } = cur;
    if (item.step.kind === 'manual') {
      fail(`${item.step.id} is a manual item: confirm it when done`);
      return;
    }
    if (item.step.attrs.confirm && !confirmed) {
      await dispatch({ type: 'confirm-requested', at: deps.clock.now(), depth, index, key: item.key });
      return;
    }
    await dispatch({ type: 'step-started', at: deps.clock.now(), depth, index, key: item.key, attempt: cur.step.attempts + 1 });
  }

  /** The step as it is in the loaded runbook now (journaled copies may be redacted). */
  function liveStep(item: FlowItem): Step {
    return books.get(item.file)?.steps.find((s) => s.id === item.step.id) ?? item.step;
  }

  function frontMatterOf(item: FlowItem): Runbook['frontMatter'] | undefined {
    return books.get(item.file)?.frontMatter;
  }

  function stepEnv(item: FlowItem): Record<string, string> {
    return { ...(frontMatterOf(item)?.env ?? {}), ...Object.fromEntries(varValues) };
  }

  /**
   * A step's own `cwd=`, or the front-matter cwd of a linked runbook (a checklist in another
   * file). Steps of the main runbook get none: the shell starts in its cwd and a `cd` in one
   * step holds in the next, as in a terminal.
   */
  function stepCwd(item: FlowItem, step: Step): string | undefined {
    const own = step.kind === 'manual' ? undefined : step.attrs.cwd;
    if (own !== undefined) return own;
    return item.file === options.file ? undefined : frontMatterOf(item)?.cwd;
  }

  function userFor(item: FlowItem, step: Step): string | undefined {
    const own = step.kind === 'manual' ? undefined : step.attrs.user;
    return own ?? options.as ?? frontMatterOf(item)?.user ?? books.get(options.file)?.frontMatter.user;
  }

  function launch(command: Extract<Command, { type: 'execute' }>): void {
    const abort = new AbortController();
    const done = execute(command, abort.signal).catch((error: unknown) => {
      fail(error instanceof Error ? error.message : String(error));
    });
    running = { abort, done };
    void done.finally(() => {
      if (running?.done === done) running = undefined;
    });
  }

  async function ensureShell(): Promise<Shell> {
    if (shell) return shell;
    const main = books.get(options.file);
    const opened = await deps.openShell({
      user: options.as ?? main?.frontMatter.user,
      cwd: main?.frontMatter.cwd,
      env: { ...(main?.frontMatter.env ?? {}), ...Object.fromEntries(varValues) },
      cols: size.cols,
      rows: size.rows,
      ...(restoreShell ? { restore: restoreShell } : {}),
    });
    restoreShell = undefined;
    shell = opened;
    if (resumedReset) {
      const reset = { ...resumedReset, at: deps.clock.now() };
      resumedReset = undefined;
      // What the shell really took over: the kept directory may be gone since the crash.
      if (reset.restored && opened.restored) {
        const wanted = reset.restored.cwd;
        reset.restored = opened.restored;
        if (wanted !== undefined && opened.restored.cwd === undefined) {
          const note = `the kept directory ${wanted} cannot be entered any more, so the shell starts in its default directory`;
          reset.reason += `; ${note}`;
          emitOutput(`[stepgate] ${secrets.redact(note)}\r\n`);
        }
      }
      await dispatch(reset);
    }
    shellOff = opened.onEvent((event) => {
      if (event.type === 'shell-reset') {
        // The operator must know that cd/export/functions from earlier steps may be gone.
        const line = `[stepgate] ${secrets.redact(event.reason)}`;
        emitOutput(`${line}\r\n`);
        store.setState({ error: line });
        const reset: SessionEvent = { type: 'shell-reset', at: deps.clock.now(), cause: 'shell-ended', reason: event.reason };
        if (event.restored) reset.restored = event.restored;
        void dispatch(reset).catch((error: unknown) => fail(`cannot journal the shell reset: ${String(error)}`));
        return;
      }
      const clean = lineRedactor ? lineRedactor.push(event.data) : secrets.redact(event.data);
      if (clean !== '') emitOutput(clean);
      scheduleScreen();
    });
    return opened;
  }

  function emitOutput(text: string): void {
    currentSink?.write(text);
    for (const listener of outputListeners) listener(text);
  }

  /**
   * At most one snapshot per interval, plus one trailing snapshot after the output stops: the
   * headless terminal parses writes asynchronously, so a snapshot taken right after the last
   * chunk (a `read -p` prompt with no newline) can miss it, and no later output would fix that.
   */
  function scheduleScreen(trailing = false): void {
    if (screenTimer !== undefined || !shell) return;
    const wait = Math.max(trailing ? Math.max(16, screenInterval) : 0, lastScreenAt + screenInterval - Date.now());
    screenTimer = setTimeout(() => {
      screenTimer = undefined;
      lastScreenAt = Date.now();
      if (shell) store.setState({ screen: shell.screen() });
      if (!trailing) scheduleScreen(true);
    }, wait);
  }

  async function closeShell(): Promise<void> {
    const s = shell;
    shell = undefined;
    shellOff?.();
    shellOff = undefined;
    if (screenTimer !== undefined) clearTimeout(screenTimer);
    screenTimer = undefined;
    await s?.close();
  }

  /**
   * Keeps the shell's cwd and exports on disk for a resume after a crash. Trouble here is a
   * warning (once): it costs a resume its shell state, never a step.
   */
  async function keepShellState(): Promise<void> {
    if (!shell?.snapshot || !deps.journal.saveShell) return;
    try {
      const snapshot = await shell.snapshot();
      if (!snapshot) return;
      const kept = withoutSecrets(snapshot, secrets);
      const text = JSON.stringify(kept);
      if (text === keptShell) return;
      await deps.journal.saveShell(kept);
      keptShell = text;
    } catch (error) {
      if (shellStateWarned) return;
      shellStateWarned = true;
      const line = `[stepgate] warning: the shell's state cannot be kept for a resume (${error instanceof Error ? error.message : String(error)}); a resume would start from a fresh shell`;
      emitOutput(`${secrets.redact(line)}\r\n`);
    }
  }

  /** The session ended: nothing will resume it, so its kept shell state goes. */
  async function forgetShellState(): Promise<void> {
    keptShell = '';
    await deps.journal.removeShell?.().catch((error: unknown) => fail(`cannot remove the kept shell state: ${String(error)}`));
  }

  /**
   * On resume the earlier process's shell is gone: the next one starts from the state kept
   * after its last step, when steps still run as the user that state belongs to. Journaled as
   * a `shell-reset` when that shell opens (a resumed session that runs nothing replaces none).
   */
  async function takeOverShell(report: ResumeReport): Promise<void> {
    if (state().status.kind === 'ended') {
      await forgetShellState();
      return;
    }
    const kept = await deps.journal.loadShell?.().catch(() => undefined);
    let user: string | undefined = options.as ?? books.get(options.file)?.frontMatter.user;
    if (user === undefined) {
      try {
        user = userInfo().username;
      } catch {
        user = undefined;
      }
    }
    const ended = 'stepgate was resumed: the shell of the earlier process ended with it';
    if (kept && kept.user === user) {
      restoreShell = kept;
      keptShell = JSON.stringify(kept);
      report.shell = restoredFrom(kept);
      resumedReset = { type: 'shell-reset', at: 0, cause: 'resumed', reason: `${ended}; a new shell starts from the state kept after the last step`, restored: report.shell };
    } else if (kept) {
      report.shellNotRestored = `the kept shell state is ${kept.user}'s and steps now run as ${user ?? 'another user'}`;
      resumedReset = { type: 'shell-reset', at: 0, cause: 'resumed', reason: `${ended}; ${report.shellNotRestored}, so nothing was restored` };
    } else {
      resumedReset = { type: 'shell-reset', at: 0, cause: 'resumed', reason: `${ended}; no shell state was kept, so nothing was restored` };
    }
  }

  type FinishFields = Omit<Extract<SessionEvent, { type: 'step-finished' }>, 'type' | 'at' | 'depth' | 'index' | 'key'>;

  /**
   * Runs one step and always ends with `step-finished`: whatever throws on the way (the
   * transcript, the shell, a probe) fails the step with the reason instead of leaving the
   * session in `running` for good.
   */
  async function execute(command: Extract<Command, { type: 'execute' }>, signal: AbortSignal): Promise<void> {
    const { item, depth, index, attempt } = command;
    const base = { depth, index, key: item.key };
    const started = deps.clock.now();
    let sink: TranscriptSink = NO_TRANSCRIPT;
    let finishing = false;
    const finish = async (fields: FinishFields): Promise<void> => {
      finishing = true;
      await sink.close();
      const event: SessionEvent = { type: 'step-finished', at: deps.clock.now(), ...base, ...fields };
      if (sink.path !== undefined) event.transcript = sink.path;
      await dispatch(event);
    };
    try {
      const step = liveStep(item);
      sink = await openTranscript(`${String(state().seq).padStart(5, '0')}-${step.id}-${attempt}`);
      if (step.kind === 'command') {
        let result: RunResult;
        currentSink = sink;
        lineRedactor = new StreamRedactor(secrets);
        try {
          const sh = await ensureShell();
          sh.clearScreen();
          result = await sh.run({
            script: step.script,
            timeoutMs: step.attrs.timeoutMs,
            cwd: stepCwd(item, step),
            user: userFor(item, step),
            isolated: step.attrs.isolated,
            env: stepEnv(item),
            signal,
          });
        } catch (error) {
          result = {
            exitCode: null,
            durationMs: deps.clock.now() - started,
            timedOut: false,
            interrupted: signal.aborted,
            shellExited: false,
            reason: error instanceof Error ? error.message : String(error),
          };
        } finally {
          const rest = lineRedactor.flush();
          if (rest !== '') emitOutput(rest);
          currentSink = undefined;
          lineRedactor = undefined;
        }
        if (shell) store.setState({ screen: shell.screen() });
        // Before step-finished: the state kept on disk is never older than what the journal says ran.
        await keepShellState();
        // A shell that ended is replaced by exec on the next run, with cwd and exports restored
        // (and a shell-reset event): closing it here would lose that state.
        const ok = result.exitCode === 0 && !result.timedOut && !result.interrupted;
        const fields: FinishFields = {
          ok,
          exitCode: result.exitCode,
          durationMs: Math.round(result.durationMs),
          timedOut: result.timedOut,
          interrupted: result.interrupted,
        };
        if (result.signal !== undefined) fields.signal = result.signal;
        if (result.shellExited) fields.shellExited = true;
        const reason = result.reason ?? (result.timedOut ? `timed out after ${step.attrs.timeoutMs ?? '?'} ms` : undefined);
        if (reason !== undefined) fields.reason = reason;
        await finish(fields);
        return;
      }
      if (step.kind === 'check') {
        const outcome = await runChecks(item, step, base, signal, sink);
        await finish({
          ok: outcome.ok,
          exitCode: outcome.ok ? 0 : 1,
          durationMs: deps.clock.now() - started,
          timedOut: false,
          interrupted: outcome.interrupted,
          ...(outcome.reason !== undefined ? { reason: outcome.reason } : {}),
        });
        return;
      }
      await finish({ ok: false, exitCode: null, durationMs: 0, timedOut: false, interrupted: false, reason: 'a manual item is confirmed, not run' });
    } catch (error) {
      // The journal itself failed while finishing: nothing more can be recorded.
      if (finishing) throw error;
      currentSink = undefined;
      lineRedactor = undefined;
      await finish({
        ok: false,
        exitCode: null,
        durationMs: deps.clock.now() - started,
        timedOut: false,
        interrupted: signal.aborted,
        reason: `stepgate could not run this step: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
  }

  /** Transcript trouble (disk full, a closed file) is reported once and never stops a step. */
  function transcriptTrouble(path: string | undefined, error: unknown): void {
    if (transcriptWarned) return;
    transcriptWarned = true;
    const line = `[stepgate] warning: the step transcript${path !== undefined ? ` ${path}` : ''} cannot be written (${error instanceof Error ? error.message : String(error)}); steps go on without it`;
    for (const listener of outputListeners) listener(`${secrets.redact(line)}\r\n`);
    fail(line);
  }

  /** A transcript whose failures are warnings: its write runs inside the pty's data callback. */
  async function openTranscript(name: string): Promise<TranscriptSink> {
    let sink: TranscriptSink;
    try {
      sink = await deps.journal.openTranscript(name);
    } catch (error) {
      transcriptTrouble(undefined, error);
      return NO_TRANSCRIPT;
    }
    let broken = false;
    const safe: TranscriptSink = {
      write(text) {
        if (broken) return;
        try {
          sink.write(text);
        } catch (error) {
          broken = true;
          transcriptTrouble(sink.path, error);
        }
      },
      async close() {
        try {
          await sink.close();
        } catch (error) {
          transcriptTrouble(sink.path, error);
        }
      },
    };
    return sink.path === undefined ? safe : { ...safe, path: sink.path };
  }

  function lookup(item: FlowItem): (name: string) => string | undefined {
    return (name) => varValues.get(name) ?? frontMatterOf(item)?.env[name] ?? env[name];
  }

  function runChecks(
    item: FlowItem,
    step: Extract<Step, { kind: 'check' }>,
    base: { depth: number; index: number; key: string },
    signal: AbortSignal,
    sink: { write(text: string): void },
  ): Promise<ChecksOutcome> {
    const ownCwd = step.attrs.cwd ?? frontMatterOf(item)?.cwd;
    const user = userFor(item, step);
    return runCheckStep(step, {
      probe: deps.probe,
      clock: deps.clock,
      backoff: (attempt, policy) => backoffDelay(attempt, policy, random),
      lookup: lookup(item),
      env: stepEnv(item),
      ...(user !== undefined ? { user } : {}),
      ...(ownCwd !== undefined ? { cwd: ownCwd } : {}),
      signal,
      transcript: (text) => sink.write(secrets.redact(text)),
      redact: secrets.redact,
      report: (attempt) => dispatch({ type: 'check-attempt', at: deps.clock.now(), ...base, ...attempt }),
    });
  }

  function digests(found: Map<string, string>): RunbookDigest[] {
    return [...found.entries()].map(([path, sha256]) => ({ path, sha256 }));
  }

  const actions: SessionActions = {
    async start(opts) {
      options = { ...opts, file: resolvePath(deps.host.cwd, opts.file) };
      const collected = await collectRunbooks(options.file, deps.loadRunbook);
      books = collected.books;
      for (const book of books.values()) learnSecrets(book);
      const frame = planMain(books.get(options.file) as Runbook, books);
      const vars = collectVars(books, options.file);
      learnVars(vars);
      const startOptions: { as?: string; yes?: boolean } = {};
      if (opts.as !== undefined) startOptions.as = opts.as;
      if (opts.yes !== undefined) startOptions.yes = opts.yes;
      await dispatch({
        type: 'session-started',
        at: deps.clock.now(),
        v: 1,
        id: deps.journal.id,
        version: deps.host.version,
        who: who(),
        host: deps.host.host,
        pid: deps.host.pid,
        cwd: deps.host.cwd,
        runbooks: digests(collected.digests),
        frame,
        vars: journaledVars(vars),
        options: startOptions,
      });
    },

    async resume(events, resumeOptions = {}) {
      const first = events[0];
      if (!first || first.type !== 'session-started') throw new Error('the journal does not begin with session-started');
      const rebuilt = replay(events, first.id);
      store.setState({ session: rebuilt });
      // Answers given before the crash: non-secret ones carry their value in the journal.
      for (const [name, answer] of Object.entries(rebuilt.answers)) {
        if (!answer.secret && answer.value !== undefined) varValues.set(name, answer.value);
      }
      options = { file: first.frame.source.file };
      // The latest --as: the start's, or the one a previous resume gave.
      const as = resumeOptions.as ?? rebuilt.as;
      if (as !== undefined) options.as = as;
      const running0 = currentItem(rebuilt);
      const report: ResumeReport = { changed: [] };
      if (resumeOptions.torn) report.torn = resumeOptions.torn;
      let runs = runLogOf(events);
      if (running0 && running0.step.status === 'running') report.interrupted = { key: running0.item.key, title: running0.item.step.id };
      // A crash cut this run short (now, or before an earlier resume): no step-finished names
      // its transcript, so it is found by name.
      if (running0 && (running0.step.status === 'running' || running0.step.interrupted) && !runs.transcripts.has(running0.item.key)) {
        const transcript = await deps.findTranscript?.(running0.item.step.id, running0.step.attempts).catch(() => undefined);
        if (transcript !== undefined) {
          if (report.interrupted) report.interrupted.transcript = transcript;
          runs = withTranscript(runs, running0.item.key, transcript);
        }
      }
      report.runs = runs;
      const collected = await collectRunbooks(options.file, deps.loadRunbook);
      books = collected.books;
      for (const book of books.values()) learnSecrets(book);
      learnVars(collectVars(books, options.file));
      const resumed: SessionEvent = { type: 'session-resumed', at: deps.clock.now(), who: who(), pid: deps.host.pid, host: deps.host.host };
      if (resumeOptions.torn) resumed.tornLine = resumeOptions.torn;
      if (resumeOptions.as !== undefined && resumeOptions.as !== rebuilt.as) resumed.as = resumeOptions.as;
      await dispatch(resumed);
      const before = new Map(state().runbooks.map((r) => [r.path, r.sha256]));
      const changedFiles = [...collected.digests.entries()].filter(([path, sha]) => before.has(path) && before.get(path) !== sha).map(([p]) => p);
      if (changedFiles.length > 0) {
        const now = digests(collected.digests);
        for (const [depth, frame] of state().frames.entries()) {
          let fresh;
          try {
            fresh = replanFrame(frame.init, books, depth === 0);
          } catch (error) {
            fail(`cannot re-plan ${frame.init.title}: ${error instanceof Error ? error.message : String(error)}`);
            continue;
          }
          const diff = diffPlans(frame.init, fresh);
          // Steps that only moved change no diff, but an unnamed step's id is positional: the
          // plan must still follow the file, or an id would name another step's script.
          const same = frame.init.items.length === fresh.items.length && frame.init.items.every((it, i) => it.key === fresh.items[i]?.key && it.hash === fresh.items[i]?.hash);
          if (same) continue;
          if (diff.added.length + diff.removed.length + diff.edited.length > 0) report.changed.push({ file: frame.init.source.file, diff });
          await dispatch({ type: 'plan-replaced', at: deps.clock.now(), depth, frame: fresh, diff, runbooks: now });
        }
        for (const file of changedFiles) {
          if (!report.changed.some((c) => c.file === file)) report.changed.push({ file, diff: { added: [], removed: [], edited: [] } });
        }
      }
      await takeOverShell(report);
      store.setState({ resume: report });
      return report;
    },

    async answerVar(value, source = 'prompt') {
      await queue;
      const s = state();
      if (s.status.kind !== 'vars') {
        fail('no variable is being asked for');
        return;
      }
      const spec = s.status.spec;
      // The state's spec of a secret var says `[REDACTED]`; the real default is in memory.
      const fallback = varDefaults.get(spec.name) ?? (spec.default === REDACTED ? undefined : spec.default);
      const chosen = value === '' && fallback !== undefined ? fallback : value;
      const secret = spec.secret || looksSecret(spec.name);
      varValues.set(spec.name, chosen);
      if (secret) secrets.add(chosen);
      const event: SessionEvent = {
        type: 'var-answered',
        at: deps.clock.now(),
        name: spec.name,
        secret,
        source: value === '' && fallback !== undefined && source === 'prompt' ? 'default' : source,
      };
      if (!secret) event.value = chosen;
      await dispatch(event);
    },

    runStep: () => startStep(false),
    runStepAt: (index, reason) => decide({ kind: 'jump', index, reason }),

    async runToNextBlock(opts = {}) {
      const depth = state().frames.length;
      for (;;) {
        await actions.idle();
        const s = state();
        // A recovery path chosen (or finished) meanwhile is a different checklist: the
        // operator starts that walk, this one does not wander into it.
        if (s.frames.length !== depth) return;
        const cur = currentItem(s);
        const before = s.seq;
        switch (s.status.kind) {
          case 'ready':
            if (!cur) return;
            if (cur.item.step.kind === 'manual') {
              if (!opts.yes) return;
              await actions.confirm();
            } else {
              await startStep(false);
            }
            break;
          case 'confirm':
            if (!opts.yes) return;
            await actions.confirm();
            break;
          case 'running':
            break;
          case 'new':
          case 'vars':
          case 'blocked':
          case 'ended':
            return;
          default: {
            const never: never = s.status;
            throw new Error(`unknown status ${JSON.stringify(never)}`);
          }
        }
        await actions.idle();
        // Nothing moved (an intent was refused): stop rather than spin.
        if (state().seq === before && !running) return;
      }
    },

    confirm: (opts = {}) => decide(opts.auto ? { kind: 'confirm', auto: true } : { kind: 'confirm' }),
    decline: () => decide({ kind: 'decline' }),
    retry: () => decide({ kind: 'retry' }),

    async chooseRecovery(index) {
      await queue;
      const cur = currentItem(state());
      const path = cur?.item.recoveries[index];
      if (!path) {
        fail(`there is no recovery path ${index + 1} here`);
        return;
      }
      if (!books.has(path.file)) {
        try {
          const loaded = await deps.loadRunbook(path.file);
          books.set(path.file, loaded.runbook);
          learnSecrets(loaded.runbook);
        } catch (error) {
          fail(`cannot load ${path.label}: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
      }
      let frame;
      try {
        frame = planRecovery(path, books);
      } catch (error) {
        fail(error instanceof Error ? error.message : String(error));
        return;
      }
      await decide({ kind: 'recover', path, frame });
    },

    skip: (reason) => decide({ kind: 'skip', reason }),
    override: (reason) => decide({ kind: 'override', reason }),
    abort: (reason) => decide(reason === undefined ? { kind: 'abort' } : { kind: 'abort', reason }),

    interrupt() {
      if (!running) return;
      shell?.interrupt();
      running.abort.abort();
    },

    write(data) {
      shell?.write(data);
    },

    resize(cols, rows) {
      size = { cols, rows };
      shell?.resize(cols, rows);
    },

    async idle() {
      for (;;) {
        const q = queue;
        await q;
        const r = running;
        if (r) await r.done;
        // A start-step command may have queued more work meanwhile.
        await new Promise((resolve) => setImmediate(resolve));
        if (queue === q && running === undefined) return;
      }
    },

    onOutput(listener) {
      outputListeners.add(listener);
      return () => outputListeners.delete(listener);
    },

    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },

    async close() {
      running?.abort.abort();
      await running?.done;
      await queue;
      await closeShell();
      await forgettingShell;
      await deps.journal.close();
    },
  };
  store.setState({ actions });
  return store;
}

/** For `sessions`/`log`: the state a journal describes, with nothing performed. */
export { replay };
