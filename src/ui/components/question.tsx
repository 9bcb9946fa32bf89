/** A yes/no question: y or enter says yes, n or esc says no. */
import { useEffect, useState } from 'react';
import { Box, Text, useInput } from 'ink';
import { wrapText } from '../lines.js';
import { Rule } from './pane.js';

export interface QuestionProps {
  title: string;
  text: string;
  onYes: () => void;
  onNo: () => void;
  height: number;
  width: number;
  isActive: boolean;
}

export function Question({ title, text, onYes, onNo, height, width, isActive }: QuestionProps) {
  // Shown once the field listens: a key typed before that would be lost.
  const [ready, setReady] = useState(false);
  useEffect(() => setReady(true), []);
  useInput(
    (input, key) => {
      if (input === 'y' || input === 'Y' || key.return || input === '\n') onYes();
      else if (input === 'n' || input === 'N' || key.escape) onNo();
    },
    { isActive },
  );
  const lines = wrapText(text, width).slice(0, Math.max(0, height - 2));
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={title} width={width} />
      {lines.map((line, i) => (
        <Text key={i} wrap="truncate">
          {line}
        </Text>
      ))}
      <Text wrap="truncate" bold>
        {ready ? '[y] yes   [n] no' : ' '}
      </Text>
    </Box>
  );
}
