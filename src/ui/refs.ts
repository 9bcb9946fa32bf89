/**
 * What `o` can open from a step: the runbooks and sections its prose, its section and its
 * runbook link to, resolved against the step's file. And the read-only view of one of them.
 */
import type { CrossRef, Runbook } from '../runbooks/model.js';
import { describeTarget, resolveTarget } from '../runbooks/links.js';
import { stepsInSection } from '../runbooks/sections.js';
import type { FlowItem } from '../session/types.js';
import { shortPath, wrapText, type Line } from './lines.js';
import type { RefChoice } from './runbook/view-state.js';

/** Links of the step first, then of its section, then of the whole runbook; no duplicates. */
export function crossRefChoices(item: FlowItem, runbook: Runbook | undefined): RefChoice[] {
  const section = runbook?.sections.find((s) => s.anchor === item.step.section);
  const refs: CrossRef[] = [...item.step.crossRefs, ...(section?.crossRefs ?? []), ...(runbook?.crossRefs ?? [])];
  const seen = new Set<string>();
  const out: RefChoice[] = [];
  for (const ref of refs) {
    const resolved = resolveTarget(item.file, ref.target);
    const where = describeTarget({ file: shortPath(resolved.file), ...(resolved.anchor !== undefined ? { anchor: resolved.anchor } : {}) });
    if (seen.has(where)) continue;
    seen.add(where);
    const choice: RefChoice = { label: `${ref.text} -> ${where}`, file: resolved.file };
    if (resolved.anchor !== undefined) choice.anchor = resolved.anchor;
    out.push(choice);
  }
  return out;
}

/** A runbook (or one section of it) as lines: title, description, then each step. */
export function runbookLines(runbook: Runbook, anchor: string | undefined, width: number): { title: string; lines: Line[] } {
  const section = anchor === undefined ? undefined : runbook.sections.find((s) => s.anchor === anchor);
  const steps = anchor === undefined ? runbook.steps : stepsInSection(runbook, anchor);
  const lines: Line[] = [];
  if (runbook.description) lines.push(...wrapText(runbook.description, width).map((text) => ({ text, tone: 'dim' as const })));
  if (anchor !== undefined && !section) lines.push({ text: `no section #${anchor} in this runbook`, tone: 'error' });
  let heading = '';
  for (const step of steps) {
    const title = runbook.sections.find((s) => s.anchor === step.section)?.title ?? '';
    if (title !== heading) {
      lines.push({ text: '' }, { text: `## ${title}`, tone: 'title' });
      heading = title;
    }
    if (step.kind === 'manual') {
      lines.push({ text: `- [${step.done ? 'x' : ' '}] ${step.text}` });
      continue;
    }
    const prose = step.description.trim();
    if (prose !== '') lines.push(...wrapText(prose, width).map((text) => ({ text })));
    if (step.kind === 'command') for (const code of step.script.replace(/\n$/, '').split('\n')) lines.push({ text: `  ${code}`, tone: 'code' });
    else for (const c of step.checks) lines.push({ text: `  check ${c.kind} ${c.target}`, tone: 'code' });
  }
  if (steps.length === 0) lines.push({ text: '(no steps)', tone: 'dim' });
  const title = `${runbook.title}${section ? ` · ${section.title}` : ''} (${shortPath(runbook.file)}, read-only)`;
  return { title, lines };
}
