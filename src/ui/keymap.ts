/**
 * Keys as data: every key the TUI answers to, in which mode, and what it means. Components
 * never test raw input; they ask `commandFor(mode, keyName(input, key))` and dispatch. The help
 * overlay and docs/keys.md are generated from / checked against `BINDINGS`.
 */

/** What the operator can ask for. */
export type UiCommand =
  | 'up'
  | 'down'
  | 'page-up'
  | 'page-down'
  | 'run'
  | 'toggle'
  | 'run-all'
  | 'retry'
  | 'skip'
  | 'recover'
  | 'override'
  | 'abort'
  | 'attach'
  | 'interrupt'
  | 'open-ref'
  | 'transcript'
  | 'back'
  | 'quit'
  | 'help'
  | 'filter'
  | 'pick'
  | 'detach';

/**
 * Where the keyboard is: the checklist, the gate's menu (a blocked step), the picker, or an
 * overlay that only scrolls and closes (help, a cross-referenced runbook, a list of choices).
 */
export type KeyMode = 'checklist' | 'gate' | 'picker' | 'overlay';

/** The subset of Ink's `Key` that the keymap reads. */
export interface KeyFlags {
  upArrow?: boolean;
  downArrow?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  return?: boolean;
  escape?: boolean;
  ctrl?: boolean;
  tab?: boolean;
  backspace?: boolean;
  delete?: boolean;
}

/**
 * A stable name for a key press: `up`, `enter`, `ctrl-c`, `space`, or the printable
 * character itself. Undefined for keys the TUI never binds.
 */
export function keyName(input: string, key: KeyFlags): string | undefined {
  if (key.upArrow) return 'up';
  if (key.downArrow) return 'down';
  if (key.pageUp) return 'pageup';
  if (key.pageDown) return 'pagedown';
  // A line feed is enter typed before the terminal was in raw mode (cooked mode maps CR to LF).
  if (key.return || input === '\n' || input === '\r') return 'enter';
  if (key.escape) return 'esc';
  if (key.tab) return 'tab';
  if (key.backspace || key.delete) return 'backspace';
  // ctrl-\ (file separator) is no letter: terminals send it as such.
  if (input === '\u001C') return 'ctrl-\\';
  if (key.ctrl) return input === '' ? undefined : `ctrl-${input.toLowerCase()}`;
  if (input === ' ') return 'space';
  if (input.length === 1) return input;
  return undefined;
}

/** Longest run of keys taken apart; anything longer is a paste, which binds to nothing. */
const MAX_BURST = 8;

/**
 * The key presses in one read of the terminal. Over a slow SSM link keys typed in quick
 * succession arrive together (`jj`, `j` then enter) and Ink hands them over as one input,
 * which matched no binding: each is taken in turn, as if typed apart. Escape sequences
 * (arrows) come apart in Ink already; a longer printable run is a paste and stays whole.
 */
export function keyBurst(input: string, key: KeyFlags): string[] {
  if (key.ctrl || input.length < 2 || input.length > MAX_BURST || !/^[ -~\r]+$/.test(input)) return [input];
  return [...input];
}

export interface Binding {
  /** Key names as `keyName` returns them; the first is the one shown in hints. */
  keys: string[];
  modes: KeyMode[];
  /** For the help overlay and docs/keys.md. */
  help: string;
}

/**
 * Every command's bindings, keyed by command so that a command added to `UiCommand` without
 * a binding fails to compile (one bound to no key says so with `[]`). Order is the help
 * overlay's order.
 */
