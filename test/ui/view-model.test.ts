import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PREFLIGHT_ROW, checklistRows, moveSelection, rowOfStep } from '../../src/ui/checklist-rows.js';
import { fit, runbookLayout, scrollWindow } from '../../src/ui/layout.js';
import { wrapText } from '../../src/ui/lines.js';
import { formatDuration } from '../../src/runbooks/duration.js';
import { formatElapsed, statusMark } from '../../src/ui/marks.js';
import { filterEntries, type PickerEntry } from '../../src/ui/picker-model.js';
import { textInputReducer } from '../../src/ui/widgets/use-text-input-state.js';
import { initialViewState, isDoubleInterrupt, viewReducer } from '../../src/ui/runbook/view-state.js';
import type { FlowItem } from '../../src/session/types.js';

describe('marks', () => {
  it('are distinct without colour', () => {
    const marks = (['pending', 'running', 'passed', 'failed', 'skipped', 'overridden'] as const).map(statusMark);
    expect(marks).toEqual(['[ ]', '[>]', '[x]', '[!]', '[-]', '[~]']);
  });

  it('format durations and elapsed time', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(2400)).toBe('2.4s');
    expect(formatDuration(185_000)).toBe('3m05s');
    expect(formatElapsed(42_000)).toBe('00:42');
    expect(formatElapsed(3_729_000)).toBe('1:02:09');
  });
});

describe('layout', () => {
  it('never gives the frame as many rows as the terminal, nor a region zero rows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 300 }), fc.integer({ min: 5, max: 120 }), fc.boolean(), (cols, rows, recovery) => {
        const l = runbookLayout(cols, rows, recovery);
        expect(l.header + l.list + l.detail + l.status).toBe(l.height);
        expect(l.height).toBeLessThanOrEqual(Math.max(4, rows - 1));
        expect(l.list).toBeGreaterThanOrEqual(1);
        expect(l.detail).toBeGreaterThanOrEqual(1);
        expect(l.compact).toBe(cols < 60 || rows < 16);
      }),
    );
  });

  it('gives 80x24 an 8-row checklist and a 13-row detail pane', () => {
    expect(runbookLayout(80, 24, false)).toMatchObject({ height: 23, header: 1, list: 8, detail: 13, status: 1, compact: false });
  });

  it('keeps the selected row inside the scroll window', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 300 }), fc.nat(), (total, height, sel, prev) => {
        const selected = total === 0 ? 0 : sel % total;
        const top = scrollWindow(total, selected, height, prev);
        expect(top).toBeGreaterThanOrEqual(0);
        if (total > height) {
          expect(top).toBeLessThanOrEqual(total - height);
          expect(selected).toBeGreaterThanOrEqual(top);
          expect(selected).toBeLessThan(top + height);
        } else expect(top).toBe(0);
      }),
    );
  });

  it('fits text to a width', () => {
    expect(fit('hello world', 5)).toBe('hell…');
    expect(fit('hi', 5, true)).toBe('hi   ');
    expect(fit('x', 0)).toBe('');
  });

  it('wraps prose to the width, joining soft breaks and keeping paragraphs', () => {
    expect(wrapText('one two\nthree\n\nfour', 20)).toEqual(['one two three', '', 'four']);
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), fc.integer({ min: 8, max: 100 }), (text, width) => {
        for (const line of wrapText(text, width)) expect(line.length).toBeLessThanOrEqual(width);
      }),
    );
  });
});

describe('checklist rows', () => {
  const item = (id: string, section: string, phase: FlowItem['phase'] = 'main', sectionTitle?: string): FlowItem =>
    ({
      key: `/rb/a.md#${id}`,
      file: '/rb/a.md',
      phase,
      step: { kind: 'command', id, index: 0, section, description: '', position: { line: 1, column: 1 }, crossRefs: [], lang: 'bash', script: '', attrs: {} },
      hash: '',
      recoveries: [],
      ...(sectionTitle ? { sectionTitle } : {}),
    }) as unknown as FlowItem;

  it('puts a heading before each section and phase change', () => {
    const rows = checklistRows([item('a', 'pre', 'before', 'Pre-deploy'), item('b', 'pull', 'main', 'Pull'), item('c', 'pull', 'main', 'Pull')]);
    expect(rows).toEqual([
      { kind: 'heading', text: 'before: Pre-deploy' },
      { kind: 'step', index: 0 },
      { kind: 'heading', text: 'Pull' },
      { kind: 'step', index: 1 },
      { kind: 'step', index: 2 },
    ]);
    expect(rowOfStep(rows, 2)).toBe(4);
  });

  it('lists a recovery path that returned under the step it returned to, and moves through its rows', () => {
    const items = [item('a', 'pull'), item('b', 'health'), item('c', 'health')];
    const rows = checklistRows(items, true, { index: 1, title: 'Restart', count: 2 });
    expect(rows).toEqual([
      { kind: 'preflight' },
      { kind: 'heading', text: 'pull' },
      { kind: 'step', index: 0 },
      { kind: 'heading', text: 'health' },
      { kind: 'step', index: 1 },
      { kind: 'returned-heading', text: 'recovery done: Restart' },
      { kind: 'returned', index: 0 },
      { kind: 'returned', index: 1 },
      { kind: 'step', index: 2 },
    ]);
    expect(rowOfStep(rows, 1, 1)).toBe(7);
    // Down from the step it returned to: its rows (selected stays that step, aside names the row), then on.
    expect(moveSelection(rows, { selected: 1 }, 1, 1)).toEqual({ selected: 1, aside: 0 });
    expect(moveSelection(rows, { selected: 1, aside: 1 }, 1, 1)).toEqual({ selected: 2 });
    expect(moveSelection(rows, { selected: 1, aside: 0 }, -1, 1)).toEqual({ selected: 1 });
    expect(moveSelection(rows, { selected: 0 }, -5, 1)).toEqual({ selected: PREFLIGHT_ROW });
    expect(moveSelection(rows, { selected: 2 }, 5, 1)).toEqual({ selected: 2 });
  });
});

