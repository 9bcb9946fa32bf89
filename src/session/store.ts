/**
 * The live session: a zustand vanilla store around the pure reducer. Operator intents become
 * events; each event is journaled (fsync'd) first, then folded, then the commands the reducer
 * returns are performed and their results come back as more events. What performing takes is
 * in rooms of its own: `step-runner.ts` (a step, its checks and transcript),
 * `session-shell.ts` (the shell, its screen and kept state), `resume.ts` (what a journal
 * says), `step-context.ts` (where, as whom and with what a step runs). The UI reads the store
 * and calls `actions`; it never touches exec.
 */
import { resolve as resolvePath } from 'node:path';
import { createStore } from 'zustand/vanilla';
import { describeError } from '../errors.js';
import { collectVars } from './plan.js';
import { currentItem, reduce, refusal, replay, initialState } from './reducer.js';
import { looksSecret, redactDeep } from './redact.js';
import { shownCheckText } from './checks.js';
import { recoveryShape } from './recovery-shape.js';
import { SessionMemory } from './session-memory.js';
import { startedEvent } from './session-start.js';
import { rebuild, resumption } from './resume.js';
import { SessionShell } from './session-shell.js';
import { lookupVar, shellPlace, shellUser, type StepContext } from './step-context.js';
import { NOT_STARTED, StepRunner } from './step-runner.js';
import { stepName } from './step-name.js';
import type { SessionActions, SessionDeps, SessionStore, SessionStoreState, StartOptions } from './store-types.js';
import type { Command, Decision, LockEvent, SessionEvent, SessionState, TerminalEvent } from './types.js';

export type * from './store-types.js';

