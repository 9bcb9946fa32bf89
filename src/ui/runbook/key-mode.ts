/** Where the runbook view's keys go: which mode of the keymap, or nowhere (a prompt has them). */
import type { SessionState } from '../../session/types.js';
import type { KeyMode } from '../keymap.js';
import type { ViewState } from './view-state.js';

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
