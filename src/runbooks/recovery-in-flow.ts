/**
 * A section taken out of the main flow by being a recovery target, while it stands in the
 * middle of that flow. A section that `recover=` (or a link that reads like recovery) points at
 * runs only from a gate, so a run from the top skips it. A trial's deploy pointed a check's
 * `recover=#restart` at its own "Restart" section, between the build and the health check:
 * the deploy then never restarted the service, and nothing said so but a line of `plan`.
 *
 * Said only when the three signs agree: main-flow steps before and after the section (a
 * recovery runbook that opens with the recovery of its own roll back, or recovery sections
 * kept at the end, are layouts of their own), steps of its own, and a title that does not
 * read as recovery (`## Roll back`, `## If the health check fails` are meant to be skipped).
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { LinkTarget, Runbook, Section } from './model.js';
import { findSection, looksLikeRecovery, mainFlowSteps, sectionTree } from './sections.js';

/** A title that says the section is for when something went wrong. */
const RECOVERY_TITLE = /recover|roll[\s-]?back|fail|broke|incident|undo|revert|fall[\s-]?back|emergenc|troubleshoot|rescue|abort|restore|\bif\b|\bwhen\b|\bin case\b/i;

/** The sections of this file that recovery targets name, each with how it was first named and where. */
function targetedSections(runbook: Runbook): Map<Section, { how: string; line: number }> {
  const named = new Map<Section, { how: string; line: number }>();
  const name = (target: LinkTarget, how: string): void => {
    if (target.file !== undefined || target.anchor === undefined) return;
    const section = findSection(runbook, target.anchor);
    if (section && !named.has(section)) named.set(section, { how, line: target.position.line });
  };
  const fm = runbook.frontMatter;
  if (fm.recovery) name(fm.recovery, `recovery: ${fm.recovery.raw}`);
  for (const section of runbook.sections) if (section.recover) name(section.recover, `recover=${section.recover.raw}`);
  for (const step of runbook.steps) if (step.kind !== 'manual' && step.attrs.recover) name(step.attrs.recover, `recover=${step.attrs.recover.raw}`);
  for (const ref of runbook.crossRefs) if (looksLikeRecovery(ref)) name(ref.target, `the link [${ref.text}](${ref.target.raw})`);
  return named;
}

export function lintRecoveryInFlow(runbook: Runbook, sink: DiagnosticSink): void {
  const main = mainFlowSteps(runbook);
  for (const [section, named] of targetedSections(runbook)) {
    if (RECOVERY_TITLE.test(section.title)) continue;
    const tree = sectionTree(runbook, section.anchor);
    const own = runbook.steps.filter((step) => tree.has(step.section));
    if (own.length === 0) continue;
    const first = own[0]!.position.line;
    const last = own[own.length - 1]!.position.line;
    const before = main.filter((step) => step.position.line < first).at(-1);
    const after = main.find((step) => step.position.line > last);
    if (!before || !after) continue;
    const steps = own.length === 1 ? '1 step' : `${own.length} steps`;
    sink.warn(
      'recovery-in-flow',
      section.position,
      `section "${section.title}" runs only as a recovery path (${named.how} at line ${named.line} names it), so a run from the top skips its ${steps}, between ${before.id} (line ${before.position.line}) and ${after.id} (line ${after.position.line}): if the main flow needs them, point the recovery at a section of its own; if it is meant to be skipped, a title saying so ("If ... fails", "Roll back") silences this`,
    );
  }
}
