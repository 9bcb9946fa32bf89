import type { FlowItem, ReturnedFrame, SessionState, StepState } from '../../session/types.js';

/**
 * The runbook view's own state (what is selected, what is open), apart from the session's.
 * A reducer with named actions so the key paths are unit-tested without rendering.
 */

/** A runbook the selected step links to, resolved, for `o`. */
export interface RefChoice {
  label: string;
  file: string;
  anchor?: string;
}

export type ReasonPurpose = 'skip' | 'override' | 'out-of-order' | 'abort';

export type Overlay =
  | { kind: 'help'; scroll: number }
  /** A typed reason; `index` is the step it is about (for out-of-order: the step to run). */
  | { kind: 'reason'; purpose: ReasonPurpose; index: number; optional: boolean }
  | { kind: 'confirm-quit' }
  | { kind: 'refs'; refs: RefChoice[]; index: number }
  /** A scrolling text page; `rewrap` lays its text out again when the terminal's width changes. */
  | { kind: 'viewer'; title: string; lines: string[]; scroll: number; rewrap?: (width: number) => string[] };

export interface ViewState {
  /** The engine position last followed (`depth:cursor:blocked`); see `syncView`. */
  engine?: string;
  /** Frame depth the selection belongs to (selection resets when a frame opens or closes). */
  depth: number;
  /** Selected step of the top frame. */
  selected: number;
  /**
   * A step of the recovery path that returned to step `selected` is selected instead (its row
   * under that step, kept until the operator moves on): the index in that path.
   */
  aside?: number;
  /** Lines the detail pane is scrolled away from its anchor (top for text, bottom for output). */
  detailScroll: number;
  /** At a gate: the menu has the keys ('gate') or the checklist has them ('list'). */
  focus: 'list' | 'gate';
  gateIndex: number;
  overlay?: Overlay;
  /** Keys go to the running step. */
  attached: boolean;
  /** A one-line message for the status bar, until the next key. */
  notice?: string;
  /** When ctrl-c was last pressed (services clock), for "twice within 2s asks to quit". */
  lastInterruptAt?: number;
  /** The last key while a step ran, and when: an `i` in the middle of typing does not attach. */
  lastKey?: { at: number; attach: boolean };
}

export type ViewAction =
  /** The engine's cursor moved (a step passed, a frame opened or closed, a gate appeared). */
  | { type: 'follow'; depth: number; cursor: number; blocked: boolean }
  /** `min` is -1 when the preflight row sits above the first step. */
  | { type: 'move'; delta: number; count: number; min?: number }
  /** Selects a row by what it shows (a list with a returned recovery path's rows moves by rows). */
  | { type: 'select'; selected: number; aside?: number }
  | { type: 'scroll'; delta: number }
  | { type: 'focus'; focus: 'list' | 'gate' }
  | { type: 'gate-move'; delta: number; count: number }
  /** Puts the gate's menu on `index`, focused, with the blocked step (row `selected`) on screen. */
  | { type: 'gate-set'; index: number; selected: number }
  | { type: 'open'; overlay: Overlay }
  | { type: 'close' }
  | { type: 'overlay-move'; delta: number; count: number }
  | { type: 'attach' }
  | { type: 'detach' }
  | { type: 'notice'; text: string | undefined }
  | { type: 'interrupt-pressed'; at: number }
  | { type: 'key-pressed'; at: number; attach: boolean };

/** Two ctrl-c within this many ms ask to quit. */
export const DOUBLE_INTERRUPT_MS = 2000;

export const initialViewState: ViewState = { depth: 0, selected: 0, detailScroll: 0, focus: 'gate', gateIndex: 0, attached: false };

function clamp(n: number, min: number, max: number): number {
  return Math.min(Math.max(n, min), Math.max(min, max));
}

