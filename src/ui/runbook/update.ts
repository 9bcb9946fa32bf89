/**
 * What a command does in the runbook view, as a pure function (bubbletea's Update): the view
 * state it leaves and the intents for the session and the screen to carry out. The only place
 * that decides what a key means here; the key hook feeds it, the components only render.
 */
import { refusalFor } from '../../session/decisions.js';
import type { Choice, FlowItem, SessionState } from '../../session/types.js';
import { PREFLIGHT_ROW, checklistRows, moveSelection } from '../checklist-rows.js';
import { helpLines } from '../components/help-overlay.js';
import type { UiCommand } from '../keymap.js';
import { stepName } from '../lines.js';
import { keyMode } from './key-mode.js';

/** A notice is one status line at 80 columns: a step named in one leaves room for the rest. */
const NOTICE_NAME = 30;
import { TYPING_MS, asideOf, isDoubleInterrupt, syncView, viewReducer, type ReasonPurpose, type RefChoice, type ViewAction, type ViewState } from './view-state.js';

/** Said when a key that means nothing is pressed while a step runs, unattached. */
export const KEYS_GO_TO_STEPGATE = 'keys go to stepgate, not the step: i attaches (then they go to it)';

/** What the view asks of the session and the screen once its own state is updated. */
export type RunbookIntent =
  /** Any intent but moving around stops a walk (`a`) in progress. */
  | { kind: 'halt-walk' }
  | { kind: 'run-step' }
  | { kind: 'confirm' }
  | { kind: 'retry' }
  | { kind: 'choose-recovery'; index: number }
  | { kind: 'run-all' }
  | { kind: 'interrupt' }
  | { kind: 'show-transcript'; name: string; path: string }
  /** Find the runbooks the item or its section links to (one opens, several are listed). */
  | { kind: 'find-refs'; item: FlowItem }
  | { kind: 'open-ref'; ref: RefChoice }
  | { kind: 'back' }
  | { kind: 'quit' }
  /** The key started an interactive step: what is typed next is for it. */
  | { kind: 'hold-keys' };

/** A command, or a digit at the gate: take that numbered choice (0-based). */
export type RunbookInput = UiCommand | { choice: number } | undefined;

/** What the view knows of its surroundings when a key arrives. */
export interface UpdateEnv {
  /** Rows of the detail pane (a page for PgUp/PgDn). */
  page: number;
  /** Rows a full-height overlay (help, the runbook viewer) shows: it scrolls no further than its last line. */
  overlayRows: number;
  width: number;
  /** Each step's latest transcript (step key to path), for `t`. */
  transcripts: ReadonlyMap<string, string>;
  /** Why a step's latest transcript is not its whole output, when it is not (the journal's `transcriptLost`). */
  lost?: ReadonlyMap<string, string>;
  /** The services clock, for ctrl-c twice. */
  now: number;
  /** The view was opened from the picker, and esc goes back to it. */
  canGoBack: boolean;
  /** The key is a printable character (what typing into a shell sends), not ctrl-x or an arrow. */
  printable?: boolean;
}

export interface Update {
  view: ViewState;
  intents: RunbookIntent[];
}

const NAVIGATION: ReadonlySet<UiCommand> = new Set(['up', 'down', 'page-up', 'page-down', 'help']);

