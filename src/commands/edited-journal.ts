/** What `resume` says when a journal's hash chain does not hold (issue 13, item 6). */
import type { ChainBreak } from '../session/journal-chain.js';

export const ACCEPT_FLAG = '--accept-edited-journal';

/** The refusal, one line per break with file:line, then what to do. */
export function editedJournalRefusal(path: string, id: string, breaks: ChainBreak[]): string {
  const lines = breaks.slice(0, 20).map((b) => `stepgate: ${path}:${b.line}: ${b.what}`);
  if (breaks.length > 20) lines.push(`stepgate: ... and ${breaks.length - 20} more`);
  lines.push(
    `stepgate: the journal of session ${id} was changed after stepgate wrote it, so the state it gives may not be what happened; resume refuses it.` +
      ` Read it (stepgate log ${id}); to resume from it anyway, pass ${ACCEPT_FLAG} (the acceptance and these lines are recorded in the journal)`,
  );
  return `${lines.join('\n')}\n`;
}
