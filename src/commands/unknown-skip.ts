/**
 * Why `run` and `resume` refuse a `--skip ID` that names no step the session can reach: not a
 * step (id or `file#id` key) of the runbook, its checklists or the runbooks its recovery paths
 * lead to. Ignored with a warning, a typo ran the very step the operator had said not to run
 * (unless it failed first), so nothing runs. An unnamed step's id is made up (`work-3`) and
 * the TUI never shows it, so the refusal gives the nearest id, or every id, with the step's
 * words.
 */
import { findSection } from '../runbooks/sections.js';
import { editDistance, typoEdits } from '../runbooks/near-miss.js';
import { isNamed, leadSentence, stepTitle } from '../runbooks/step-title.js';
import type { Step } from '../runbooks/model.js';
import { displayText } from '../session/printable.js';
import type { FrameInit } from '../session/types.js';
import { clip, wordWrap } from '../session/word-wrap.js';
import { loadRunbookFile } from './load.js';
import { displayPath } from '../plain/print-events.js';
import { shQuote } from '../exec/shell-quote.js';

/** A step as the warning lists it: the id `--skip` takes and what an operator knows it by. */
export interface SkippableStep {
  id: string;
  title: string;
}

/** More ids than this are not listed one by one; `stepgate plan` prints them all. */
const MAX_LISTED = 30;
/** Ids are padded to a column this wide at most. */
const MAX_ID_COLUMN = 24;

/**
 * The lines (stderr, `width` columns) for each `--skip` name that is no step of `frames` (a
 * new session's plan, or a resumed session's frames) or of their recovery paths; none when
 * all are.
 */
export async function unknownSkipRefusal(frames: readonly FrameInit[], skips: Record<string, string>, width = 80): Promise<string[]> {
  const names = Object.keys(skips);
  if (names.length === 0) return [];
  const known = new Set<string>();
  const steps = new Map<string, SkippableStep>();
  const add = (step: Step, sectionTitle: string | undefined): void => {
    if (!steps.has(step.id)) steps.set(step.id, { id: step.id, title: skipTitle(step, sectionTitle) });
  };
  // Where each id is, by file: an id two files use names two steps, and a skip is used once.
  const places = new Map<string, Map<string, number>>();
  const place = (file: string, step: Step): void => {
    const files = places.get(step.id) ?? new Map<string, number>();
    if (!files.has(file)) files.set(file, step.position.line);
    places.set(step.id, files);
  };
  const recoveryFiles = new Set<string>();
  for (const frame of frames) {
    for (const item of frame.items) {
      known.add(item.step.id).add(item.key);
      add(item.step, item.sectionTitle);
      place(item.file, item.step);
      for (const path of item.recoveries) recoveryFiles.add(path.file);
    }
  }
  for (const file of recoveryFiles) {
    try {
      const { runbook } = await loadRunbookFile(file);
      for (const step of runbook.steps) {
        known.add(step.id).add(`${file}#${step.id}`);
        add(step, findSection(runbook, step.section)?.title);
        place(file, step);
      }
    } catch {
      // An unreadable recovery runbook is lint's to report; it names no step here.
    }
  }
  return names.flatMap((name) => {
    if (!known.has(name)) return unknownSkipLines(name, [...steps.values()], width);
    const files = places.get(name);
    return files !== undefined && files.size > 1 ? ambiguousSkipLines(name, files, process.cwd(), width) : [];
  });
}

/**
 * The refusal of a `--skip ID` that steps in several files are called (a checklist's `who` and
 * the deploy's): the skip would be used by whichever comes first, perhaps not the one meant.
 */
function ambiguousSkipLines(name: string, files: ReadonlyMap<string, number>, cwd: string, width: number): string[] {
  const lines = wordWrap(`stepgate: --skip ${displayText(name)} names a step in ${files.size} runbooks, so nothing was run: name the one to skip with its file:`, width, 2);
  const rows = [...files].map(([file, line]) => {
    const shown = displayText(displayPath(file, cwd));
    return { flag: `--skip ${shQuote(`${shown}#${name}=REASON`)}`, at: `${shown}:${line}` };
  });
  const column = Math.max(...rows.map((r) => r.flag.length));
  for (const row of rows) lines.push(`    ${row.flag.padEnd(column)}  (${row.at})`);
  return lines;
}

/** The refusal of one unknown `--skip` name: the nearest id if one is a typo away, else the ids. */
export function unknownSkipLines(name: string, steps: readonly SkippableStep[], width = 80): string[] {
  const near = nearest(name, steps);
  const shown = near.length > 0 ? near : steps.slice(0, MAX_LISTED);
  const then = near.length > 0 ? 'Did you mean:' : steps.length === 0 ? 'It has no steps.' : 'Its steps:';
  const lines = wordWrap(`stepgate: --skip ${displayText(name)} names no step of this runbook or its recovery paths, so nothing was run. ${then}`, width, 2);
  const column = Math.min(MAX_ID_COLUMN, Math.max(0, ...shown.map((s) => s.id.length)));
  for (const step of shown) {
    // An id is typed: never cut. The title gives way.
    const head = `    ${step.id.padEnd(column)}  `;
    lines.push(`${head}${clip(step.title, width - head.length)}`.trimEnd());
  }
  if (near.length === 0 && shown.length < steps.length) lines.push(`    and ${steps.length - shown.length} more: stepgate plan FILE lists every step with its id`);
  return lines;
}

/**
 * The steps whose id is fewest edits from `name` (case aside), if that is a typo's worth
 * (`typoEdits`). Made-up ids differ in a digit (`work-1-2`, `work-1-3`), so every id at that
 * distance is given.
 */
function nearest(name: string, steps: readonly SkippableStep[]): SkippableStep[] {
  const lower = name.toLowerCase();
  const scored = steps
    .map((step) => ({ step, edits: editDistance(lower, step.id.toLowerCase()) }))
    .filter(({ step, edits }) => edits <= typoEdits(step.id));
  const best = Math.min(...scored.map((s) => s.edits));
  return scored.filter((s) => s.edits === best).map((s) => s.step);
}

/** What the step is called beside its id: the first sentence of its prose, else its title (when that is not the id). */
function skipTitle(step: Step, sectionTitle: string | undefined): string {
  const words = isNamed(step) ? leadSentence(step.description) : stepTitle(step, sectionTitle);
  return words === step.id ? '' : displayText(words);
}
