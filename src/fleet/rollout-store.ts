/**
 * The live state of a rollout being watched: what the poller last saw, for a face to render
 * (the Ink table on a terminal). The poller (commands/fleet.ts) owns the AWS calls and
 * `set`s each poll's rows here; the view only reads.
 */
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { InstanceRow } from './rollout.js';

export interface RolloutView {
  id: string;
  /** The Run Command's own status (`Pending`, `InProgress`, `Success`, ...). */
  commandStatus: string;
  rows: InstanceRow[];
  /** When the rows were polled (ms since the epoch), for "as of". */
  polledAt?: number;
  /** Set once every instance is final. */
  done: boolean;
}

export type RolloutStore = StoreApi<RolloutView>;

export function createRolloutStore(id: string): RolloutStore {
  return createStore<RolloutView>(() => ({ id, commandStatus: 'Pending', rows: [], done: false }));
}
