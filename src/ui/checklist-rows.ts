/**
 * The checklist as rows: a heading row whenever the section (or the before/after phase)
 * changes, then one row per step. Pure, so scrolling and selection are tested without Ink.
 */
import type { FlowItem } from '../session/types.js';

export type ChecklistRow =
  | { kind: 'heading'; text: string }
  | { kind: 'step'; index: number };

function groupOf(item: FlowItem): string {
  return `${item.phase}|${item.file}|${item.step.section}`;
}

function headingText(item: FlowItem): string {
  const title = item.sectionTitle ?? (item.step.section === '' ? 'Steps' : item.step.section);
  return item.phase === 'before' || item.phase === 'after' ? `${item.phase}: ${title}` : title;
}

export function checklistRows(items: readonly FlowItem[]): ChecklistRow[] {
  const rows: ChecklistRow[] = [];
  let group: string | undefined;
  items.forEach((item, index) => {
    const g = groupOf(item);
    if (g !== group) {
      rows.push({ kind: 'heading', text: headingText(item) });
      group = g;
    }
    rows.push({ kind: 'step', index });
  });
  return rows;
}

/** The row that shows step `index`. */
export function rowOfStep(rows: readonly ChecklistRow[], index: number): number {
  const at = rows.findIndex((r) => r.kind === 'step' && r.index === index);
  return at === -1 ? 0 : at;
}

/** How a step is named in the checklist: a manual item by its text, others by name and prose. */
export function stepLabel(item: FlowItem): string {
  const step = item.step;
  if (step.kind === 'manual') return step.text;
  const prose = step.description.trim().split('\n')[0] ?? '';
  const kind = step.kind === 'check' ? 'check ' : '';
  return prose === '' ? `${kind}${step.id}` : `${kind}${step.id}: ${prose}`;
}
