/**
 * The shell's screen (headless terminal snapshot) for the output pane, at most ~30 updates a
 * second whatever the store does: a step printing millions of lines costs the UI a bounded
 * amount of work per frame, and the keyboard stays responsive.
 */
import { useEffect, useRef, useState } from 'react';
import type { ScreenSnapshot } from '../context.js';
import { useSessionStore } from '../context.js';

/** Minimum ms between two screen renders (about 30 frames a second). */
export const SCREEN_FRAME_MS = 33;

export function useScreen(frameMs = SCREEN_FRAME_MS): ScreenSnapshot | null {
  const store = useSessionStore();
  const [screen, setScreen] = useState<ScreenSnapshot | null>(() => store.getState().screen);
  const last = useRef(0);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      timer = undefined;
      last.current = Date.now();
      setScreen(store.getState().screen);
    };
    const unsubscribe = store.subscribe((state, previous) => {
      if (state.screen === previous.screen || timer !== undefined) return;
      timer = setTimeout(flush, Math.max(0, last.current + frameMs - Date.now()));
    });
    return () => {
      unsubscribe();
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [store, frameMs]);
  return screen;
}
