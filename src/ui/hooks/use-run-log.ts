/**
 * Each step's latest run for the gate and the detail pane: every attempt of its checks ("what
 * failed": each attempt with its status or error) and its transcript. The store keeps only
 * the latest attempt per check; this starts from what `resume` read in the journal and folds
 * the events journaled since, so a gate rebuilt after a crash shows the same attempts.
 */
import { useEffect, useState } from 'react';
import { EMPTY_RUN_LOG, foldRunLog, type CheckAttemptEvent, type RunLog } from '../../session/run-log.js';
import { useSessionStore } from '../context.js';

export type CheckAttempt = CheckAttemptEvent;

export function useRunLog(): RunLog {
  const store = useSessionStore();
  const [log, setLog] = useState<RunLog>(() => store.getState().resume?.runs ?? EMPTY_RUN_LOG);
  useEffect(() => store.getState().actions.onEvent((event) => setLog((prev) => foldRunLog(prev, event))), [store]);
  return log;
}
