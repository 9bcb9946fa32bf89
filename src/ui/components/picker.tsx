/**
 * `stepgate DIR`: the runbooks of a directory (title, description, steps and checks) and the
 * unfinished sessions that can be resumed. `/` filters, enter opens.
 */
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Box, Text, useInput, useStdin } from 'ink';
import { commandFor, keyName } from '../keymap.js';
import { fit } from '../layout.js';
import { shortPath, wrapText, type Line } from '../lines.js';
import { useColor } from '../context.js';
import { stateAt } from '../../session/state-phrase.js';
import { filterEntries, type PickerEntry } from '../picker-model.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { usePickerState } from '../widgets/use-picker-state.js';
import { TextInput } from '../widgets/text-input.js';
import { helpLines } from './help-overlay.js';
import { Pane, Rule } from './pane.js';
import { StatusBar } from './status-bar.js';

export interface PickerProps {
  dir: string;
  entries: readonly PickerEntry[];
  onOpen: (entry: PickerEntry) => void;
  onQuit: () => void;
  /** Shown in the status bar (an error opening an entry, ...). */
  message?: string;
  /** Lines under the list, each wrapped (other users' unfinished sessions, for root). */
  notes?: readonly string[];
}

function entryLines(entry: PickerEntry, selected: boolean, width: number): Line[] {
  const tone = selected ? ('selected' as const) : undefined;
  const lead = selected ? '>' : ' ';
  if (entry.kind === 'session') {
    const head = `${lead} resume ${entry.title} · ${stateAt(entry.state, entry.at)}`;
    return [
      { text: head, ...(tone ? { tone } : {}) },
      { text: `    session ${entry.id} · ${shortPath(entry.file)}`, tone: 'dim' },
    ];
  }
  const counts = `${entry.steps} step${entry.steps === 1 ? '' : 's'}, ${entry.checks} check${entry.checks === 1 ? '' : 's'}${entry.errors > 0 ? `, ${entry.errors} lint error${entry.errors === 1 ? '' : 's'}` : ''}`;
  return [
    { text: `${lead} ${entry.title}`, ...(tone ? { tone } : {}) },
    { text: `    ${fit(`${shortPath(entry.file)} · ${entry.partOf ? `${entry.partOf} · ` : ''}${counts}${entry.description ? ` · ${entry.description}` : ''}`, width - 4)}`, tone: 'dim' },
  ];
}

/**
 * The directory as the header names it: relative paths start with `./`, so the default
 * `runbooks` reads "runbooks in ./runbooks/" rather than "runbooks in runbooks".
 */
function dirLabel(dir: string): string {
  const path = shortPath(dir) || dir;
  return `${path.startsWith('/') ? path : `./${path}`}${path.endsWith('/') ? '' : '/'}`;
}

