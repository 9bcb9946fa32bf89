/** A typed answer (a reason, a variable): what is asked, then the field. */
import { useEffect, useState } from 'react';
import { Box, Text } from 'ink';
import { useColor } from '../context.js';
import { wrapText } from '../lines.js';
import { TextInput } from '../widgets/text-input.js';
import { Rule } from './pane.js';

export interface AskTextProps {
  title: string;
  text: string;
  label: string;
  mask?: boolean;
  onSubmit: (value: string) => void;
  onCancel: () => void;
  height: number;
  width: number;
  isActive: boolean;
  /** What esc does, as the status line says it (a var's prompt: esc asks to quit the session). */
  escape?: string;
  /**
   * Why the last answer was refused, shown whole under the field: a status line of 80 columns
   * cut a var's pattern off mid-way, and the pattern is what the operator needs to read.
   */
  problem?: string | undefined;
  /** Empty the field on enter: see TextInput. */
  clearOnSubmit?: boolean;
  /** Say its keys under the field; off where the status line says them (a var's prompt said them twice). */
  hint?: boolean;
}

export function AskText({ title, text, label, mask = false, onSubmit, onCancel, height, width, isActive, escape = 'cancels', problem, clearOnSubmit = false, hint = true }: AskTextProps) {
  // Shown once the field listens: a key typed before that would be lost.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  const color = useColor();
  // The refusal comes before the question's own text when rows are short: it is what changed.
  const refused = problem === undefined ? [] : wrapText(problem, width).slice(0, Math.max(0, height - 3));
  const lines = wrapText(text, width).slice(0, Math.max(0, height - 3 - refused.length));
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={title} width={width} />
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          {line}
        </Text>
      ))}
      <TextInput label={label} mask={mask} width={width} onSubmit={onSubmit} onCancel={onCancel} isActive={isActive} clearOnSubmit={clearOnSubmit} />
      {refused.map((line, i) => (
        <Text key={`refused-${i}`} wrap="truncate" color={color('yellow')}>
          {line}
        </Text>
      ))}
      {hint ? (
        <Text wrap="truncate" dimColor>
          {ready ? `enter submits · esc ${escape}` : ' '}
        </Text>
      ) : null}
    </Box>
  );
}
