/**
 * Everything a session may run, in the order it would reach it: the before checklists, the main
 * flow, the after checklists, then every recovery section reachable from any of those steps (and
 * from recovery steps, transitively). Preflight checks all of it, so a recovery path that could
 * never work is known before the deploy needs it. Pure: other files come through `load`.
 */
import { describeTarget, resolveTarget } from './links.js';
import type { Runbook, Step } from './model.js';
import { planRunbook } from './plan.js';
import { findSection, mainFlowSteps, recoveryPaths, stepsInSection } from './sections.js';

export interface ReachedStep {
  /** The file the step is in (as the plan names it). */
  file: string;
  step: Step;
  /** Where it is reached: a checklist, the main flow, or a recovery path (`file#anchor`). */
  role: 'before' | 'main' | 'after' | 'recovery';
  via?: string;
  /** Effective run-as user (undefined = whoever runs stepgate) and directory, as plan resolves them. */
  user?: string;
  cwd?: string;
  /** The front matter env of the step's file. */
  env: Record<string, string>;
}

export function reachableSteps(main: Runbook, load: (file: string) => Runbook | undefined): ReachedStep[] {
  const bookOf = (file: string): Runbook | undefined => (file === main.file ? main : load(file));
  const out: ReachedStep[] = [];
  const place = (book: Runbook, step: Step, role: ReachedStep['role'], via?: string): ReachedStep => {
    const fm = book.frontMatter;
    // As a session runs it: a checklist or recovery runbook without `user:` runs as the main one's.
    const user = (step.kind !== 'manual' ? step.attrs.user : undefined) ?? fm.user ?? main.frontMatter.user;
    const cwd = (step.kind !== 'manual' ? step.attrs.cwd : undefined) ?? fm.cwd;
    const reached: ReachedStep = { file: book.file, step, role, env: fm.env };
    if (via !== undefined) reached.via = via;
    if (user !== undefined) reached.user = user;
    if (cwd !== undefined) reached.cwd = cwd;
    return reached;
  };

  for (const part of planRunbook(main, load).parts) {
    const book = bookOf(part.file);
    if (!book || part.error) continue;
    const ids = new Set(part.sections.flatMap((s) => s.steps.map((st) => st.id)));
    for (const step of book.steps) if (ids.has(step.id)) out.push(place(book, step, part.role));
  }

  // Recovery sections, breadth first; each section once however many steps offer it.
  const seen = new Set<string>();
  for (let i = 0; i < out.length; i++) {
    const from = out[i]!;
    const book = bookOf(from.file);
    // A manual item is confirmed or waits: it never blocks, so it offers no recovery path
    // (ssm.md's "recovery.md holds the procedures" beside its last item made preflight check
    // recovery.md and refuse to start on a bare host).
    if (!book || from.step.kind === 'manual') continue;
    for (const target of recoveryPaths(book, from.step)) {
      const resolved = resolveTarget(book.file, target);
      const key = describeTarget(resolved);
      if (seen.has(key)) continue;
      seen.add(key);
      const other = bookOf(resolved.file);
      if (!other) continue;
      if (resolved.anchor !== undefined && !findSection(other, resolved.anchor)) continue;
      const steps = resolved.anchor === undefined ? mainFlowSteps(other) : stepsInSection(other, resolved.anchor);
      for (const step of steps) out.push(place(other, step, 'recovery', key));
    }
  }
  return out;
}
