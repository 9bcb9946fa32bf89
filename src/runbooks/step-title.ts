/**
 * What an operator calls a step. An id the parser made up (`pre-deploy-1`, `work-3`) means
 * nothing to the person at the terminal: they know a step by the words the runbook gives it.
 */
import type { Step } from './model.js';

/**
 * Whether the step's id is a name its author wrote (`{name=pull}`). Only such an id is worth
 * showing, and typing (`--skip pull=REASON`): the others change when a step is added above.
 */
export function isNamed(step: Step): boolean {
  return step.kind !== 'manual' && step.attrs.name !== undefined && step.attrs.name === step.id;
}

/** The first sentence of some prose, on one line (a wrapped paragraph is joined). */
export function leadSentence(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.!?](\s|$)/);
  const sentence = end === -1 ? flat : flat.slice(0, end + 1);
  // "Then run:" introduces the code; the colon reads as a cut in a title.
  return sentence.replace(/:$/, '');
}

/** The step's first line of shell that does something (comments and blank lines passed over). */
function firstCommand(script: string): string {
  const line = script.split('\n').find((l) => l.trim() !== '' && !l.trim().startsWith('#'));
  return line?.trim() ?? '';
}

/**
 * The step's title, whole (callers cut it to their width): its author's name, a manual item's
 * text, else the first sentence of the prose before it, else its first command or check, else
 * its section's heading, and only when nothing else says what it is, its id.
 */
export function stepTitle(step: Step, sectionTitle?: string): string {
  if (isNamed(step)) return step.id;
  if (step.kind === 'manual') return step.text.replace(/\s+/g, ' ').trim() || step.id;
  const prose = leadSentence(step.description);
  if (prose !== '') return prose;
  const first = step.kind === 'command' ? firstCommand(step.script) : step.checks[0] ? (step.checks[0].name ?? `${step.checks[0].kind} ${step.checks[0].target}`) : '';
  if (first !== '') return first;
  return sectionTitle?.trim() || step.id;
}