export const KEYS: Readonly<Record<UiCommand, readonly Binding[]>> = {
  up: [{ keys: ['up', 'k'], modes: ['checklist', 'gate', 'picker', 'overlay'], help: 'move up (in the checklist, the gate menu, the picker)' }],
  down: [{ keys: ['down', 'j'], modes: ['checklist', 'gate', 'picker', 'overlay'], help: 'move down' }],
  'page-up': [{ keys: ['pageup'], modes: ['checklist', 'gate', 'overlay'], help: 'scroll the detail/output pane up' }],
  'page-down': [{ keys: ['pagedown'], modes: ['checklist', 'gate', 'overlay'], help: 'scroll the detail/output pane down' }],
  run: [{ keys: ['enter'], modes: ['checklist'], help: 'run the selected step, or confirm a manual item' }],
  pick: [{ keys: ['enter'], modes: ['gate', 'picker', 'overlay'], help: 'take the highlighted choice / open the highlighted runbook' }],
  toggle: [{ keys: ['space'], modes: ['checklist'], help: 'tick a manual item (- [ ] ...) as done' }],
  // At a gate too, where it refuses saying why (a trial pressed it there and heard nothing).
  'run-all': [{ keys: ['a'], modes: ['checklist', 'gate'], help: 'run all remaining steps up to the next gate, manual item or confirmation' }],
  retry: [{ keys: ['r'], modes: ['checklist', 'gate'], help: 'retry the blocked step' }],
  skip: [{ keys: ['s'], modes: ['checklist', 'gate'], help: 'skip the current step (asks a reason; free for optional steps)' }],
  recover: [{ keys: ['c'], modes: ['checklist', 'gate'], help: 'take the recovery path marked [c] at a gate (others: their number)' }],
  // The gate offers these as choices (a digit, or enter on the choice): no letter of their own.
  override: [],
  abort: [],
  attach: [{ keys: ['i'], modes: ['checklist', 'gate'], help: 'attach: keys go to the running step until it ends or ctrl-]' }],
  interrupt: [{ keys: ['ctrl-c'], modes: ['checklist', 'gate', 'picker', 'overlay'], help: 'interrupt the running step (twice within 2s: quit)' }],
  transcript: [{ keys: ['t'], modes: ['checklist', 'gate'], help: "show the selected step's transcript: its whole output, each check attempt with the response body" }],
  'open-ref': [{ keys: ['o'], modes: ['checklist', 'gate'], help: 'open a runbook the selected step or its section links to' }],
  filter: [{ keys: ['/'], modes: ['picker'], help: 'filter the runbook list (picker)' }],
  back: [{ keys: ['esc'], modes: ['checklist', 'gate', 'picker', 'overlay'], help: 'back: close a prompt or overlay, leave the gate menu, back to the picker' }],
  quit: [{ keys: ['q'], modes: ['checklist', 'gate', 'picker', 'overlay'], help: 'quit (asks when a step runs; the session stays resumable); in an overlay: close it' }],
  help: [{ keys: ['?'], modes: ['checklist', 'gate', 'picker', 'overlay'], help: 'this help' }],
  // In stepgate's own tmux the key never reaches the TUI (tmux detaches on it, exec/tmux.ts):
  // it arrives only where the TUI runs in place, which then says why nothing happens.
  detach: [{ keys: ['ctrl-\\'], modes: ['checklist', 'gate'], help: 'leave stepgate running detached (in its own tmux); stepgate attach returns' }],
};

/** Every binding with its command, in the help overlay's order. */
export const BINDINGS: ReadonlyArray<Binding & { command: UiCommand }> = (Object.entries(KEYS) as Array<[UiCommand, readonly Binding[]]>).flatMap(
  ([command, bindings]) => bindings.map((b) => ({ ...b, command })),
);

/** Keys that belong to modes other than the binding table (attached, text prompts). */
export const MODAL_KEYS: ReadonlyArray<{ keys: string; help: string }> = [
  { keys: 'ctrl-]', help: 'detach from the running step (while attached)' },
  { keys: 'y / n', help: 'answer a yes/no question (enter = yes, esc = no)' },
  { keys: 'enter / esc', help: 'submit / cancel a typed answer (a reason, a variable)' },
  { keys: '1-9', help: 'take that numbered choice at a gate' },
];

const TABLE = new Map<string, UiCommand>();
for (const binding of BINDINGS) {
  for (const mode of binding.modes) {
    for (const key of binding.keys) {
      const id = `${mode}:${key}`;
      if (!TABLE.has(id)) TABLE.set(id, binding.command);
    }
  }
}

/** The command a key means in a mode, if any. */
export function commandFor(mode: KeyMode, name: string | undefined): UiCommand | undefined {
  if (name === undefined) return undefined;
  return TABLE.get(`${mode}:${name}`);
}

/** ctrl-] as a terminal sends it (group separator): detaches from a running step. */
export const DETACH = '\u001D';

/** A digit 1-9 as a 0-based menu index. */
export function digitIndex(name: string | undefined): number | undefined {
  if (name === undefined || !/^[1-9]$/.test(name)) return undefined;
  return Number(name) - 1;
}
