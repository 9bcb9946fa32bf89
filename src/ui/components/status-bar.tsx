/** One line: where the session is (or the latest notice) and the keys that matter now. */
import { Text } from 'ink';
import { useColor } from '../context.js';
import { fit } from '../layout.js';

export interface StatusBarProps {
  state: string;
  notice?: string;
  /**
   * Key hints, most important first (a string is split on ` · `). The bar shows whole hints
   * only: the least important are dropped until the rest fit beside the state or notice.
   */
  hints: string | readonly string[];
  width: number;
}

const SEP = ' · ';

/**
 * The left text and the hints that fit `width` together. Whole hints are dropped from the end;
 * when even the first does not fit, the left text is cut to leave room for it, as long as
 * `minLeft` cells of it remain.
 */
export function statusParts(left: string, hints: readonly string[], width: number, minLeft = 20): { left: string; hints: string } {
  const shown: string[] = [];
  for (const hint of hints) {
    const next = [...shown, hint].join(SEP);
    if (left.length + 1 + next.length > width) break;
    shown.push(hint);
  }
  const first = hints[0];
  if (shown.length === 0 && first !== undefined && width - first.length - 1 >= minLeft) {
    return { left: fit(left, width - first.length - 1), hints: first };
  }
  return { left: fit(left, width), hints: shown.join(SEP) };
}

export function StatusBar({ state, notice, hints, width }: StatusBarProps) {
  const color = useColor();
  const list = typeof hints === 'string' ? hints.split(SEP).filter((h) => h !== '') : hints;
  const parts = statusParts(notice ?? state, list, width);
  const pad = Math.max(1, width - parts.left.length - parts.hints.length);
  return (
    <Text wrap="truncate" inverse color={notice ? color('yellow') : undefined}>
      {fit(`${parts.left}${' '.repeat(pad)}${parts.hints}`, width, true)}
    </Text>
  );
}
