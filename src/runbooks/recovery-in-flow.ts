/**
 * A section taken out of the main flow by being a recovery target, while it stands in the
 * middle of that flow. A section that `recover=` (or a link that reads like recovery) points at
 * runs only from a gate, so a run from the top skips it. A trial's deploy pointed a check's
 * `recover=#restart` at its own "Restart" section, between the build and the health check:
 * the deploy then never restarted the service, and nothing said so but a line of `plan`.
 *
 * Said only when the signs agree: main-flow steps before and after the section (a recovery
 * runbook that opens with the recovery of its own roll back, or recovery sections kept at the
 * end, are layouts of their own), steps of its own, a title that does not read as recovery
 * (`## Roll back`, `## If the health check fails` are meant to be skipped), and not a
 * subsection right under the step that names it.
 */
import type { DiagnosticSink } from './diagnostics.js';
import type { LinkTarget, Runbook, Section } from './model.js';
import { declaredRecoveryTargets, findSection, looksLikeRecovery, mainFlowSteps, sectionTree } from './sections.js';

/**
 * A title that says the section is for when something went wrong: it opens with a condition or
 * a recovery word (`If the health check fails`, `Roll back`, `Recovery: restart`), or names a
 * failure anywhere (`Health check failing`). Not a step that merely mentions one
 * (`Configure recovery`, `Set the rollback window`, `Reload nginx if the config is valid`,
 * `Failover to the standby`), which a link can take out of the flow just the same.
 */
const RECOVERY_TITLE = /^(?:if|when|in case|on)\b|^(?:recover|roll[\s-]?back|revert|undo|fall[\s-]?back|emergenc|troubleshoot|rescue|abort)|fail(?!over)|broke|incident/i;

/** The sections of this file that recovery targets name, each with how it was first named and where. */
function targetedSections(runbook: Runbook): Map<Section, { how: string; line: number }> {
  const named = new Map<Section, { how: string; line: number }>();
  const name = (target: LinkTarget, how: string): void => {
    if (target.file !== undefined || target.anchor === undefined) return;
    const section = findSection(runbook, target.anchor);
    if (section && !named.has(section)) named.set(section, { how, line: target.position.line });
  };
  // The same targets, in the same order, as recoveryOnlyAnchors takes out of the main flow.
  for (const target of declaredRecoveryTargets(runbook)) name(target, target === runbook.frontMatter.recovery ? `recovery: ${target.raw}` : `recover=${target.raw}`);
  for (const ref of runbook.crossRefs) if (looksLikeRecovery(ref)) name(ref.target, `the link [${ref.text}](${ref.target.raw})`);
  return named;
}

/**
 * A subsection named in its parent section, below the reference: a step's own recovery written
 * under it (`start {recover=#port-already-in-use}`, then `### Port already in use`), which
 * the author has put where it belongs.
 */
function underItsOwnStep(runbook: Runbook, section: Section, line: number): boolean {
  const parent = section.parent === undefined ? undefined : findSection(runbook, section.parent);
  return parent !== undefined && parent.position.line < line && line < section.position.line;
}

export function lintRecoveryInFlow(runbook: Runbook, sink: DiagnosticSink): void {
  const main = mainFlowSteps(runbook);
  for (const [section, named] of targetedSections(runbook)) {
    if (RECOVERY_TITLE.test(section.title) || underItsOwnStep(runbook, section, named.line)) continue;
    const tree = sectionTree(runbook, section.anchor);
    const own = runbook.steps.filter((step) => tree.has(step.section));
    if (own.length === 0) continue;
    const first = own[0]!.position.line;
    const last = own[own.length - 1]!.position.line;
    const before = main.filter((step) => step.position.line < first).at(-1);
    const after = main.find((step) => step.position.line > last);
    if (!before || !after) continue;
    const steps = own.length === 1 ? 'step' : `${own.length} steps`;
    sink.warn(
      'recovery-in-flow',
      section.position,
      `section "${section.title}" runs only as a recovery path (${named.how} at line ${named.line} names it), so a run from the top skips its ${steps}, between ${before.id} (line ${before.position.line}) and ${after.id} (line ${after.position.line}): if the main flow needs ${own.length === 1 ? 'it' : 'them'}, give the recovery a section of its own (say "## If the health check fails") and point to that; if this one is meant to be skipped, a title saying so ("If ... fails", "Roll back") silences this`,
    );
  }
}
