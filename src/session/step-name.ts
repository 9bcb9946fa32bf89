/**
 * A step named in a line of text (a notice, a prompt, a plain-mode line, the audit trail, a
 * report): every face and command says it the same way.
 */
import { isNamed, stepTitle } from '../runbooks/step-title.js';
import { displayText } from './printable.js';
import type { FlowItem } from './types.js';
import { clip } from './word-wrap.js';

/**
 * Its author's name as it is (a handle: `--skip NAME=...`), else its own words cut at a word
 * to `max`, in quotes when `quote` (they sit inside a sentence): an id the parser made up
 * (`pre-deploy-1`) says nothing to an operator.
 */
export function stepName(item: Pick<FlowItem, 'step' | 'sectionTitle'> | undefined, max = 50, quote = true): string {
  if (!item) return 'the step';
  if (isNamed(item.step)) return item.step.id;
  const title = clip(displayText(stepTitle(item.step, item.sectionTitle)), max);
  return quote ? `"${title}"` : title;
}
