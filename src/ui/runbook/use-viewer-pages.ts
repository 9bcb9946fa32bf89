/**
 * Pages the view opens by itself or lays out again: what a resume found, shown first, and any
 * page open across a resize, re-wrapped at the new width.
 */
import { useEffect, useRef } from 'react';
import type { SessionStore } from '../../session/store.js';
import { resumeReportLines } from '../lines.js';
import type { ViewAction, ViewState } from './view-state.js';

/** The title of what resume found, shown first when a resumed session opens. */
const RESUME_TITLE = 'resumed: read this first (esc or q closes)';

export function useViewerPages(store: SessionStore, viewRef: { readonly current: ViewState }, dispatch: (action: ViewAction) => void, cols: number): void {
  // A resume that found a torn journal line or changed runbooks says so before anything else;
  // an interrupted step alone is said by its gate.
  const reported = useRef(false);
  useEffect(() => {
    const report = store.getState().resume;
    if (!report || (report.torn === undefined && report.changed.length === 0)) return;
    const open = viewRef.current.overlay;
    const showing = open?.kind === 'viewer' && open.title === RESUME_TITLE;
    // Once when the view opens; again, re-wrapped, when the terminal is resized under it.
    if (reported.current && !showing) return;
    reported.current = true;
    const lines = resumeReportLines(report, store.getState().session.id, cols);
    dispatch({ type: 'open', overlay: { kind: 'viewer', title: RESUME_TITLE, lines, scroll: showing ? Math.min(open.scroll, lines.length) : 0 } });
  }, [store, viewRef, dispatch, cols]);

  // A transcript or runbook page open across a resize is laid out again at the new width,
  // keeping the reader near the same place.
  const laidOutAt = useRef(cols);
  useEffect(() => {
    if (laidOutAt.current === cols) return;
    laidOutAt.current = cols;
    const open = viewRef.current.overlay;
    if (open?.kind !== 'viewer' || !open.rewrap) return;
    const lines = open.rewrap(cols);
    const scroll = open.lines.length > 0 ? Math.round((open.scroll / open.lines.length) * lines.length) : 0;
    dispatch({ type: 'open', overlay: { ...open, lines, scroll: Math.min(scroll, Math.max(0, lines.length - 1)) } });
  }, [viewRef, dispatch, cols]);
}
