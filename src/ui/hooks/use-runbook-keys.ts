/**
 * The runbook view's keys: a key becomes a command through the keymap, a command becomes an
 * intent on the session store (or a change of view state). The only place that decides what
 * a key does in this view; the components only render.
 */
import { useCallback, useRef } from 'react';
import { useInput } from 'ink';
import type { SessionStore } from '../../session/store.js';
import type { Choice, SessionState } from '../../session/types.js';
import { DEFAULT_POLICY } from '../../session/next-move.js';
import { currentItem, refusalFor } from '../../session/reducer.js';
import { walk as walkSession } from '../../session/walk.js';
import type { UiServices } from '../context.js';
import { commandFor, digitIndex, keyBurst, keyName, type KeyMode, type UiCommand } from '../keymap.js';
import { helpLines } from '../components/help-overlay.js';
import { PREFLIGHT_ROW } from '../checklist-rows.js';
import { crossRefChoices, runbookLines } from '../refs.js';
import { displayFile, transcriptLines } from '../lines.js';
import { isDoubleInterrupt, syncView, type ReasonPurpose, type RefChoice, type ViewAction, type ViewState } from '../view-state.js';
import { describeError } from '../../errors.js';

export interface RunbookKeysOptions {
  store: SessionStore;
  /** Each step's latest transcript (step key to path), for `t`. */
  transcripts: ReadonlyMap<string, string>;
  services: UiServices;
  /** The latest view state (keys can arrive between renders). */
  viewRef: { readonly current: ViewState };
  dispatch: (action: ViewAction) => void;
  /** Rows of the detail pane (a page for PgUp/PgDn). */
  page: number;
  /** Rows a full-height overlay (help, the runbook viewer) shows: it scrolls no further than its last line. */
  overlayRows: number;
  width: number;
  quit: () => void;
  /** Back to the picker, when the view was opened from one. */
  back?: () => void;
  isActive: boolean;
  /** Keys go to the running (or starting) interactive step: the view leaves them alone. */
  attached?: () => boolean;
  /** An interactive step was just started by a key: what follows is for it. */
  startInteractive?: () => void;
}

function topFrame(s: SessionState) {
  return s.frames[s.frames.length - 1];
}

/** The key mode the view is in. */
export function keyMode(view: ViewState, session: SessionState): KeyMode {
  if (view.overlay && (view.overlay.kind === 'help' || view.overlay.kind === 'refs' || view.overlay.kind === 'viewer')) return 'overlay';
  if (session.status.kind === 'blocked' && view.focus === 'gate') return 'gate';
  return 'checklist';
}

/**
 * Prompts and attach take the keys themselves; the view's keys wait. A help, refs or viewer
 * overlay stands in for the prompt (what resume found opens over a var prompt): its keys are
 * the view's, or nothing would close it.
 */
export function keysHeld(view: ViewState, session: SessionState): boolean {
  if (!view.attached && keyMode(view, session) === 'overlay') return false;
  const kind = session.status.kind;
  return view.attached || kind === 'vars' || kind === 'confirm' || view.overlay?.kind === 'reason' || view.overlay?.kind === 'confirm-quit';
}

