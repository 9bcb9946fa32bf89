/**
 * The runbook view's keys: a key becomes a command through the keymap, a command becomes an
 * intent on the session store (or a change of view state). The only place that decides what
 * a key does in this view; the components only render.
 */
import { useCallback } from 'react';
import { useInput } from 'ink';
import type { SessionStore } from '../../session/store.js';
import type { Choice, SessionState } from '../../session/types.js';
import type { UiServices } from '../context.js';
import { commandFor, digitIndex, keyName, type KeyMode, type UiCommand } from '../keymap.js';
import { helpLines } from '../components/help-overlay.js';
import { crossRefChoices, runbookLines } from '../refs.js';
import { isDoubleInterrupt, type ReasonPurpose, type RefChoice, type ViewAction, type ViewState } from '../view-state.js';

export interface RunbookKeysOptions {
  store: SessionStore;
  services: UiServices;
  view: ViewState;
  dispatch: (action: ViewAction) => void;
  /** Rows of the detail pane (a page for PgUp/PgDn). */
  page: number;
  width: number;
  quit: () => void;
  /** Back to the picker, when the view was opened from one. */
  back?: () => void;
  isActive: boolean;
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

export function useRunbookKeys(o: RunbookKeysOptions): void {
  const { store, services, view, dispatch, page, width, quit, back, isActive } = o;

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
        const { title, lines } = runbookLines(book, ref.anchor, width);
        dispatch({ type: 'open', overlay: { kind: 'viewer', title, lines: lines.map((l) => l.text), scroll: 0 } });
      } catch (error) {
        notice(`cannot open ${ref.label}: ${error instanceof Error ? error.message : String(error)}`);
      }
    },
    [services, width, dispatch, notice],
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
      const frame = topFrame(session);
      const count = frame?.init.items.length ?? 0;
      const status = session.status;
      const cursor = frame?.cursor ?? 0;
      const selected = view.selected;
      const item = frame?.init.items[selected];
      const mode = keyMode(view, session);
      const choices = status.kind === 'blocked' ? status.choices : [];

      if (mode === 'gate') {
        const digit = digitIndex(name);
        if (digit !== undefined && digit < choices.length) return take(choices[digit], cursor);
      }
      if (command !== 'interrupt' && view.notice !== undefined) dispatch({ type: 'notice', text: undefined });
      switch (command) {
        case undefined:
          return;
        case 'up':
        case 'down': {
          const delta = command === 'up' ? -1 : 1;
          if (mode === 'gate') return dispatch({ type: 'gate-move', delta, count: choices.length });
          if (mode === 'overlay') {
            const overlay = view.overlay;
            const total = overlay?.kind === 'refs' ? overlay.refs.length : overlay?.kind === 'viewer' ? overlay.lines.length : helpLines().length;
            return dispatch({ type: 'overlay-move', delta, count: total });
          }
          return dispatch({ type: 'move', delta, count });
        }
        case 'page-up':
        case 'page-down': {
          const delta = (command === 'page-up' ? 1 : -1) * Math.max(1, page - 1);
          if (mode === 'overlay') {
            const overlay = view.overlay;
            const total = overlay?.kind === 'viewer' ? overlay.lines.length : helpLines().length;
            return dispatch({ type: 'overlay-move', delta: -delta, count: total });
          }
          return dispatch({ type: 'scroll', delta });
        }
        case 'run': {
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
              if (selected < cursor) return notice(`${item.step.id} is done; steps run in order`);
              if (selected > cursor) return askReason('out-of-order', selected, false);
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
          return void actions.runToNextBlock();
        case 'retry':
          if (status.kind !== 'blocked') return notice('retry is offered at a gate');
          return void actions.retry();
        case 'skip': {
          if (status.kind === 'running') return notice('a step is running: interrupt it first (ctrl-c)');
          if (status.kind !== 'ready' && status.kind !== 'blocked') return notice('nothing to skip now');
          const current = frame?.init.items[cursor];
          if (selected !== cursor) return notice(`only the current step (${current?.step.id}) can be skipped`);
          const optional = current !== undefined && current.step.kind !== 'manual' && current.step.attrs.optional;
          return askReason('skip', cursor, optional);
        }
        case 'recover': {
          if (status.kind !== 'blocked') return notice('recovery paths are offered at a gate');
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
            (error: unknown) => notice(`cannot read ${item.file}: ${error instanceof Error ? error.message : String(error)}`),
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
      }
    },
    [store, services, view, dispatch, page, take, notice, askReason, openRef, quit, back],
  );

  useInput(
    (input, key) => {
      const name = keyName(input, key);
      const mode = keyMode(view, store.getState().session);
      handle(commandFor(mode, name), name);
    },
    { isActive },
  );
}