/** One command applied: the view after it and what is to be done. */
export function update(before: ViewState, session: SessionState, input: RunbookInput, env: UpdateEnv): Update {
  let view = syncView(before, session);
  const intents: RunbookIntent[] = [];
  const apply = (action: ViewAction): void => {
    view = viewReducer(view, action);
  };
  const command = typeof input === 'string' ? input : undefined;
  const mode = keyMode(view, session);
  const frame = session.frames[session.frames.length - 1];
  const cursorItem = frame?.init.items[frame.cursor];

  // Any key but ctrl-c (whose notice counts the second press) retires the last notice.
  if (command !== 'interrupt' && view.notice !== undefined) apply({ type: 'notice', text: undefined });
  const step = new Step(view, session, env, intents, apply);
  if (typeof input === 'object') {
    const choices = session.status.kind === 'blocked' ? session.status.choices : [];
    if (mode === 'gate' && input.choice < choices.length) {
      intents.push({ kind: 'halt-walk' });
      step.take(choices[input.choice], frame?.cursor ?? 0);
    }
  } else if (command !== undefined) {
    if (!NAVIGATION.has(command)) intents.push({ kind: 'halt-walk' });
    step.command(command);
  } else if (env.printable === true && session.status.kind === 'running' && !view.attached && mode === 'checklist') {
    // Typed at a step's prompt from the checklist, the answer went nowhere without a word (a trial).
    apply({
      type: 'notice',
      text: cursorItem?.step.kind === 'command' ? KEYS_GO_TO_STEPGATE : 'a check is running; it takes no input',
    });
  }
  // While a step runs, every printable key is remembered (bound or not): see TYPING_MS.
  if (session.status.kind === 'running' && !view.attached && env.printable === true) apply({ type: 'key-pressed', at: env.now, attach: command === 'attach' });
  else if (session.status.kind !== 'running' && view.lastKey !== undefined) apply({ type: 'key-pressed', at: Number.NEGATIVE_INFINITY, attach: false });
  // Keys the operator types right after starting an interactive step are its answer.
  const starts = (command === 'run' && asideOf(before, session) === undefined) || command === 'retry' || command === 'run-all' || (command === 'pick' && mode === 'gate');
  if (starts && cursorItem?.step.kind === 'command' && cursorItem.step.attrs.interactive && !cursorItem.step.attrs.confirm) intents.push({ kind: 'hold-keys' });
  return { view, intents };
}

/** One command's handling; `apply` changes the view, intents collect what is to be done. */
class Step {
  constructor(
    private readonly start: ViewState,
    private readonly session: SessionState,
    private readonly env: UpdateEnv,
    private readonly intents: RunbookIntent[],
    private readonly apply: (action: ViewAction) => void,
  ) {}

  private notice(text: string): void {
    this.apply({ type: 'notice', text });
  }

  private askReason(purpose: ReasonPurpose, index: number, optional: boolean): void {
    this.apply({ type: 'open', overlay: { kind: 'reason', purpose, index, optional } });
  }

  /** A gate choice taken (a digit, enter on the menu, or `c`: the first open recovery path). */
  take(choice: Choice | undefined, index: number): void {
    if (!choice) return;
    switch (choice.kind) {
      case 'retry':
        this.intents.push({ kind: 'retry' });
        return;
      case 'recover':
        if (choice.disabled) return this.notice(choice.disabled);
        this.intents.push({ kind: 'choose-recovery', index: choice.index });
        return;
      case 'skip':
        return this.askReason('skip', index, !choice.reasonRequired);
      case 'override':
        return this.askReason('override', index, false);
      case 'abort':
        return this.askReason('abort', index, true);
    }
  }

