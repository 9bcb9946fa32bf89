/**
 * A blocked step: what failed (the exit status and the end of its output, or each check
 * attempt with its status or error), then the ways out as a numbered menu.
 */
import { Box, Text } from 'ink';
import type { ScreenSnapshot } from '../context.js';
import type { Choice, FlowItem, StepState } from '../../session/types.js';
import { useColor } from '../context.js';
import type { CheckAttempt } from '../hooks/use-run-log.js';
import { fit } from '../layout.js';
import { attemptLine, choiceKey, choiceLabel, failureLine, type Line } from '../lines.js';
import { Pane, Rule } from './pane.js';

export interface GatePanelProps {
  item: FlowItem;
  step: StepState;
  choices: readonly Choice[];
  /** Highlighted choice. */
  index: number;
  /** The menu has the keys. */
  focused: boolean;
  screen: ScreenSnapshot | null;
  attempts: readonly CheckAttempt[] | undefined;
  height: number;
  width: number;
}

export function GatePanel({ item, step, choices, index, focused, screen, attempts, height, width }: GatePanelProps) {
  const color = useColor();
  const menu = choices.map((choice, i) => {
    const key = choiceKey(choice);
    return `${i === index && focused ? '>' : ' '} ${i + 1}.${key ? ` [${key}]` : '    '} ${choiceLabel(choice, item.file)}`;
  });
  // The menu always shows; what failed gets the rows that are left.
  const room = Math.max(0, height - 2 - menu.length);
  const what: Line[] = [];
  if (item.step.kind === 'check') {
    for (const a of (attempts ?? []).slice(-room)) what.push(attemptLine(a));
  } else if (screen && item.step.kind === 'command') {
    for (const text of screen.lines.slice(-room)) what.push({ text });
  }
  const menuHeight = Math.min(menu.length, Math.max(1, height - 2));
  const menuTop = Math.max(0, Math.min(index - menuHeight + 1, menu.length - menuHeight));
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={`BLOCKED at ${item.step.id} (attempt ${step.attempts})`} width={width} />
      <Text wrap="truncate" color={color('red')}>
        {fit(`[!] ${failureLine(item, step)}`, width)}
      </Text>
      <Pane lines={what} height={Math.max(0, height - 2 - menuHeight)} width={width} top={0} />
      <Box flexDirection="column" height={menuHeight}>
        {menu.slice(menuTop, menuTop + menuHeight).map((text, i) => (
          <Text key={i} wrap="truncate" inverse={focused && i + menuTop === index}>
            {fit(text, width)}
          </Text>
        ))}
      </Box>
    </Box>
  );
}