describe('view state', () => {
  it('follows the engine cursor and focuses the gate when blocked', () => {
    let v = viewReducer(initialViewState, { type: 'move', delta: 3, count: 5 });
    expect(v.selected).toBe(3);
    v = viewReducer(v, { type: 'focus', focus: 'list' });
    v = viewReducer(v, { type: 'follow', depth: 0, cursor: 1, blocked: true });
    expect(v).toMatchObject({ selected: 1, focus: 'gate', gateIndex: 0 });
  });

  it('clamps moves and the gate menu', () => {
    expect(viewReducer(initialViewState, { type: 'move', delta: -4, count: 3 }).selected).toBe(0);
    expect(viewReducer(initialViewState, { type: 'move', delta: 9, count: 3 }).selected).toBe(2);
    expect(viewReducer(initialViewState, { type: 'gate-move', delta: 9, count: 4 }).gateIndex).toBe(3);
  });

  it('counts two ctrl-c within 2s as a double', () => {
    const v = viewReducer(initialViewState, { type: 'interrupt-pressed', at: 10_000 });
    expect(isDoubleInterrupt(v, 11_999)).toBe(true);
    expect(isDoubleInterrupt(v, 12_001)).toBe(false);
    expect(isDoubleInterrupt(initialViewState, 1)).toBe(false);
  });
});

describe('text input', () => {
  it('inserts at the cursor, deletes, strips control characters and line breaks', () => {
    let s = textInputReducer({ value: '', cursor: 0 }, { type: 'insert', text: 'helo' });
    s = textInputReducer(s, { type: 'left' });
    s = textInputReducer(s, { type: 'insert', text: 'l' });
    expect(s).toEqual({ value: 'hello', cursor: 4 });
    s = textInputReducer(s, { type: 'backspace' });
    expect(s.value).toBe('helo');
    s = textInputReducer(s, { type: 'insert', text: 'a\u0007b\nc' });
    expect(s.value).toBe('helab co');
    expect(textInputReducer(s, { type: 'clear' })).toEqual({ value: '', cursor: 0 });
    // Keys that arrive in one chunk (typed fast over SSM): backspaces and ctrl-u still edit.
    expect(textInputReducer({ value: 'abc', cursor: 3 }, { type: 'insert', text: '\u007F\u007F\u007F18099' })).toEqual({ value: '18099', cursor: 5 });
    expect(textInputReducer({ value: 'abc', cursor: 3 }, { type: 'insert', text: 'd\b\bx' })).toEqual({ value: 'abx', cursor: 3 });
    expect(textInputReducer({ value: 'abc', cursor: 1 }, { type: 'insert', text: 'zz\u0015v1' })).toEqual({ value: 'v1', cursor: 2 });
  });
});

describe('picker filter', () => {
  const entries: PickerEntry[] = [
    { kind: 'runbook', file: '/r/deploy.md', title: 'Redeploy omneuro', description: 'pull, restart, health', steps: 5, checks: 2, errors: 0 },
    { kind: 'runbook', file: '/r/recovery.md', title: 'Recovery', steps: 3, checks: 1, errors: 0 },
    { kind: 'session', id: '20250101-120000-abcdef', file: '/r/deploy.md', title: 'Redeploy omneuro', state: 'blocked' },
  ];

  it('matches every word in title, file, description or session state', () => {
    expect(filterEntries(entries, '').length).toBe(3);
    expect(filterEntries(entries, 'recov').map((e) => e.title)).toEqual(['Recovery']);
    expect(filterEntries(entries, 'RESTART health').map((e) => e.file)).toEqual(['/r/deploy.md']);
    expect(filterEntries(entries, 'blocked').map((e) => e.kind)).toEqual(['session']);
    expect(filterEntries(entries, 'nothing')).toEqual([]);
  });
});

describe('notices follow the walk', () => {
  it('a notice stays while the engine stays put, and goes when the step it was about ends or blocks', () => {
    const running = viewReducer(initialViewState, { type: 'follow', depth: 0, cursor: 2, blocked: false });
    const told = viewReducer(running, { type: 'notice', text: 'cannot run all while running' });
    expect(viewReducer(told, { type: 'follow', depth: 0, cursor: 2, blocked: false }).notice).toBe('cannot run all while running');
    // The step failed: the gate's own words replace it, not a note about a run that is over.
    expect(viewReducer(told, { type: 'follow', depth: 0, cursor: 2, blocked: true }).notice).toBeUndefined();
    expect(viewReducer(told, { type: 'follow', depth: 0, cursor: 3, blocked: false }).notice).toBeUndefined();
    expect(viewReducer(told, { type: 'follow', depth: 1, cursor: 0, blocked: false }).notice).toBeUndefined();
  });
});
