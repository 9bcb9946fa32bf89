/** One line: where the session is (or the latest notice) and the keys that matter now. */
import { Text } from 'ink';
import { useColor } from '../context.js';
import { fit } from '../layout.js';

export interface StatusBarProps {
  state: string;
  notice?: string;
  hints: string;
  width: number;
}

export function StatusBar({ state, notice, hints, width }: StatusBarProps) {
  const color = useColor();
  const left = notice ?? state;
  const room = width - left.length - 3;
  const shownHints = room >= 10 ? fit(hints, room) : '';
  const pad = Math.max(1, width - left.length - shownHints.length);
  return (
    <Text wrap="truncate" inverse color={notice ? color('yellow') : undefined}>
      {fit(`${left}${' '.repeat(pad)}${shownHints}`, width, true)}
    </Text>
  );
}