export function createSessionStore(deps: SessionDeps): SessionStore {
  const env = deps.env ?? process.env;
  const memory = new SessionMemory(env);
  /** Each recovery path's shape, with the runbook it was planned from (recoveryShape below). */
  const shapes = new Map<string, { book: unknown; shape: ReturnType<typeof recoveryShape> }>();
  const { secrets } = memory;
  let options: StartOptions = { file: '' };
  let running: { abort: AbortController; done: Promise<void> } | undefined;
  /** Why the running step is being stopped, when not by the operator's Ctrl-C. */
  let stopCause: string | undefined;
  let queue: Promise<void> = Promise.resolve();
  const eventListeners = new Set<(event: SessionEvent, state: SessionState) => void>();

  const store = createStore<SessionStoreState>()(() => ({
    session: initialState(),
    screen: null,
    actions: undefined as unknown as SessionActions,
  }));
  const state = (): SessionState => store.getState().session;
  const fail = (message: string): void => store.setState({ error: secrets.redact(message) });
  const context = (): StepContext => ({ books: memory.books, file: options.file, as: options.as, vars: memory.varValues, env });

  const shell = new SessionShell({
    openShell: deps.openShell,
    journal: deps.journal,
    clock: deps.clock,
    secrets,
    screenIntervalMs: deps.screenIntervalMs ?? 50,
    screen: deps.screen !== false,
    stepStdin: deps.stepStdin ?? 'terminal',
    cols: deps.cols ?? 80,
    rows: deps.rows ?? 24,
    dispatch: (event) => dispatch(event),
    setScreen: (screen) => store.setState({ screen }),
    setStarting: (user) => store.setState({ shellStarting: user }),
    setWaiting: (prompt) => store.setState({ waitingForInput: prompt }),
    setError: (line) => store.setState({ error: line }),
    fail,
  });
  const runner = new StepRunner({
    journal: deps.journal,
    clock: deps.clock,
    probe: deps.probe,
    random: deps.random ?? Math.random,
    secrets,
    shell,
    context,
    seq: () => state().seq,
    report: (attempt) => dispatch(attempt),
    fail,
    captured: (name) => state().captured[name],
    keepCapture: async (event) => {
      memory.varValues.set(event.name, event.value);
      await dispatch(event);
    },
  });

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
      // A brief notice is news until the session moves on: left up, it hid a step's RUNNING
      // for its whole six seconds.
      store.setState({ session: folded, error: folded.notice, briefNotice: undefined });
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
        void shell.close();
        void shell.forgetState();
        return;
      default: {
        const never: never = command;
        throw new Error(`unknown command ${JSON.stringify(never)}`);
      }
    }
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
    await dispatch({ type: 'decision', at: deps.clock.now(), depth: cur.depth, index: cur.index, key: cur.item.key, who: deps.host.who(), decision });
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
            ? `${stepName(cur?.item, 30)} is blocked: retry, recover, skip, override or abort`
            : `cannot start a step while ${s.status.kind}`;
      fail(why);
      return;
    }
    const { item, depth, index } = cur;
    if (item.step.kind === 'manual') {
      fail(`${stepName(item, 30)} is a manual item: confirm it when done`);
      return;
    }
    if (item.step.attrs.confirm && !confirmed) {
      await dispatch({ type: 'confirm-requested', at: deps.clock.now(), depth, index, key: item.key });
      return;
    }
    await dispatch({ type: 'step-started', at: deps.clock.now(), depth, index, key: item.key, attempt: cur.step.attempts + 1 });
  }

  function launch(command: Extract<Command, { type: 'execute' }>): void {
    const abort = new AbortController();
    stopCause = undefined;
    const done = runner
      .run(command, abort.signal)
      // Stopped by a dropped terminal or a signal, not by the operator: the reason says which.
      .then((finished) => dispatch(finished.interrupted && stopCause !== undefined ? { ...finished, reason: finished.reason === NOT_STARTED ? `${stopCause}, ${NOT_STARTED}` : stopCause } : finished))
      .catch((error: unknown) => fail(describeError(error)));
    running = { abort, done };
    void done.finally(() => {
      if (running?.done === done) running = undefined;
    });
  }

  /** Whether the shell may start ahead of a step now (`shellAtStart`, or once a face asked). */
  let shellAhead = deps.shellAtStart !== false;
  /**
   * Once every var has its value, the session's shell starts while the operator reads the
   * step before them (`SessionShell.prepare`): on a real host `sudo -i` takes a second or two,
   * which the first step waited for. Only while a step that runs in it is still to come: a
   * checklist of manual items never starts one.
   */
  function prepareShell(): void {
    if (!shellAhead) return;
    const s = state();
    if (s.status.kind !== 'ready' && s.status.kind !== 'confirm' && s.status.kind !== 'blocked') return;
    if (!s.frames.some((frame) => frame.init.items.some((item, i) => item.step.kind === 'command' && frame.steps[i]?.status === 'pending'))) return;
    shell.prepare(shellPlace(context()));
  }

  const actions: SessionActions = {
    async start(opts) {
      options = { ...opts, file: resolvePath(deps.host.cwd, opts.file) };
      await dispatch(await startedEvent(options, deps, memory));
      if (opts.preflight) {
        const { findings, ms, skipped } = opts.preflight;
        await dispatch({ type: 'preflight', at: deps.clock.now(), findings, ms, ...(skipped !== undefined ? { skipped: { reason: skipped, who: deps.host.who() } } : {}) });
      }
      prepareShell();
    },

    async resume(events, resumeOptions = {}) {
      const rebuilt = rebuild(events, resumeOptions.as);
      store.setState({ session: rebuilt.state });
      for (const [name, value] of rebuilt.vars) memory.varValues.set(name, value);
      options = { file: rebuilt.file };
      if (rebuilt.as !== undefined) options.as = rebuilt.as;
      const found = await resumption(events, rebuilt, resumeOptions, {
        loadRunbook: deps.loadRunbook,
        ...(deps.findTranscript ? { findTranscript: deps.findTranscript } : {}),
        now: () => deps.clock.now(),
        who: () => deps.host.who(),
        account: deps.host.account,
        host: deps.host,
      });
      memory.learnBooks(found.books);
      memory.learnVars(collectVars(found.books, options.file));
      for (const move of found.moves) await dispatch(move.event);
      await shell.takeOver(state().status.kind === 'ended', shellUser(context()), found.report);
      store.setState({ resume: found.report });
      prepareShell();
      return found.report;
    },

    async answerVar(value, source = 'prompt') {
      await queue;
      const s = state();
      if (s.status.kind !== 'vars') {
        fail('no variable is being asked for');
        return undefined;
      }
      const problem = memory.problem(s.status.spec, value);
      if (problem !== undefined) {
        fail(problem);
        return problem;
      }
      await dispatch(memory.answer(s.status.spec, value, source, deps.clock.now()));
      prepareShell();
      return undefined;
    },

    runStep: () => startStep(false),
    prepareShell() {
      shellAhead = true;
      prepareShell();
    },
    runStepAt: (index, reason) => decide({ kind: 'jump', index, reason }),

    confirm: (opts = {}) => decide(opts.auto ? { kind: 'confirm', auto: true } : { kind: 'confirm' }),
    decline: () => decide({ kind: 'decline' }),
    retry: () => decide({ kind: 'retry' }),

    async chooseRecovery(index, opts = {}) {
      await queue;
      const cur = currentItem(state());
      const path = cur?.item.recoveries[index];
      if (!path) {
        fail(`there is no recovery path ${index + 1} here`);
        return;
      }
      const frame = await memory.recoveryFrame(path, deps.loadRunbook);
      if ('error' in frame) {
        fail(frame.error);
        return;
      }
      await decide(opts.auto ? { kind: 'recover', path, frame, auto: true } : { kind: 'recover', path, frame });
    },

    skip: (reason) => decide({ kind: 'skip', reason }),
    override: (reason) => decide({ kind: 'override', reason }),
    abort: (reason) => decide(reason === undefined ? { kind: 'abort' } : { kind: 'abort', reason }),

    interrupt(cause) {
      if (!running) return;
      // The journal says who stopped a run and how: the log and the report show it.
      stopCause = cause ?? `ctrl-c by ${deps.host.who().user}`;
      // The abort alone sends the step its ctrl-c (then escalates): a ctrl-c written here as
      // well reached the pty twice, and the terminal echoed ^C twice in the step's output.
      running.abort.abort();
    },

    typeAhead: (data) => shell.typeAhead(data),
    shownCheckText(item, text) {
      const vars = state().vars;
      const asWritten = (name: string): boolean => {
        const declared = vars.find((v) => v.name === name);
        return looksSecret(name) || declared?.secret === true || (declared !== undefined && !memory.varValues.has(name));
      };
      return shownCheckText(text, lookupVar(context(), item), asWritten, secrets.redact);
    },
    recoveryShape(path) {
      // Asked by the gate's menu on every store update while it shows: planned once per path
      // and runbook (a review saw every step of the recovery runbook hashed on each update).
      const key = `${path.file}#${path.anchor ?? ''}`;
      const book = memory.books.get(path.file);
      const known = shapes.get(key);
      if (known !== undefined && known.book === book) return known.shape;
      const shape = recoveryShape(path, memory.books);
      shapes.set(key, { book, shape });
      return shape;
    },
    write: (data) => shell.write(data),
    resize: (cols, rows) => shell.resize(cols, rows),

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

    onOutput: (listener) => shell.onOutput(listener),

    onEvent(listener) {
      eventListeners.add(listener);
      return () => eventListeners.delete(listener);
    },

    async record(input) {
      await dispatch({ ...input, at: deps.clock.now() } as TerminalEvent | LockEvent);
    },

    async close(cause) {
      if (running && cause !== undefined) stopCause = cause;
      else if (running) stopCause ??= `stepgate was closed while it ran (by ${deps.host.who().user})`;
      running?.abort.abort();
      await running?.done;
      await queue;
      await shell.close();
      await shell.forgotten();
      await deps.journal.close();
    },
  };
  store.setState({ actions });
  return store;
}

/** For `sessions`/`log`: the state a journal describes, with nothing performed. */
export { replay };