  command(command: UiCommand): void {
    const { session, env } = this;
    // The view as the key found it (after the notice was retired, which changes no position).
    const view = this.start;
    const frame = session.frames[session.frames.length - 1];
    const count = frame?.init.items.length ?? 0;
    const status = session.status;
    const cursor = frame?.cursor ?? 0;
    const selected = view.selected;
    // A step of the recovery path that returned here: it can be read (t, o), not run from here.
    const aside = asideOf(view, session);
    const item = aside ? aside.item : frame?.init.items[selected];
    const mode = keyMode(view, session);
    const ranInRecovery = (what: string): void =>
      this.notice(`${stepName(aside?.item, NOTICE_NAME)} ran in recovery ${aside?.returned.frame.init.title}: t shows its output; ${what}`);
    const choices = status.kind === 'blocked' ? status.choices : [];
    const overlayPages = (): number => {
      const overlay = view.overlay;
      const total = overlay?.kind === 'viewer' ? overlay.lines.length : helpLines(env.width).length;
      return Math.max(0, total - env.overlayRows);
    };
    switch (command) {
      case 'up':
      case 'down': {
        const delta = command === 'up' ? -1 : 1;
        if (mode === 'gate') return this.apply({ type: 'gate-move', delta, count: choices.length });
        if (mode === 'overlay') {
          const overlay = view.overlay;
          if (overlay?.kind === 'refs') return this.apply({ type: 'overlay-move', delta, count: overlay.refs.length });
          return this.apply({ type: 'overlay-move', delta, count: overlayPages() });
        }
        const returned = frame?.returned;
        if (returned) {
          // The returned path's rows sit under its step: the selection moves by rows.
          const rows = checklistRows(frame.init.items, session.frames.length === 1 && session.preflight !== undefined, {
            index: returned.index,
            title: returned.frame.init.title,
            count: returned.frame.init.items.length,
          });
          const from = view.aside !== undefined && aside ? { selected, aside: view.aside } : { selected };
          return this.apply({ type: 'select', ...moveSelection(rows, from, delta, returned.index) });
        }
        return this.apply({ type: 'move', delta, count, min: session.frames.length === 1 && session.preflight ? PREFLIGHT_ROW : 0 });
      }
      case 'page-up':
      case 'page-down': {
        const delta = (command === 'page-up' ? 1 : -1) * Math.max(1, env.page - 1);
        if (mode === 'overlay') return this.apply({ type: 'overlay-move', delta: -delta, count: overlayPages() });
        return this.apply({ type: 'scroll', delta });
      }
      case 'run': {
        if (aside) return ranInRecovery(`enter on ${stepName(frame?.init.items[cursor], NOTICE_NAME)} runs that step again`);
        if (selected === PREFLIGHT_ROW) return this.notice('preflight ran before the first step; its findings are below');
        if (!item) return;
        switch (status.kind) {
          case 'running':
            return this.notice('a step is running: i attaches, ctrl-c interrupts');
          case 'blocked':
            if (selected === cursor) return this.apply({ type: 'focus', focus: 'gate' });
            return this.notice(`blocked at ${stepName(frame?.init.items[cursor], NOTICE_NAME)}: resolve the gate first (r retry, c recover, s skip)`);
          case 'ended':
            return this.notice(`the session has ended (${status.outcome}): q quits`);
          case 'ready':
            if (selected !== cursor) {
              if (item.step.kind === 'manual') return this.notice('manual items are ticked in order');
              return this.askReason('out-of-order', selected, false);
            }
            this.intents.push({ kind: item.step.kind === 'manual' ? 'confirm' : 'run-step' });
            return;
          default:
            return;
        }
      }
      case 'toggle':
        if (aside) return ranInRecovery('space ticks manual items of this checklist');
        if (item?.step.kind !== 'manual') return this.notice('space ticks manual items; enter runs a step');
        if (status.kind !== 'ready' || selected !== cursor) {
          return this.notice(frame?.steps[selected]?.status === 'passed' ? 'already ticked' : 'manual items are ticked in order');
        }
        this.intents.push({ kind: 'confirm' });
        return;
      case 'run-all':
        if (status.kind !== 'ready') return this.notice(status.kind === 'blocked' ? 'a waits for the gate: r retry, c recover, s skip' : `cannot run all while ${status.kind}`);
        // `a` stops at a manual item: at one, it would stop before it started, saying nothing.
        if (frame?.init.items[cursor]?.step.kind === 'manual') return this.notice('a stops at manual items: do this one, tick it with space, then a runs on');
        this.intents.push({ kind: 'run-all' });
        return;
      case 'retry': {
        const why = refusalFor(session, 'retry');
        if (why !== undefined) return this.notice(why);
        this.intents.push({ kind: 'retry' });
        return;
      }
      case 'skip': {
        if (status.kind === 'running') return this.notice('a step is running: interrupt it first (ctrl-c)');
        const why = refusalFor(session, 'skip');
        if (why !== undefined) return this.notice(why);
        const current = frame?.init.items[cursor];
        if (selected !== cursor || aside) return this.notice(`only the current step (${stepName(current, NOTICE_NAME)}) can be skipped`);
        const optional = current !== undefined && current.step.kind !== 'manual' && current.step.attrs.optional;
        return this.askReason('skip', cursor, optional);
      }
      case 'recover': {
        const why = refusalFor(session, 'recover');
        if (why !== undefined) return this.notice(why);
        const paths = choices.map((c, i) => ({ c, i })).filter(({ c }) => c.kind === 'recover');
        if (paths.length === 0) return this.notice('no recovery path is declared for this step; skip or abort');
        // The hint says `c recover` and the menu marks the first open path `[c]`: c takes it
        // (the most specific: the step's own recover=, then its section's), the others by
        // number. It used to only move the menu there, which the hint never said.
        const first = paths.find(({ c }) => c.kind === 'recover' && c.disabled === undefined) ?? paths[0];
        // From another row the menu is not on screen: which path `[c]` is must be seen before
        // it is taken, so the first c brings the menu back with it highlighted.
        if (paths.length > 1 && (selected !== cursor || aside)) {
          this.apply({ type: 'gate-set', index: first?.i ?? 0, selected: cursor });
          return this.notice('c again takes the [c] path; another path: its number');
        }
        return this.take(first?.c, cursor);
      }
      case 'attach': {
        if (status.kind !== 'running') return this.notice('nothing is running to attach to');
        if (frame?.init.items[cursor]?.step.kind !== 'command') return this.notice('checks take no input');
        const last = this.start.lastKey;
        const typing = last !== undefined && !last.attach && env.now - last.at < TYPING_MS;
        if (typing) return this.notice('this is not a shell: i again attaches (then keys go to the step), ctrl-c interrupts it');
        return this.apply({ type: 'attach' });
      }
      case 'interrupt': {
        if (isDoubleInterrupt(view, env.now)) {
          this.apply({ type: 'interrupt-pressed', at: 0 });
          return this.apply({ type: 'open', overlay: { kind: 'confirm-quit' } });
        }
        this.apply({ type: 'interrupt-pressed', at: env.now });
        if (status.kind === 'running') {
          this.intents.push({ kind: 'interrupt' });
          return this.notice('interrupted; ctrl-c again within 2s asks to quit');
        }
        return this.notice('nothing is running; ctrl-c again within 2s asks to quit');
      }
      case 'transcript': {
        if (!item) return;
        const path = env.transcripts.get(item.key);
        // The disk cut it short or never took it: said, so it is not read as the whole output.
        const lost = env.lost?.get(item.key);
        if (path === undefined && lost !== undefined) return this.notice(`${stepName(item, NOTICE_NAME)}'s transcript was ${lost}`);
        if (path === undefined) {
          const state = aside ? aside.step.status : frame?.steps[selected]?.status;
          return this.notice(
            state === 'running'
              ? `${stepName(item, NOTICE_NAME)} is running: its output is on screen, its transcript is written when it ends`
              : `${stepName(item, NOTICE_NAME)} has no transcript: it has not run${state === 'pending' ? ' yet' : ' in this session'}`,
          );
        }
        this.intents.push({ kind: 'show-transcript', name: stepName(item), path });
        if (lost !== undefined) this.notice(`this transcript was ${lost}: not the whole output`);
        return;
      }
      case 'open-ref':
        if (item) this.intents.push({ kind: 'find-refs', item });
        return;
      case 'pick': {
        if (mode === 'gate') return this.take(choices[view.gateIndex], cursor);
        const ref = view.overlay?.kind === 'refs' ? view.overlay.refs[view.overlay.index] : undefined;
        if (ref) this.intents.push({ kind: 'open-ref', ref });
        return;
      }
      case 'back':
        if (view.overlay) return this.apply({ type: 'close' });
        if (mode === 'gate') return this.apply({ type: 'focus', focus: 'list' });
        if (env.canGoBack && status.kind !== 'running') this.intents.push({ kind: 'back' });
        return;
      case 'help':
        if (view.overlay?.kind === 'help') return this.apply({ type: 'close' });
        return this.apply({ type: 'open', overlay: { kind: 'help', scroll: 0 } });
      case 'quit':
        // In a transcript, the help or a list of links, q closes it as it does in less: one
        // key must not end the TUI (a detached one included) for an operator reading output.
        if (mode === 'overlay') return this.apply({ type: 'close' });
        if (status.kind === 'running') return this.apply({ type: 'open', overlay: { kind: 'confirm-quit' } });
        this.intents.push({ kind: 'quit' });
        return;
      case 'filter':
        return;
      case 'detach':
        return this.notice('in place here (your tmux/screen, or no tmux): ctrl-\\ does not detach');
      // Bound to no key: the gate offers them (a digit, or enter on the choice), which asks the reason.
      case 'override':
      case 'abort': {
        const why = refusalFor(session, command);
        if (why !== undefined) return this.notice(why);
        return this.askReason(command, cursor, command === 'abort');
      }
    }
  }
}
