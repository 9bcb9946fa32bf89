/** A yes/no question: y or enter says yes, n or esc says no. */
import { useEffect, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { useColor } from '../context.js';
import { fit } from '../layout.js';
import { wrapText } from '../lines.js';
import { Rule } from './pane.js';

export interface QuestionProps {
  title: string;
  text: string;
  /** Code the answer runs, shown under the text (cut to the rows and columns left). */
  code?: readonly string[];
  onYes: () => void;
  onNo: () => void;
  height: number;
  width: number;
  isActive: boolean;
}

export function Question({ title, text, code = [], onYes, onNo, height, width, isActive }: QuestionProps) {
  // Shown once the field listens: a key typed before that would be lost.
  const color = useColor();
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  useInput(
    (input, key) => {
      if (input === 'y' || input === 'Y' || key.return || input === '\n') onYes();
      else if (input === 'n' || input === 'N' || key.escape) onNo();
    },
    { isActive },
  );
  const room = Math.max(0, height - 2);
  const lines = wrapText(text, width).slice(0, room);
  // The code gets the rows the text leaves, a blank line first; a cut says how much is hidden.
  const codeRoom = room - lines.length - 1;
  let shownCode: string[] = [];
  if (code.length > 0 && codeRoom >= 1) {
    shownCode = code.length <= codeRoom ? [...code] : [...code.slice(0, Math.max(0, codeRoom - 1)), `… ${code.length - Math.max(0, codeRoom - 1)} more lines`];
  }
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={title} width={width} />
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          {line}
        </Text>
      ))}
      {shownCode.length > 0 ? <Text> </Text> : null}
      {shownCode.map((line, i) => (
        <Text key={`code-${i}`} wrap="truncate" color={color('cyan')}>
          {fit(`  ${line}`, width)}
        </Text>
      ))}
      <Text wrap="truncate" bold>
        {ready ? '[y] yes   [n] no' : ' '}
      </Text>
    </Box>
  );
}
