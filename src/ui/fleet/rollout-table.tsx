/**
 * `stepgate fleet run` on a terminal: one row per instance (step reached, status, duration),
 * redrawn from the rollout store as the poller fills it. Renders only; the poller in
 * commands/fleet.ts owns the AWS calls.
 */
import type { ReactElement } from 'react';
import { Box, Text } from 'ink';
import { useStore } from 'zustand';
import { rowDuration, rowFailed, rowIsFinal, rowSucceeded, type InstanceRow } from '../../fleet/rollout.js';
import type { RolloutStore } from '../../fleet/rollout-store.js';
import { compareText } from '../../runbooks/text-order.js';

/** A mark that says the state without colour (colour is only a hint). */
function mark(row: InstanceRow): string {
  if (rowSucceeded(row)) return '[x]';
  if (rowIsFinal(row)) return '[!]';
  return row.status === 'Pending' ? '[ ]' : '[>]';
}

function colour(row: InstanceRow): string | undefined {
  if (rowSucceeded(row)) return 'green';
  if (rowIsFinal(row)) return 'red';
  return row.status === 'Pending' ? undefined : 'yellow';
}

const cut = (text: string, width: number): string => (text.length > width ? `${text.slice(0, width - 1)}~` : text.padEnd(width));

export function RolloutTable({ store, color }: { store: RolloutStore; color: boolean }): ReactElement {
  const id = useStore(store, (s) => s.id);
  const commandStatus = useStore(store, (s) => s.commandStatus);
  const rows = useStore(store, (s) => s.rows);
  const done = useStore(store, (s) => s.done);
  const sorted = [...rows].sort((a, b) => compareText(a.instanceId, b.instanceId));
  const final = sorted.filter(rowIsFinal);
  const failed = final.filter(rowFailed).length;
  return (
    <Box flexDirection="column">
      <Text bold>
        {`rollout ${id}: command ${commandStatus}, ${final.length}/${sorted.length} instance${sorted.length === 1 ? '' : 's'} done${failed > 0 ? `, ${failed} failed` : ''}${done ? '' : ' (watching)'}`}
      </Text>
      <Text>{`    ${cut('INSTANCE', 20)} ${cut('STEP', 26)} ${cut('STATUS', 16)} TIME`}</Text>
      {sorted.length === 0 ? <Text dimColor>    waiting for the first instance to report</Text> : null}
      {sorted.map((r) => (
        <Text key={r.instanceId} {...(color && colour(r) ? { color: colour(r) } : {})}>
          {`${mark(r)} ${cut(r.instanceId, 20)} ${cut(r.step ?? '-', 26)} ${cut(r.status, 16)} ${rowDuration(r.durationMs)}`}
        </Text>
      ))}
    </Box>
  );
}
