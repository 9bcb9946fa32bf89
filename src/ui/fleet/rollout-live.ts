/**
 * Mounts the rollout table on the terminal for `fleet run`/`fleet status` and takes it down
 * when the watch ends, leaving its last frame on screen. Loaded only on a terminal, so
 * `fleet` into a pipe never loads Ink or React.
 */
import { createElement } from 'react';
import { render } from 'ink';
import type { RolloutStore } from '../../fleet/rollout-store.js';
import { colorEnabled } from '../theme.js';
import { RolloutTable } from './rollout-table.js';

export interface LiveTable {
  /** Draws the last state, unmounts, and leaves that frame on screen. */
  close(): Promise<void>;
}

export function mountRolloutTable(store: RolloutStore, stdout: NodeJS.WriteStream = process.stdout): LiveTable {
  const app = render(createElement(RolloutTable, { store, color: colorEnabled() }), { stdout, patchConsole: false, exitOnCtrlC: false });
  return {
    close: async () => {
      // The poller's last setState re-renders on React's schedule: let it draw before unmounting.
      await new Promise((resolve) => setTimeout(resolve, 50));
      app.unmount();
      await app.waitUntilExit();
    },
  };
}