export function Picker({ dir, entries, onOpen, onQuit, message, notes = [] }: PickerProps) {
  const { cols, rows } = useTerminalSize();
  const { isRawModeSupported } = useStdin();
  const color = useColor();
  const [state, dispatch, get] = usePickerState();
  const [help, setHelp] = useState(false);
  const [ready, setReady] = useState(false);
  const [filterReady, setFilterReady] = useState(false);
  const onFilterReady = useCallback(() => setFilterReady(true), []);
  const shown = useMemo(() => filterEntries(entries, state.filter), [entries, state.filter]);
  const all = entries;
  const width = Math.max(20, cols);
  const height = Math.max(4, rows - 1);
  // One subscription for the picker's lifetime: it reads the latest state, and stays quiet
  // while the filter field has the keys.
  const [helpScroll, setHelpScroll] = useState(0);
  // A message too long for the status line is said whole above it (a trial's "cannot open"
  // lost the way out, "create the user", to the cut).
  const said = message !== undefined && message.length > width - 24 ? wrapText(message, width).slice(0, Math.max(1, height - 6)) : [];
  const listHeight = height - 3 - said.length;
  // The help scrolls no further than its last line in the rows it has.
  const helpMax = Math.max(0, helpLines(width).length - listHeight);
  const latest = useRef({ shown: all, help, onOpen, onQuit, helpMax });
  latest.current = { shown: all, help, onOpen, onQuit, helpMax };
  const onInput = useCallback(
    (input: string, key: Parameters<typeof keyName>[1]) => {
      const now = get();
      if (now.filtering) return;
      const { shown: list, help: helping, onOpen: open, onQuit: quit, helpMax: max } = latest.current;
      const visible = filterEntries(list, now.filter);
      const command = commandFor('picker', keyName(input, key));
      switch (command) {
        case 'up':
        case 'down':
          if (helping) return setHelpScroll((top) => Math.min(max, Math.max(0, top + (command === 'up' ? -1 : 1))));
          return dispatch({ type: 'move', delta: command === 'up' ? -1 : 1, count: visible.length });
        case 'pick': {
          const entry = visible[now.index];
          if (entry) open(entry);
          return;
        }
        case 'filter':
          return dispatch({ type: 'start-filter' });
        case 'help':
          setHelpScroll(0);
          return setHelp((h) => !h);
        case 'back':
          if (helping) return setHelp(false);
          if (now.filter !== '') return dispatch({ type: 'end-filter', keep: false });
          return;
        case 'quit':
          // q closes the help as it closes a pager; the picker itself quits.
          if (helping) return setHelp(false);
          return quit();
        case 'interrupt':
          return quit();
        default:
          return;
      }
    },
    [get, dispatch],
  );
  useInput(onInput, { isActive: isRawModeSupported });
  useEffect(() => setReady(true), []);
  const onFilter = useCallback((filter: string) => dispatch({ type: 'set-filter', filter }), [dispatch]);
  const lines = shown.flatMap((e, i) => entryLines(e, i === state.index, width));
  if (shown.length === 0) lines.push({ text: entries.length === 0 ? `no runbooks (*.md) in ${dir}` : 'nothing matches the filter (esc clears it)', tone: 'dim' });
  // Under the entries, after a blank row: read, never picked (another user's session resumes as
  // that user, as the note says).
  if (notes.length > 0) lines.push({ text: '' }, ...notes.flatMap((note) => wrapText(note, width).map((text): Line => ({ text, tone: 'dim' }))));
  const top = Math.max(0, state.index * 2 + 2 - listHeight);
  return (
    <Box flexDirection="column" height={height} width={width}>
      <Text wrap="truncate" bold>
        {fit(`stepgate · runbooks in ${dirLabel(dir)}`, width)}
      </Text>
      {state.filtering ? (
        <TextInput
          label="filter /"
          width={width}
          onChange={onFilter}
          onSubmit={() => {
            setFilterReady(false);
            dispatch({ type: 'end-filter', keep: true });
          }}
          onCancel={() => {
            setFilterReady(false);
            dispatch({ type: 'end-filter', keep: false });
          }}
          onReady={onFilterReady}
          isActive={isRawModeSupported}
        />
      ) : (
        <Rule text={state.filter ? `filter: ${state.filter}` : `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`} width={width} />
      )}
      {help ? (
        <Pane lines={helpLines(width)} height={listHeight} width={width} top={helpScroll} />
      ) : (
        <Pane lines={lines} height={listHeight} width={width} top={top} />
      )}
      {said.map((line, i) => (
        <Text key={`said-${i}`} wrap="truncate" color={color('yellow')}>
          {line}
        </Text>
      ))}
      <StatusBar state="PICK a runbook" {...(message && said.length === 0 ? { notice: message } : {})} hints={state.filtering ? (filterReady ? 'type words · enter keeps · esc clears' : '') : help ? '↑↓ scroll · esc/q close' : ready ? '↑↓ move · enter open · / filter · ? help · q quit' : ''} width={width} />
    </Box>
  );
}
