/**
 * Questions about a runbook's structure that the engine, lint and plan all ask the same way.
 */
import type { CrossRef, LinkTarget, Runbook, Section, Step } from './model.js';

export function findSection(runbook: Runbook, anchor: string): Section | undefined {
  return runbook.sections.find((s) => s.anchor === anchor);
}

/** The section and all of its subsections' anchors. */
export function sectionTree(runbook: Runbook, anchor: string): Set<string> {
  const tree = new Set<string>([anchor]);
  // Sections are in document order, so a child always comes after its parent.
  for (const section of runbook.sections) {
    if (section.parent !== undefined && tree.has(section.parent)) tree.add(section.anchor);
  }
  return tree;
}

/** Steps under a heading, including its subsections, in order. */
export function stepsInSection(runbook: Runbook, anchor: string): Step[] {
  const tree = sectionTree(runbook, anchor);
  return runbook.steps.filter((step) => tree.has(step.section));
}

/** The section a step is in and its ancestors, innermost first. */
export function sectionChain(runbook: Runbook, anchor: string): Section[] {
  const chain: Section[] = [];
  let current = findSection(runbook, anchor);
  while (current) {
    chain.push(current);
    current = current.parent === undefined ? undefined : findSection(runbook, current.parent);
  }
  return chain;
}

/** Every recovery target a runbook names explicitly (recover=, section directives, front matter). */
export function declaredRecoveryTargets(runbook: Runbook): LinkTarget[] {
  const targets: LinkTarget[] = [];
  if (runbook.frontMatter.recovery) targets.push(runbook.frontMatter.recovery);
  for (const section of runbook.sections) if (section.recover) targets.push(section.recover);
  for (const step of runbook.steps) if (step.kind !== 'manual' && step.attrs.recover) targets.push(step.attrs.recover);
  return targets;
}

/**
 * Anchors of same-file sections that run only as a recovery path, never in the main flow:
 * declared recovery targets (recover=, section directives, front matter `recovery`) and
 * sections that a recovery-looking link in the same file points at (the same links that
 * `recoveryPaths` offers at a gate), with their subsections.
 */
export function recoveryOnlyAnchors(runbook: Runbook): Set<string> {
  const anchors = new Set<string>();
  const add = (target: LinkTarget): void => {
    if (target.file === undefined && target.anchor !== undefined && findSection(runbook, target.anchor))
      for (const a of sectionTree(runbook, target.anchor)) anchors.add(a);
  };
  for (const target of declaredRecoveryTargets(runbook)) add(target);
  for (const ref of runbook.crossRefs) if (looksLikeRecovery(ref)) add(ref.target);
  return anchors;
}

/** The steps walked when the runbook runs from the top (recovery-only sections left out). */
export function mainFlowSteps(runbook: Runbook): Step[] {
  const skip = recoveryOnlyAnchors(runbook);
  return runbook.steps.filter((step) => !skip.has(step.section));
}

/**
 * A cross-reference counts as a recovery path when it names recovery or rollback in its
 * file, anchor or text (`recovery.md#rollback`, "[roll back](#previous-commit)").
 */
export function looksLikeRecovery(ref: CrossRef): boolean {
  const words = `${ref.target.file ?? ''} ${ref.target.anchor ?? ''} ${ref.text}`.toLowerCase();
  return /recover|roll[\s-]?back/.test(words);
}

/**
 * The recovery paths offered when `step` blocks, most specific first, without duplicates:
 * the step's `recover=`, its sections' directives, the front matter's `recovery`, then
 * recovery-looking links in the step and its sections.
 */
export function recoveryPaths(runbook: Runbook, step: Step): LinkTarget[] {
  const out: LinkTarget[] = [];
  const seen = new Set<string>();
  const add = (target: LinkTarget | undefined): void => {
    if (!target) return;
    const key = `${target.file ?? ''}#${target.anchor ?? ''}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(target);
  };
  const chain = sectionChain(runbook, step.section);
  if (step.kind !== 'manual') add(step.attrs.recover);
  for (const section of chain) add(section.recover);
  add(runbook.frontMatter.recovery);
  for (const ref of step.crossRefs) if (looksLikeRecovery(ref)) add(ref.target);
  for (const section of chain) for (const ref of section.crossRefs) if (looksLikeRecovery(ref)) add(ref.target);
  return out;
}
