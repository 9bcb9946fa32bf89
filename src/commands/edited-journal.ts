/** What `resume` and `fleet status|cancel` say when a journal's hash chain does not hold (issue 13, item 6). */
import type { ChainBreak } from '../session/journal-chain.js';

export const ACCEPT_FLAG = '--accept-edited-journal';

/** One line per break with file:line (the first 20). */
function breakLines(path: string, breaks: ChainBreak[]): string[] {
  const lines = breaks.slice(0, 20).map((b) => `stepgate: ${path}:${b.line}: ${b.what}`);
  if (breaks.length > 20) lines.push(`stepgate: ... and ${breaks.length - 20} more`);
  return lines;
}

/** The refusal, one line per break with file:line, then what to do. */
export function editedJournalRefusal(path: string, id: string, breaks: ChainBreak[]): string {
  const lines = breakLines(path, breaks);
  lines.push(
    `stepgate: the journal of session ${id} was changed after stepgate wrote it, so the state it gives may not be what happened; resume refuses it.` +
      ` Read it (stepgate log ${id}); to resume from it anyway, pass ${ACCEPT_FLAG} (the acceptance and these lines are recorded in the journal)`,
  );
  return `${lines.join('\n')}\n`;
}

/**
 * `fleet status` and `fleet cancel` act on the command id and region the rollout journal
 * names: a forged one makes cancel stop someone else's command and status journal someone
 * else's result as this rollout's. `named` is what the journal says (`command ID in REGION`),
 * for the operator to check in AWS before passing the flag.
 */
export function editedRolloutRefusal(path: string, id: string, breaks: ChainBreak[], command: 'status' | 'cancel', named: string | undefined): string {
  const lines = breakLines(path, breaks);
  const act = command === 'cancel' ? 'cancel' : 'watch (and journal as this rollout\'s)';
  lines.push(
    `stepgate: the journal of rollout ${id} was changed after stepgate wrote it, so the command it names${named !== undefined ? ` (${named})` : ''} may not be this rollout's; fleet ${command} refuses to ${act} it.` +
      ` Read it (stepgate log ${id}) and check that command in AWS (aws ssm list-commands --command-id ID shows its document and comment, stepgate ${id});` +
      ` to ${command === 'cancel' ? 'cancel' : 'watch'} it anyway, pass ${ACCEPT_FLAG} (the acceptance and these lines are recorded in the journal)`,
  );
  return `${lines.join('\n')}\n`;
}
