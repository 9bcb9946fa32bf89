/** The pure runbook layer: markdown in, model and diagnostics out. No host access. */
export * from './model.js';
// The parser (micromark, YAML) is imported from './parse.js' by name: kept out of this barrel so
// that code which only reads parsed runbooks does not load it (src/commands/parse-bounded.ts).
export { emptyRunbook } from './empty.js';
export { lintRunbook, checkTarget, type LintContext } from './lint.js';
export { planRunbook, type Plan, type PlanPart, type PlannedSection, type PlannedStep } from './plan.js';
export { parseDuration, durationLiteral, formatDuration } from './duration.js';
export { resolveTarget, describeTarget, parseLinkTarget } from './links.js';
export { expandVars, referencedNames } from './vars.js';
export { MAX_NESTING, MAX_LINE_CHARS, MAX_RUNBOOK_CHARS } from './bounds.js';
export { formatDiagnostic, compareDiagnostics } from './diagnostics.js';
export {
  stepsInSection,
  sectionChain,
  findSection,
  mainFlowSteps,
  recoveryOnlyAnchors,
  recoveryPaths,
  looksLikeRecovery,
} from './sections.js';
