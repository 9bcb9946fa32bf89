/**
 * The top frame's steps grouped under their headings, each with a state mark that reads
 * without colour; the selected row carries `>` and is highlighted; the window scrolls to keep
 * it in view.
 */
import { memo, useMemo, useRef } from 'react';
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import type { StepStatus } from '../../session/types.js';
import { PREFLIGHT_ROW, checklistRows, preflightLabel, rowOfStep, stepLabel } from '../checklist-rows.js';
import { useColor, useSession } from '../context.js';
import { fit, scrollWindow } from '../layout.js';
import { statusColor, statusMark, statusNote } from '../marks.js';

export interface ChecklistProps {
  height: number;
  width: number;
  selected: number;
  /** Show the right-hand notes (off in the compact layout). */
  notes: boolean;
}

const Row = memo(function Row(props: {
  label: string;
  status: StepStatus;
  note: string;
  selected: boolean;
  current: boolean;
  width: number;
}) {
  const color = useColor();
  const note = props.note === '' ? '' : ` ${props.note}`;
  const lead = `${props.selected ? '>' : ' '}${statusMark(props.status)} `;
  const label = fit(props.label, Math.max(1, props.width - lead.length - note.length), true);
  return (
    <Text wrap="truncate" inverse={props.selected} bold={props.current}>
      {props.selected ? '>' : ' '}
      <Text color={color(statusColor(props.status))}>{statusMark(props.status)}</Text> {label}
      {note}
    </Text>
  );
});

export function Checklist({ height, width, selected, notes }: ChecklistProps) {
  const { items, steps, cursor, preflight } = useSession(
    useShallow((s) => {
      const frame = s.session.frames[s.session.frames.length - 1];
      // The preflight belongs to the main runbook: a recovery frame's list starts at its steps.
      return { items: frame?.init.items, steps: frame?.steps, cursor: frame?.cursor ?? 0, preflight: s.session.frames.length === 1 ? s.session.preflight : undefined };
    }),
  );
  const rows = useMemo(() => checklistRows(items ?? [], preflight !== undefined), [items, preflight]);
  const top = useRef(0);
  top.current = scrollWindow(rows.length, rowOfStep(rows, selected), height, top.current);
  const shown = rows.slice(top.current, top.current + height);
  return (
    <Box flexDirection="column" height={height} overflow="hidden">
      {shown.map((row, i) => {
        if (row.kind === 'preflight') {
          if (!preflight) return null;
          const { label, note, status } = preflightLabel(preflight);
          return <Row key="preflight" label={label} status={status} note={notes ? note : ''} selected={selected === PREFLIGHT_ROW} current={false} width={width} />;
        }
        if (row.kind === 'heading') {
          return (
            <Text key={`h${top.current + i}`} wrap="truncate" bold>
              {fit(`## ${row.text}`, width)}
            </Text>
          );
        }
        const item = items?.[row.index];
        const step = steps?.[row.index];
        if (!item || !step) return null;
        return (
          <Row
            key={item.key}
            label={stepLabel(item)}
            status={step.status}
            note={notes ? (item.step.kind === 'check' && step.status === 'failed' && !step.interrupted ? 'failed' : statusNote(step)) : ''}
            selected={row.index === selected}
            current={row.index === cursor}
            width={width}
          />
        );
      })}
    </Box>
  );
}
