/**
 * When the operator's keys go to the running step: an `interactive` step attaches by itself
 * (unless the operator detached from that run), `i` attaches, ctrl-] detaches, and keys typed
 * between starting an interactive step and its run are held for it.
 */
import { useCallback, useEffect, useRef } from 'react';
import { currentItem } from '../../session/decisions.js';
import type { SessionStore } from '../../session/store.js';
import type { FlowItem, SessionState } from '../../session/types.js';
import { useAttach } from './use-attach.js';
import { syncView, type ViewAction, type ViewState } from './view-state.js';

/** How long keys are held for an interactive step that was started but has not begun to run. */
const STARTING_MS = 5000;

/** One run of the cursor step: which step, which attempt. */
function runKey(session: SessionState): string {
  const cur = currentItem(session);
  return cur ? `${cur.depth}:${cur.index}:${cur.step.attempts}` : '';
}

export interface StepAttach {
  /** Keys go to the running (or starting) interactive step. */
  attached: () => boolean;
  /** An interactive step was just started by a key. */
  startInteractive: () => void;
}

export function useStepAttach(
  store: SessionStore,
  viewRef: { readonly current: ViewState },
  dispatch: (action: ViewAction) => void,
  status: SessionState['status']['kind'],
  current: FlowItem | undefined,
): StepAttach {
  useEffect(() => {
    if (status === 'running' && current?.step.kind === 'command' && current.step.attrs.interactive) dispatch({ type: 'attach' });
    if (status !== 'running' && viewRef.current.attached) dispatch({ type: 'detach' });
  }, [status, current, dispatch, viewRef]);
  // The key that started an interactive step is followed at once by the operator's answer:
  // until the step runs, what they type is held for it (see `attached`).
  const starting = useRef<number | undefined>(undefined);
  useEffect(() => {
    starting.current = undefined;
  }, [status]);
  /** The run the operator detached from with ctrl-]: it is not attached again by itself. */
  const detachedRun = useRef<string | undefined>(undefined);

  // Keys before the step's run has begun are typed ahead (held for it), never lost.
  const write = useCallback(
    (data: string) => {
      const actions = store.getState().actions;
      if (store.getState().session.status.kind === 'running') actions.write(data);
      else actions.typeAhead(data);
    },
    [store],
  );
  const detach = useCallback(() => {
    detachedRun.current = runKey(store.getState().session);
    dispatch({ type: 'detach' });
  }, [store, dispatch]);
  // Attached from the moment an interactive step is started, not from the render that shows
  // it: keys that arrive before the attach effect has run go to the step, not to the checklist.
  const attached = useCallback((): boolean => {
    const session = store.getState().session;
    // A prompt the key opened instead (a reason for running out of order) has the keys.
    if (starting.current !== undefined && session.status.kind !== 'running') return !viewRef.current.overlay && Date.now() - starting.current < STARTING_MS;
    if (session.status.kind !== 'running') return false;
    if (syncView(viewRef.current, session).attached) return true;
    const cur = currentItem(session);
    return cur?.item.step.kind === 'command' && cur.item.step.attrs.interactive && detachedRun.current !== runKey(session);
  }, [store, viewRef]);
  const startInteractive = useCallback(() => {
    starting.current = Date.now();
  }, []);
  // Subscribed before the view's keys (useRunbookKeys): on one input the step's keys are
  // forwarded first, and the view's handler then sees them as attached and leaves them.
  useAttach(attached, write, detach);
  return { attached, startInteractive };
}
