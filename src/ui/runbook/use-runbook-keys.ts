/**
 * The runbook view's keys: each key becomes a command through the keymap, `update` says what
 * it does, and the intents are carried out. No policy here: that is all in `update`.
 */
import { useCallback, useRef } from 'react';
import { useInput } from 'ink';
import type { SessionStore } from '../../session/store.js';
import { commandFor, digitIndex, keyBurst, keyName } from '../keymap.js';
import { keyMode, keysHeld } from './key-mode.js';
import { IntentPerformer, type PerformDeps } from './perform.js';
import { update, type UpdateEnv } from './update.js';
import { syncView, type ViewState } from './view-state.js';

export interface RunbookKeysOptions extends PerformDeps, Omit<UpdateEnv, 'now' | 'canGoBack'> {
  store: SessionStore;
  /** The latest view state (keys can arrive between renders), and how to replace it. */
  viewRef: { readonly current: ViewState };
  setView: (view: ViewState) => void;
  isActive: boolean;
  /** Keys go to the running (or starting) interactive step: the view leaves them alone. */
  attached?: () => boolean;
}

export function useRunbookKeys(options: RunbookKeysOptions): void {
  // One subscription for the view's lifetime; the handler reads the latest options.
  const latest = useRef(options);
  latest.current = options;
  const performer = useRef<IntentPerformer>(undefined);
  performer.current ??= new IntentPerformer(() => latest.current);

  const onInput = useCallback((input: string, key: Parameters<typeof keyName>[1]) => {
      const { store, viewRef, setView, attached, services, back } = latest.current;
      const keys = keyBurst(input, key);
      for (const [i, one] of keys.entries()) {
        // Each key sees the state the one before it left (a prompt it opened holds the rest).
        const session = store.getState().session;
        const view = syncView(viewRef.current, session);
        if (keysHeld(view, session) || attached?.() === true) {
          // Keys after the one that started an interactive step, in the same burst: the attach
          // listener saw this input before the step started, so they are handed over here.
          if (i > 0 && attached?.() === true) store.getState().actions.typeAhead(keys.slice(i).join(''));
          return;
        }
        const name = keyName(one, keys.length > 1 ? {} : key);
        const digit = digitIndex(name);
        const command = commandFor(keyMode(view, session), name) ?? (digit !== undefined ? { choice: digit } : undefined);
        const printable = /^[\x20-\x7e]$/.test(one) && !(keys.length === 1 && key.ctrl === true);
        const next = update(view, session, command, { ...latest.current, now: services.now(), canGoBack: back !== undefined, printable });
        setView(next.view);
        performer.current?.perform(next.intents);
      }
  }, []);
  useInput(onInput, { isActive: options.isActive });
}