export function useRunbookKeys(options: RunbookKeysOptions): void {
  // One subscription for the view's lifetime; the handler reads the latest options.
  const latest = useRef(options);
  latest.current = options;
  const { store, services, dispatch, isActive } = options;
  const width = options.width;

  // `a` walks steps until something needs the operator; any other intent stops the walk, so
  // a gate choice made while it winds down is never followed by steps nobody asked for.
  const walk = useRef(0);
  const runAll = useCallback(async () => {
    const gen = ++walk.current;
    await walkSession(store, DEFAULT_POLICY, {
      halt(moves, next) {
        if (walk.current !== gen) return 'another intent';
        // The operator's terminal went away: the step that ran has finished, the next waits for them.
        if (moves > 0 && next.kind === 'run' && services.attended?.() === false) {
          dispatch({ type: 'notice', text: `the walk stopped at ${currentItem(store.getState().session)?.item.step.id}: nobody was attached when the last step finished` });
          return 'unattended';
        }
        return undefined;
      },
    });
  }, [store, services, dispatch]);

  const notice = useCallback((text: string) => dispatch({ type: 'notice', text }), [dispatch]);
  const askReason = useCallback(
    (purpose: ReasonPurpose, index: number, optional: boolean) => dispatch({ type: 'open', overlay: { kind: 'reason', purpose, index, optional } }),
    [dispatch],
  );

  const openRef = useCallback(
    async (ref: RefChoice) => {
      if (!services.loadRunbook) return notice('opening runbooks is not available here');
      try {
        const book = await services.loadRunbook(ref.file);
        const layOut = (w: number): string[] => runbookLines(book, ref.anchor, w).lines.map((l) => l.text);
        const { title } = runbookLines(book, ref.anchor, width);
        dispatch({ type: 'open', overlay: { kind: 'viewer', title, lines: layOut(width), scroll: 0, rewrap: layOut } });
      } catch (error) {
        notice(`cannot open ${ref.label}: ${describeError(error)}`);
      }
    },
    [services, width, dispatch, notice],
  );

  const showTranscript = useCallback(
    async (stepId: string, path: string) => {
      if (!services.readTranscript) return notice(`the transcript is ${path}`);
      try {
        const text = await services.readTranscript(path);
        const layOut = (w: number): string[] => transcriptLines(text, w);
        dispatch({
          type: 'open',
          overlay: { kind: 'viewer', title: `transcript of ${stepId} (esc closes): ${displayFile(path)}`, lines: layOut(latest.current.width), scroll: 0, rewrap: layOut },
        });
      } catch (error) {
        notice(`cannot read ${path}: ${describeError(error)}`);
      }
    },
    [services, dispatch, notice],
  );

  const take = useCallback(
    (choice: Choice | undefined, index: number) => {
      const actions = store.getState().actions;
      if (!choice) return;
      switch (choice.kind) {
        case 'retry':
          void actions.retry();
          return;
        case 'recover':
          if (choice.disabled) return notice(choice.disabled);
          void actions.chooseRecovery(choice.index);
          return;
        case 'skip':
          return askReason('skip', index, !choice.reasonRequired);
        case 'override':
          return askReason('override', index, false);
        case 'abort':
          return askReason('abort', index, true);
      }
    },
    [store, notice, askReason],
  );

  const handle = useCallback(
    (command: UiCommand | undefined, name: string | undefined) => {
      const { session, actions } = store.getState();
      const { page, quit, back } = latest.current;
      const view = syncView(latest.current.viewRef.current, session);
      const frame = topFrame(session);
      const count = frame?.init.items.length ?? 0;
      const status = session.status;
      const cursor = frame?.cursor ?? 0;
      const selected = view.selected;
      const item = frame?.init.items[selected];
      const mode = keyMode(view, session);
      const choices = status.kind === 'blocked' ? status.choices : [];

      // Any key but ctrl-c (whose notice counts the second press) retires the last notice.
      if (command !== 'interrupt' && view.notice !== undefined) dispatch({ type: 'notice', text: undefined });
      if (mode === 'gate') {
        const digit = digitIndex(name);
        if (digit !== undefined && digit < choices.length) {
          walk.current += 1;
          return take(choices[digit], cursor);
        }
      }
      const navigation = command === undefined || command === 'up' || command === 'down' || command === 'page-up' || command === 'page-down' || command === 'help';
      if (!navigation) walk.current += 1;
      switch (command) {
        case undefined:
          return;
        case 'up':
        case 'down': {
          const delta = command === 'up' ? -1 : 1;
          if (mode === 'gate') return dispatch({ type: 'gate-move', delta, count: choices.length });
          if (mode === 'overlay') {
            const overlay = view.overlay;
            if (overlay?.kind === 'refs') return dispatch({ type: 'overlay-move', delta, count: overlay.refs.length });
            const total = overlay?.kind === 'viewer' ? overlay.lines.length : helpLines(latest.current.width).length;
            return dispatch({ type: 'overlay-move', delta, count: Math.max(0, total - latest.current.overlayRows) });
          }
          return dispatch({ type: 'move', delta, count, min: session.frames.length === 1 && session.preflight ? PREFLIGHT_ROW : 0 });
        }
        case 'page-up':
        case 'page-down': {
          const delta = (command === 'page-up' ? 1 : -1) * Math.max(1, page - 1);
          if (mode === 'overlay') {
            const overlay = view.overlay;
            const total = overlay?.kind === 'viewer' ? overlay.lines.length : helpLines(latest.current.width).length;
            return dispatch({ type: 'overlay-move', delta: -delta, count: Math.max(0, total - latest.current.overlayRows) });
          }
          return dispatch({ type: 'scroll', delta });
        }
        case 'run': {
          if (selected === PREFLIGHT_ROW) return notice('preflight ran before the first step; its findings are below');
          if (!item) return;
          switch (status.kind) {
            case 'running':
              return notice('a step is running: i attaches, ctrl-c interrupts');
            case 'blocked':
              if (selected === cursor) return dispatch({ type: 'focus', focus: 'gate' });
              return notice(`blocked at ${frame?.init.items[cursor]?.step.id}: resolve the gate first (r retry, c recover, s skip)`);
            case 'ended':
              return notice(`the session has ended (${status.outcome}): q quits`);
            case 'ready':
              if (selected !== cursor) {
                if (item.step.kind === 'manual') return notice('manual items are ticked in order');
                return askReason('out-of-order', selected, false);
              }
              if (item.step.kind === 'manual') return void actions.confirm();
              return void actions.runStep();
            default:
              return;
          }
        }
        case 'toggle':
          if (item?.step.kind !== 'manual') return notice('space ticks manual items; enter runs a step');
          if (status.kind !== 'ready' || selected !== cursor) {
            return notice(frame?.steps[selected]?.status === 'passed' ? 'already ticked' : 'manual items are ticked in order');
          }
          return void actions.confirm();
        case 'run-all':
          if (status.kind !== 'ready') return notice(status.kind === 'blocked' ? 'blocked: resolve the gate first' : `cannot run all while ${status.kind}`);
          return void runAll();
        case 'retry': {
          const why = refusalFor(session, 'retry');
          if (why !== undefined) return notice(why);
          return void actions.retry();
        }
        case 'skip': {
          if (status.kind === 'running') return notice('a step is running: interrupt it first (ctrl-c)');
          const why = refusalFor(session, 'skip');
          if (why !== undefined) return notice(why);
          const current = frame?.init.items[cursor];
          if (selected !== cursor) return notice(`only the current step (${current?.step.id}) can be skipped`);
          const optional = current !== undefined && current.step.kind !== 'manual' && current.step.attrs.optional;
          return askReason('skip', cursor, optional);
        }
        case 'recover': {
          const why = refusalFor(session, 'recover');
          if (why !== undefined) return notice(why);
          const paths = choices.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === 'recover');
          if (paths.length === 0) return notice('no recovery path is declared for this step; skip or abort');
          const open = paths.filter(({ c }) => c.kind === 'recover' && c.disabled === undefined);
          if (paths.length === 1 && open.length === 1) return take(open[0]?.c, cursor);
          dispatch({ type: 'gate-set', index: paths[0]?.i ?? 0 });
          return notice('choose a recovery path, then enter');
        }
        case 'attach': {
          if (status.kind !== 'running') return notice('nothing is running to attach to');
          if (frame?.init.items[cursor]?.step.kind !== 'command') return notice('checks take no input');
          return dispatch({ type: 'attach' });
        }
        case 'interrupt': {
          const at = services.now();
          if (isDoubleInterrupt(view, at)) {
            dispatch({ type: 'interrupt-pressed', at: 0 });
            return dispatch({ type: 'open', overlay: { kind: 'confirm-quit' } });
          }
          dispatch({ type: 'interrupt-pressed', at });
          if (status.kind === 'running') {
            actions.interrupt();
            return notice('interrupted; ctrl-c again within 2s asks to quit');
          }
          return notice('nothing is running; ctrl-c again within 2s asks to quit');
        }
        case 'transcript': {
          if (!item) return;
          const path = latest.current.transcripts.get(item.key);
          if (path === undefined) {
            const state = frame?.steps[selected]?.status;
            return notice(state === 'running' ? `${item.step.id} is running: its output is on screen, its transcript is written when it ends` : `${item.step.id} has no transcript: it has not run${state === 'pending' ? ' yet' : ' in this session'}`);
          }
          return void showTranscript(item.step.id, path);
        }
        case 'open-ref': {
          if (!item) return;
          const load = services.loadRunbook;
          if (!load) return notice('opening runbooks is not available here');
          void load(item.file).then(
            (book) => {
              const refs = crossRefChoices(item, book);
              if (refs.length === 0) return notice(`${item.step.id} and its section link to no runbook`);
              if (refs.length === 1 && refs[0]) return void openRef(refs[0]);
              dispatch({ type: 'open', overlay: { kind: 'refs', refs, index: 0 } });
            },
            (error: unknown) => notice(`cannot read ${item.file}: ${describeError(error)}`),
          );
          return;
        }
        case 'pick':
          if (mode === 'gate') return take(choices[view.gateIndex], cursor);
          if (view.overlay?.kind === 'refs') {
            const ref = view.overlay.refs[view.overlay.index];
            if (ref) void openRef(ref);
          }
          return;
        case 'back':
          if (view.overlay) return dispatch({ type: 'close' });
          if (mode === 'gate') return dispatch({ type: 'focus', focus: 'list' });
          if (back && status.kind !== 'running') return back();
          return;
        case 'help':
          if (view.overlay?.kind === 'help') return dispatch({ type: 'close' });
          return dispatch({ type: 'open', overlay: { kind: 'help', scroll: 0 } });
        case 'quit':
          if (status.kind === 'running') return dispatch({ type: 'open', overlay: { kind: 'confirm-quit' } });
          return quit();
        case 'filter':
          return;
        // Bound to no key: the gate offers them (a digit, or enter on the choice), which asks the reason.
        case 'override':
        case 'abort': {
          const why = refusalFor(session, command);
          if (why !== undefined) return notice(why);
          return askReason(command, cursor, command === 'abort');
        }
      }
    },
    [store, services, dispatch, take, notice, askReason, openRef, runAll, showTranscript],
  );

  const onInput = useCallback(
    (input: string, key: Parameters<typeof keyName>[1]) => {
      const keys = keyBurst(input, key);
      for (const [i, one] of keys.entries()) {
        // Each key sees the state the one before it left (a prompt it opened holds the rest).
        const session = store.getState().session;
        const view = syncView(latest.current.viewRef.current, session);
        if (keysHeld(view, session) || latest.current.attached?.() === true) {
          // Keys after the one that started an interactive step, in the same burst: the attach
          // listener saw this input before the step started, so they are handed over here.
          if (i > 0 && latest.current.attached?.() === true) store.getState().actions.typeAhead(keys.slice(i).join(''));
          return;
        }
        const name = keyName(one, keys.length > 1 ? {} : key);
        const command = commandFor(keyMode(view, session), name);
        const cur = topFrame(session)?.init.items[topFrame(session)?.cursor ?? -1];
        const starts = command === 'run' || command === 'retry' || command === 'run-all' || (command === 'pick' && keyMode(view, session) === 'gate');
        handle(command, name);
        if (starts && cur?.step.kind === 'command' && cur.step.attrs.interactive && !cur.step.attrs.confirm && store.getState().session.status.kind !== 'running') {
          latest.current.startInteractive?.();
        }
      }
    },
    [store, handle],
  );
  useInput(onInput, { isActive });
}
