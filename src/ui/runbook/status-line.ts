/** The status bar's words for the runbook view: the state on the left, key hints on the right. */
import type { Choice, SessionState } from '../../session/types.js';
import type { ViewState } from './view-state.js';

export function stateText(session: SessionState, attached: boolean): string {
  const frame = session.frames[session.frames.length - 1];
  const item = frame?.init.items[frame.cursor];
  const where = frame ? `${Math.min(frame.cursor + 1, frame.init.items.length)}/${frame.init.items.length}` : '';
  const status = session.status;
  switch (status.kind) {
    case 'new':
      return 'STARTING';
    case 'vars':
      return `VARS: ${status.spec.name}`;
    case 'ready':
      if (item?.step.kind === 'manual') return `MANUAL ${where}`;
      // A recovery path returned here: the step waits to run again.
      return frame?.returned?.index === frame?.cursor ? `RECOVERY DONE ${where} ${item?.step.id ?? ''}` : `READY ${where} ${item?.step.id ?? ''}`;
    case 'confirm':
      return `CONFIRM ${item?.step.id ?? ''}`;
    case 'running':
      return attached ? `ATTACHED to ${item?.step.id ?? ''}: ctrl-] detaches` : `RUNNING ${item?.step.id ?? ''}`;
    case 'blocked':
      return `BLOCKED at ${item?.step.id ?? ''}`;
    case 'ended':
      return `ENDED: ${status.outcome}`;
  }
}

/** The gate's letter keys, for the choices this gate offers (a recovery key only with a path). */
function gateHints(choices: readonly Choice[]): string[] {
  const has = (kind: Choice['kind']) => choices.some((c) => c.kind === kind && !(c.kind === 'recover' && c.disabled !== undefined));
  return [has('retry') ? 'r retry' : '', has('recover') ? 'c recover' : '', has('skip') ? 's skip' : ''].filter(Boolean);
}

/** Key hints, most important first (the status bar drops from the end to fit). */
export function hintsFor(session: SessionState, view: ViewState, compact: boolean, transcript: boolean, aside = false): string[] {
  if (compact) return [view.attached ? 'ctrl-] detach' : '? help'];
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
      if (view.selected === frame?.cursor && frame.returned?.index === frame.cursor) {
        return [kind === 'check' ? 'enter re-run the check' : 'enter re-run it', '↓ recovery output', 'a all', '? help', 'q quit'];
      }
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
