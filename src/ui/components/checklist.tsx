/**
 * The top frame's steps grouped under their headings, each with a state mark that reads
 * without colour (and under the step a recovery path returned to, that path's steps, indented
 * and dimmed); the selected row carries `>` and is highlighted; the window scrolls to keep
 * it in view.
 */
import { memo, useMemo, useRef } from 'react';
import { Box, Text } from 'ink';
import { useShallow } from 'zustand/react/shallow';
import type { StepStatus } from '../../session/types.js';
import { PREFLIGHT_ROW, checklistRows, preflightLabel, rowOfStep, stepLabel } from '../checklist-rows.js';
import { useColor, useSession } from '../context.js';
import { fitWords, scrollWindow } from '../layout.js';
import { statusColor, statusMark, statusNote } from '../marks.js';

export interface ChecklistProps {
  height: number;
  width: number;
  selected: number;
  /** A step of the recovery path that returned to step `selected` is selected instead. */
  aside?: number | undefined;
  /** Show the right-hand notes (off in the compact layout). */
  notes: boolean;
}

/** Rows of a recovery path that returned are indented under the step they returned to. */
const ASIDE_INDENT = '  ';

const Row = memo(function Row(props: {
  label: string;
  status: StepStatus;
  note: string;
  selected: boolean;
  current: boolean;
  width: number;
  /** A step of a recovery path that returned: indented and dimmed (it ran; it does not run from here). */
  aside?: boolean;
}) {
  const color = useColor();
  const note = props.note === '' ? '' : ` ${props.note}`;
  const indent = props.aside ? ASIDE_INDENT : '';
  const lead = `${props.selected ? '>' : ' '}${indent}${statusMark(props.status)} `;
  const label = fitWords(props.label, Math.max(1, props.width - lead.length - note.length), true);
  return (
    <Text wrap="truncate" inverse={props.selected} bold={props.current} dimColor={props.aside === true && !props.selected}>
      {props.selected ? '>' : ' '}
      {indent}
      <Text color={props.aside ? undefined : color(statusColor(props.status))}>{statusMark(props.status)}</Text> {label}
      {note}
    </Text>
  );
});

export function Checklist({ height, width, selected, aside, notes }: ChecklistProps) {
  const { items, steps, cursor, preflight, returned } = useSession(
    useShallow((s) => {
      const frame = s.session.frames[s.session.frames.length - 1];
      // The preflight belongs to the main runbook: a recovery frame's list starts at its steps.
      return {
        items: frame?.init.items,
        steps: frame?.steps,
        cursor: frame?.cursor ?? 0,
        preflight: s.session.frames.length === 1 ? s.session.preflight : undefined,
        returned: frame?.returned,
      };
    }),
  );
  const rows = useMemo(
    () => checklistRows(items ?? [], preflight !== undefined, returned ? { index: returned.index, title: returned.frame.init.title, count: returned.frame.init.items.length } : undefined),
    [items, preflight, returned],
  );
  const top = useRef(0);
  // Back from a recovery path, its rows are brought into view with the step they returned to.
  const lastReturned = returned && selected === returned.index ? rowOfStep(rows, selected, returned.frame.init.items.length - 1) : undefined;
  if (lastReturned !== undefined) top.current = scrollWindow(rows.length, lastReturned, height, top.current);
  top.current = scrollWindow(rows.length, rowOfStep(rows, selected, aside), height, top.current);
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
              {fitWords(`## ${row.text}`, width)}
            </Text>
          );
        }
        if (row.kind === 'returned-heading') {
          return (
            <Text key={`rh${top.current + i}`} wrap="truncate" dimColor>
              {fitWords(` ${ASIDE_INDENT}${row.text}`, width)}
            </Text>
          );
        }
        if (row.kind === 'returned') {
          const item = returned?.frame.init.items[row.index];
          const step = returned?.frame.steps[row.index];
          if (!item || !step) return null;
          return <Row key={`r:${item.key}`} label={stepLabel(item)} status={step.status} note={notes ? statusNote(step) : ''} selected={aside === row.index} current={false} width={width} aside />;
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
            selected={row.index === selected && aside === undefined}
            current={row.index === cursor}
            width={width}
          />
        );
      })}
    </Box>
  );
}
