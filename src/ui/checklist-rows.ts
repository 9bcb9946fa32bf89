/**
 * The checklist as rows: the preflight first (in the main runbook, once it ran), a heading row
 * whenever the section (or the before/after phase) changes, then one row per step. Pure, so
 * scrolling and selection are tested without Ink.
 */
import type { FlowItem, SessionState } from '../session/types.js';
import { isNamed, stepTitle } from '../runbooks/step-title.js';

export type ChecklistRow =
  | { kind: 'preflight' }
  | { kind: 'heading'; text: string }
  | { kind: 'step'; index: number }
  /** Above the steps of the recovery path that returned to the step just above. */
  | { kind: 'returned-heading'; text: string }
  /** Step `index` of that recovery path (done: it ran, it is not run again from here). */
  | { kind: 'returned'; index: number };

/** The selection index of the preflight row (steps count from 0). */
export const PREFLIGHT_ROW = -1;

/** A selectable row: a step of the frame (or the preflight), or with `aside` a returned path's step. */
export interface Selection {
  selected: number;
  /** A step of the recovery path that returned to step `selected`. */
  aside?: number;
}

/** The recovery path that returned to step `index`, as the checklist lists it under that step. */
export interface ReturnedRows {
  index: number;
  title: string;
  count: number;
}

/** The heading over a returned path's steps: they ran, and they stay until the operator moves on. */
export function returnedHeading(title: string): string {
  return `recovery done: ${title}`;
}

function groupOf(item: FlowItem): string {
  return `${item.phase}|${item.file}|${item.step.section}`;
}

/** The checklist (section) a step is listed under, as its heading row says it. */
export function headingText(item: FlowItem): string {
  const title = item.sectionTitle ?? (item.step.section === '' ? 'Steps' : item.step.section);
  return item.phase === 'before' || item.phase === 'after' ? `${item.phase}: ${title}` : title;
}

export function checklistRows(items: readonly FlowItem[], preflight = false, returned?: ReturnedRows): ChecklistRow[] {
  const rows: ChecklistRow[] = preflight ? [{ kind: 'preflight' }] : [];
  let group: string | undefined;
  items.forEach((item, index) => {
    const g = groupOf(item);
    if (g !== group) {
      rows.push({ kind: 'heading', text: headingText(item) });
      group = g;
    }
    rows.push({ kind: 'step', index });
    if (returned?.index === index && returned.count > 0) {
      rows.push({ kind: 'returned-heading', text: returnedHeading(returned.title) });
      for (let j = 0; j < returned.count; j += 1) rows.push({ kind: 'returned', index: j });
    }
  });
  return rows;
}

/** The row that shows step `index` (or the preflight, PREFLIGHT_ROW), or step `aside` of the path returned to it. */
export function rowOfStep(rows: readonly ChecklistRow[], index: number, aside?: number): number {
  if (aside !== undefined) {
    const at = rows.findIndex((r) => r.kind === 'returned' && r.index === aside);
    if (at !== -1) return at;
  }
  const at = rows.findIndex((r) => (index === PREFLIGHT_ROW ? r.kind === 'preflight' : r.kind === 'step' && r.index === index));
  return at === -1 ? 0 : at;
}

/**
 * The selection `delta` selectable rows away from `from` (headings are passed over), kept
 * within the list. A returned path's step is selected with `aside`, `selected` staying the
 * step it returned to.
 */
export function moveSelection(rows: readonly ChecklistRow[], from: Selection, delta: number, returnedTo: number): Selection {
  const selectable: Selection[] = [];
  for (const row of rows) {
    if (row.kind === 'preflight') selectable.push({ selected: PREFLIGHT_ROW });
    else if (row.kind === 'step') selectable.push({ selected: row.index });
    else if (row.kind === 'returned') selectable.push({ selected: returnedTo, aside: row.index });
  }
  const at = selectable.findIndex((s) => s.selected === from.selected && s.aside === from.aside);
  const to = Math.min(Math.max((at === -1 ? 0 : at) + delta, 0), selectable.length - 1);
  return selectable[to] ?? from;
}

/**
 * How a step is named in the checklist: a manual item by its text; a step by its author's name
 * and its prose; an unnamed step by its prose alone (its made-up id says nothing).
 */
export function stepLabel(item: FlowItem): string {
  const step = item.step;
  // A row is one line: a task item's text wrapped in the markdown source is joined.
  if (step.kind === 'manual') return step.text.replace(/\s*\n\s*/g, ' ');
  const prose = (step.description.trim().split(/\n\s*\n/)[0] ?? '').replace(/\s*\n\s*/g, ' ');
  const kind = step.kind === 'check' ? 'check ' : '';
  if (!isNamed(step)) return `${kind}${prose === '' ? stepTitle(step, item.sectionTitle) : prose}`;
  return prose === '' ? `${kind}${step.id}` : `${kind}${step.id}: ${prose}`;
}

type Preflight = NonNullable<SessionState['preflight']>;

/** The preflight row's words: how it ended, in the checklist's own terms. */
export function preflightLabel(p: Preflight): { label: string; note: string; status: 'passed' | 'failed' | 'overridden' } {
  const errors = p.findings.filter((f) => f.severity === 'error').length;
  const warnings = p.findings.filter((f) => f.severity === 'warning').length;
  const counted = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;
  if (errors > 0) return { label: `preflight: ${counted(errors, 'error')} passed with --skip-preflight`, note: 'skipped', status: 'overridden' };
  if (warnings > 0) return { label: `preflight: ${counted(warnings, 'warning')}`, note: `${p.ms} ms`, status: 'passed' };
  return { label: 'preflight: the host can run every step', note: `${p.ms} ms`, status: 'passed' };
}
