/**
 * The checklist as rows: the preflight first (in the main runbook, once it ran), a heading row
 * whenever the section (or the before/after phase) changes, then one row per step. Pure, so
 * scrolling and selection are tested without Ink.
 */
import type { FlowItem, SessionState } from '../session/types.js';

export type ChecklistRow =
  | { kind: 'preflight' }
  | { kind: 'heading'; text: string }
  | { kind: 'step'; index: number };

/** The selection index of the preflight row (steps count from 0). */
export const PREFLIGHT_ROW = -1;

function groupOf(item: FlowItem): string {
  return `${item.phase}|${item.file}|${item.step.section}`;
}

function headingText(item: FlowItem): string {
  const title = item.sectionTitle ?? (item.step.section === '' ? 'Steps' : item.step.section);
  return item.phase === 'before' || item.phase === 'after' ? `${item.phase}: ${title}` : title;
}

export function checklistRows(items: readonly FlowItem[], preflight = false): ChecklistRow[] {
  const rows: ChecklistRow[] = preflight ? [{ kind: 'preflight' }] : [];
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

/** The row that shows step `index` (or the preflight, PREFLIGHT_ROW). */
export function rowOfStep(rows: readonly ChecklistRow[], index: number): number {
  const at = rows.findIndex((r) => (index === PREFLIGHT_ROW ? r.kind === 'preflight' : r.kind === 'step' && r.index === index));
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
