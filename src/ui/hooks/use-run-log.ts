/**
 * Every attempt of the current run of each check step, for the gate panel ("what failed":
 * each attempt with its status or error). The store keeps only the latest attempt per check;
 * this listens to the journaled events. Bounded: one run's attempts per step, 50 at most.
 */
import { useEffect, useState } from 'react';
import type { SessionEvent } from '../../session/types.js';
import { useSessionStore } from '../context.js';

export type CheckAttempt = Extract<SessionEvent, { type: 'check-attempt' }>;

const MAX_ATTEMPTS = 50;

export function useCheckLog(): ReadonlyMap<string, CheckAttempt[]> {
  const store = useSessionStore();
  const [log, setLog] = useState<ReadonlyMap<string, CheckAttempt[]>>(() => new Map());
  useEffect(
    () =>
      store.getState().actions.onEvent((event) => {
        if (event.type === 'step-started') {
          setLog((prev) => {
            if (!prev.has(event.key)) return prev;
            const next = new Map(prev);
            next.delete(event.key);
            return next;
          });
        } else if (event.type === 'check-attempt') {
          setLog((prev) => {
            const next = new Map(prev);
            next.set(event.key, [...(prev.get(event.key) ?? []), event].slice(-MAX_ATTEMPTS));
            return next;
          });
        }
      }),
    [store],
  );
  return log;
}
