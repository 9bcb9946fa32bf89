/** One line: where the session is (or the latest notice) and the keys that matter now. */
import { Text } from 'ink';
import { useColor } from '../context.js';
import { fit, fitWords } from '../layout.js';

export interface StatusBarProps {
  state: string;
  /** The cells of `state` that no hint displaces (default: all of it); the rest is cut at a word first. */
  keep?: number | undefined;
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
 * `minLeft` cells of it remain. Before any hint is dropped, the left text is cut (at a word)
 * down to its first `keep` cells: a step's title can fill the line, and the keys are what the
 * operator needs from it.
 */
export function statusParts(left: string, hints: readonly string[], width: number, minLeft = 20, keep = left.length): { left: string; hints: string } {
  const shown: string[] = [];
  const need = Math.min(left.length, keep);
  for (const hint of hints) {
    const next = [...shown, hint].join(SEP);
    if (need + 1 + next.length > width) break;
    shown.push(hint);
  }
  if (shown.length > 0 && need < left.length) {
    const text = shown.join(SEP);
    return { left: fitWords(left, width - text.length - 1), hints: text };
  }
  const first = hints[0];
  if (shown.length === 0 && first !== undefined && width - first.length - 1 >= minLeft) {
    return { left: fit(left, width - first.length - 1), hints: first };
  }
  return { left: fit(left, width), hints: shown.join(SEP) };
}

export function StatusBar({ state, keep, notice, hints, width }: StatusBarProps) {
  const color = useColor();
  const list = typeof hints === 'string' ? hints.split(SEP).filter((h) => h !== '') : hints;
  // A notice is read whole; a state may give way to the keys.
  const parts = notice !== undefined ? statusParts(notice, list, width) : statusParts(state, list, width, undefined, keep);
  const pad = Math.max(1, width - parts.left.length - parts.hints.length);
  return (
    <Text wrap="truncate" inverse color={notice ? color('yellow') : undefined}>
      {fit(`${parts.left}${' '.repeat(pad)}${parts.hints}`, width, true)}
    </Text>
  );
}
