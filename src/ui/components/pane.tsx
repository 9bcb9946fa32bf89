/**
 * A fixed-height window over lines. Always exactly `height` rows (padded), every row cut to the
 * width, so the frame never grows past the terminal. Rows are memoised: an unchanged line
 * (finished output, the description) is not re-rendered when the pane updates.
 */
import { memo } from 'react';
import { Box, Text } from 'ink';
import { cellWidth } from '../../session/cells.js';
import { useColor } from '../context.js';
import { fit } from '../layout.js';
import type { Line, Tone } from '../lines.js';

export interface PaneProps {
  lines: readonly Line[];
  height: number;
  width: number;
  /** First line shown. */
  top: number;
}

const TONE_COLOR: Record<Tone, string | undefined> = {
  title: undefined,
  dim: 'gray',
  error: 'red',
  ok: 'green',
  warn: 'yellow',
  code: 'cyan',
  selected: undefined,
};

const PaneLine = memo(function PaneLine({ text, tone, width }: { text: string; tone: Tone | undefined; width: number }) {
  const color = useColor();
  return (
    <Text
      wrap="truncate"
      color={tone ? color(TONE_COLOR[tone]) : undefined}
      bold={tone === 'title'}
      inverse={tone === 'selected'}
    >
      {fit(text, width) || ' '}
    </Text>
  );
});

export function Pane({ lines, height, width, top }: PaneProps) {
  const start = Math.min(Math.max(0, top), Math.max(0, lines.length - height));
  const shown = lines.slice(start, start + height);
  return (
    <Box flexDirection="column" height={height} width={width} overflow="hidden">
      {shown.map((line, i) => (
        <PaneLine key={i} text={line.text} tone={line.tone} width={width} />
      ))}
    </Box>
  );
}

/** What a rule takes around its text: `── ` before, ` ─` after at the least. */
export const RULE_CHROME = 5;

/** A title rule: `── text ───────`. */
export function Rule({ text, width }: { text: string; width: number }) {
  const label = text === '' ? '' : `── ${fit(text, Math.max(1, width - RULE_CHROME))} `;
  return (
    <Text wrap="truncate" bold>
      {label}
      {'─'.repeat(Math.max(0, width - cellWidth(label)))}
    </Text>
  );
}
