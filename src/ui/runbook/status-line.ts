/** The status bar's words for the runbook view: the state on the left, key hints on the right. */
import type { Choice, FlowItem, SessionState } from '../../session/types.js';
import type { ViewState } from './view-state.js';
import { isNamed } from '../../runbooks/step-title.js';
import { stepName } from '../lines.js';

/** The state's words, and how many of them stay when the status bar needs room for the keys. */
export interface StateText {
  text: string;
  keep: number;
}

/** Of a title, at least this much stays beside the keys: enough to tell it from its neighbours. */
const TITLE_KEEP = 16;

/**
 * `starting`: whom the session's shell is starting as (the store's `shellStarting`): the
 * running step waits for it (bash, or `sudo -i` as the service user: a second or two on a
 * real host), so the status line says so rather than RUNNING while nothing of the step runs.
 */
export function stateText(session: SessionState, attached: boolean, starting?: string): StateText {
  const whole = (text: string): StateText => ({ text, keep: text.length });
  // A step's name is a handle (`--skip NAME=...`), kept whole; a title gives way to the keys.
  const about = (lead: string, item: FlowItem | undefined): StateText => {
    if (!item || isNamed(item.step)) return whole(`${lead}${item?.step.id ?? ''}`);
    const title = stepName(item, Infinity, false);
    return { text: `${lead}${title}`, keep: lead.length + Math.min(title.length, TITLE_KEEP) };
  };
  const frame = session.frames[session.frames.length - 1];
  const item = frame?.init.items[frame.cursor];
  const where = frame ? `${Math.min(frame.cursor + 1, frame.init.items.length)}/${frame.init.items.length}` : '';
  const status = session.status;
  switch (status.kind) {
    case 'new':
      return whole('STARTING');
    case 'vars':
      return whole(`VARS: ${status.spec.name}`);
    case 'ready':
      if (item?.step.kind === 'manual') return whole(`MANUAL ${where}`);
      // A recovery path returned here: the step waits to run again.
      return about(frame?.returned?.index === frame?.cursor ? `RECOVERY DONE ${where} ` : `READY ${where} `, item);
    case 'confirm':
      return about('CONFIRM ', item);
    case 'running':
      // How to detach is the point of the attached line: the name before it is kept short.
      if (attached) return whole(`ATTACHED to ${stepName(item, 24, false)}: ctrl-] detaches`);
      return about(starting !== undefined ? `STARTING SHELL as ${starting} for ` : 'RUNNING ', item);
    case 'blocked':
      return about('BLOCKED at ', item);
    case 'ended':
      return whole(`ENDED: ${status.outcome}`);
  }
}

/** The gate's letter keys, for the choices this gate offers (a recovery key only with a path). */
function gateHints(choices: readonly Choice[]): string[] {
  const has = (kind: Choice['kind']) => choices.some((c) => c.kind === kind && !(c.kind === 'recover' && c.disabled !== undefined));
  return [has('retry') ? 'r retry' : '', has('recover') ? 'c recover' : '', has('skip') ? 's skip' : ''].filter(Boolean);
}

/**
 * The key bar while only watchers are attached: their client is read-only, so tmux drops every
 * key but the detach key (a trial's watcher read `r retry · s skip` there and pressed r).
 */
export const WATCHER_HINTS: readonly string[] = ['ctrl-\\ leaves (read-only)'];

/** Key hints, most important first (the status bar drops from the end to fit). */
export function hintsFor(session: SessionState, view: ViewState, compact: boolean, transcript: boolean, aside = false): string[] {
  if (compact) return [view.attached ? 'ctrl-] detach' : '? help'];
  // A typed reason takes every letter (q is a letter of it) and `?` too; a yes/no question its y and n.
  if (view.overlay?.kind === 'reason') return ['esc cancel', 'enter submit'];
  if (view.overlay?.kind === 'confirm-quit') return ['y quit', 'n stay'];
  if (view.overlay) return ['esc/q close', '? help'];
  const status = session.status;
  const frame = session.frames[session.frames.length - 1];
  const kind = frame?.init.items[frame.cursor]?.step.kind;
  // A step of a recovery path that returned is read here, not run.
  if (aside && status.kind !== 'running') return ['t output', '↑↓ select', '? help', 'q quit'];
  switch (status.kind) {
    case 'ready': {
      // A manual item is ticked, not run. On another row than the current step, enter runs
      // that step out of order (after asking why), a manual item there is not ticked, and only
      // the current step can be skipped.
      // Back from a recovery path: short words, so that a all (it runs the step again and goes
      // on), help and quit all fit beside a step name of 15 characters at 80 columns.
      if (view.selected === frame?.cursor && frame.returned?.index === frame.cursor) return ['enter rerun', 'a all', '↓ path', '? help', 'q quit'];
      if (view.selected === frame?.cursor) return [kind === 'manual' ? 'space tick' : 'enter run', 'a all', 's skip', '? help', 'q quit'];
      const selected = frame?.init.items[view.selected]?.step.kind;
      return [...(selected === undefined || selected === 'manual' ? [] : ['enter run out of order']), 'a all', '? help', 'q quit'];
    }
    case 'running':
      if (view.attached) return ['keys go to the step'];
      // A check reads no keys: there is nothing to attach to.
      return kind === 'check' ? ['ctrl-c interrupt', '? help'] : ['i attach', 'ctrl-c interrupt', '? help'];
    case 'blocked': {
      const letters = [...gateHints(status.choices), ...(transcript ? ['t output'] : [])];
      if (view.focus === 'gate') return ['↑↓ enter', ...letters, '? help', 'esc list'];
      // Enter opens the gate from the blocked step's row only; on any other row it just says
      // to resolve the gate first, so it is not offered there.
      return view.selected === frame?.cursor ? ['enter gate', ...letters, '? help'] : [...letters, '? help'];
    }
    case 'ended':
      return ['↑↓ review', 'q quit'];
    // The prompt holds the keys: q and ? are typed into a var's value, y/n answer a confirm.
    case 'vars':
      return ['enter submits', 'esc quit'];
    case 'confirm':
      return ['y yes', 'n no'];
    default:
      return ['? help', 'q quit'];
  }
}