export function viewReducer(state: ViewState, action: ViewAction): ViewState {
  switch (action.type) {
    case 'follow': {
      const moved = action.depth !== state.depth || action.cursor !== state.selected;
      const engine = engineKey(action.depth, action.cursor, action.blocked);
      // A notice belongs to where the walk was when it was given ("choose a recovery path",
      // "cannot run all while running"): a frame that opens or closes, a step that ends or
      // blocks makes it stale.
      const { notice, aside: _aside, ...rest } = state;
      return {
        ...rest,
        ...(notice !== undefined && engine === state.engine ? { notice } : {}),
        engine,
        depth: action.depth,
        selected: action.cursor,
        detailScroll: moved ? 0 : state.detailScroll,
        focus: action.blocked ? 'gate' : state.focus,
        gateIndex: action.blocked && (moved || state.focus !== 'gate') ? 0 : state.gateIndex,
      };
    }
    case 'move': {
      const selected = clamp(state.selected + action.delta, action.min ?? 0, action.count - 1);
      const { notice: _n, aside: _a, ...rest } = state;
      return { ...rest, selected, detailScroll: selected === state.selected && state.aside === undefined ? state.detailScroll : 0 };
    }
    case 'select': {
      const { notice: _n, aside: _a, ...rest } = state;
      const same = action.selected === state.selected && action.aside === state.aside;
      return { ...rest, selected: action.selected, ...(action.aside !== undefined ? { aside: action.aside } : {}), detailScroll: same ? state.detailScroll : 0 };
    }
    case 'scroll':
      return { ...state, detailScroll: Math.max(0, state.detailScroll + action.delta) };
    case 'focus':
      return { ...state, focus: action.focus };
    case 'gate-move':
      return { ...state, gateIndex: clamp(state.gateIndex + action.delta, 0, action.count - 1) };
    case 'gate-set': {
      // The menu takes keys only where it is seen: with the cursor on another row, `c` would
      // otherwise leave a hidden menu that enter takes (a recovery path chosen blind).
      const { aside: _a, ...rest } = state;
      return {
        ...rest,
        gateIndex: Math.max(0, action.index),
        focus: 'gate',
        selected: action.selected,
        detailScroll: action.selected === state.selected && state.aside === undefined ? state.detailScroll : 0,
      };
    }
    case 'open':
      return { ...state, overlay: action.overlay };
    case 'close': {
      // A notice about the closed prompt ("a reason is required") goes with it.
      const { overlay: _o, notice: _n, ...rest } = state;
      return rest;
    }
    case 'overlay-move': {
      const overlay = state.overlay;
      if (!overlay) return state;
      if (overlay.kind === 'refs') return { ...state, overlay: { ...overlay, index: clamp(overlay.index + action.delta, 0, action.count - 1) } };
      if (overlay.kind === 'help' || overlay.kind === 'viewer') {
        return { ...state, overlay: { ...overlay, scroll: clamp(overlay.scroll + action.delta, 0, action.count) } };
      }
      return state;
    }
    case 'attach':
      return { ...state, attached: true };
    case 'detach':
      return { ...state, attached: false };
    case 'notice': {
      if (action.text === undefined) {
        const { notice: _n, ...rest } = state;
        return rest;
      }
      return { ...state, notice: action.text };
    }
    case 'interrupt-pressed':
      return { ...state, lastInterruptAt: action.at };
    case 'key-pressed':
      return { ...state, lastKey: { at: action.at, attach: action.attach } };
  }
}

/**
 * Keys this close together are typing: an operator who takes the TUI for a shell types
 * `tail -f service.log`, and its `i` must not hand the rest to a step waiting at a prompt.
 */
export const TYPING_MS = 1000;

/** Is this ctrl-c the second within the window? */
export function isDoubleInterrupt(state: ViewState, at: number): boolean {
  return state.lastInterruptAt !== undefined && at - state.lastInterruptAt <= DOUBLE_INTERRUPT_MS;
}

function engineKey(depth: number, cursor: number, blocked: boolean): string {
  return `${depth}:${cursor}:${blocked ? 'b' : ''}`;
}

/** The recovery path that returned to the top frame's cursor step and the step selected in it (`view.aside`), if any. */
export function asideOf(view: ViewState, session: SessionState): { item: FlowItem; step: StepState; returned: ReturnedFrame } | undefined {
  const returned = session.frames[session.frames.length - 1]?.returned;
  if (view.aside === undefined || !returned || returned.index !== view.selected) return undefined;
  const item = returned.frame.init.items[view.aside];
  const step = returned.frame.steps[view.aside];
  return item && step ? { item, step, returned } : undefined;
}

/** Where the engine is, as `follow` wants it. */
export function enginePosition(session: SessionState): { depth: number; cursor: number; blocked: boolean } {
  const depth = Math.max(0, session.frames.length - 1);
  return { depth, cursor: session.frames[depth]?.cursor ?? 0, blocked: session.status.kind === 'blocked' };
}

/**
 * What makes the selection follow the engine: the cursor moving, a gate opening, or a step of
 * the top frame settling (a step run out of order returns the cursor to where it was, so the
 * cursor alone would not show that anything happened).
 */
function engineStamp(session: SessionState): string {
  const at = enginePosition(session);
  const settled = session.frames[at.depth]?.steps.filter((s) => s.status !== 'pending' && s.status !== 'running').length ?? 0;
  return `${engineKey(at.depth, at.cursor, at.blocked)}:${settled}`;
}

/**
 * The view with the engine's latest move applied: after a step passes, the next pending step
 * is selected at once, in the same frame that shows it passed (a key pressed right then acts
 * on what the operator sees).
 */
export function syncView(view: ViewState, session: SessionState): ViewState {
  const stamp = engineStamp(session);
  if (view.engine === stamp) return view;
  return { ...viewReducer(view, { type: 'follow', ...enginePosition(session) }), engine: stamp };
}
