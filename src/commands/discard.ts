/**
 * `stepgate discard ID REASON...`: ends a session that is not needed any more (a deploy
 * abandoned for another, a runbook opened by mistake), from any state, so it leaves the
 * picker and `resume` for good. Nothing runs: the session's journal gets a `session-discarded`
 * event with who and why, and its kept shell state is removed. A session a live stepgate
 * holds is refused: that operator is still in it.
 */
import { existsSync } from 'node:fs';
import { currentWho } from '../session/host.js';
import { describeState } from '../session/history.js';
import { stateAt } from '../session/state-phrase.js';
import { FileJournal } from '../session/journal.js';
import { SessionBusyError, lockSession } from '../session/session-lock.js';
import { dropTornTail, readJournal } from '../session/journal-read.js';
import { journalPath, sessionsDir } from '../session/session-paths.js';
import { matchSessionId } from '../session/session-id-match.js';
import { replay } from '../session/reducer.js';
import { EXIT } from './exit-codes.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { DISCARD } from './specs.js';

const USAGE = DISCARD.usage;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(DISCARD, reasonAsWords(argv));
  if (typeof parsed === 'number') return parsed;
  const [given, ...words] = parsed.positionals;
  if (given === undefined) return usageError('which session? (stepgate sessions --all lists them)', USAGE);
  const reason = (parsed.values.reason ?? words.join(' ')).trim();
  if (reason === '') return usageError('say why the session is discarded: the reason goes into its journal', USAGE);
  const dir = sessionsDir();
  const match = await matchSessionId(dir, given);
  if ('refused' in match) return usageError(match.refused, USAGE);
  const { id } = match;
  const path = journalPath(dir, id);
  if (!existsSync(path)) {
    process.stderr.write(`stepgate: no session ${id} in ${dir}\n`);
    return EXIT.usage;
  }
  let unlock;
  try {
    unlock = await lockSession(dir, id);
  } catch (error) {
    if (error instanceof SessionBusyError) {
      // A detached TUI holds it with nobody in it (a trial read "an operator is still in it").
      const { liveTuis } = await import('./detach.js');
      const detached = (await liveTuis().catch(() => [])).some((tui) => tui.session?.id === id);
      process.stderr.write(
        detached
          ? `stepgate: ${error.message}: it runs detached in a TUI; attach to it (stepgate attach ${id}) and quit it with q, then discard it\n`
          : `stepgate: ${error.message}: an operator is still in it; quit that stepgate first\n`,
      );
      return EXIT.blocked;
    }
    throw error;
  }
  try {
    await dropTornTail(path);
    const read = await readJournal(path);
    const first = read.events[0];
    if (!first || first.type !== 'session-started') {
      process.stderr.write(`stepgate: ${path} does not start with a session-started event; not a session to discard\n`);
      return EXIT.usage;
    }
    const before = replay(read.events, id);
    if (before.status.kind === 'ended') {
      process.stderr.write(`stepgate: session ${id} already ended (${before.status.outcome}); nothing to discard\n`);
      return EXIT.blocked;
    }
    const was = describeState(before);
    const journal = await FileJournal.open(dir, id);
    try {
      await journal.append({ type: 'session-discarded', at: Date.now(), who: currentWho(), reason });
      await journal.removeShell();
    } finally {
      await journal.close();
    }
    process.stdout.write(`session ${id} discarded (it was ${stateAt(was.state, was.at)}): ${reason}\n`);
    return EXIT.completed;
  } finally {
    await unlock();
  }
}

/**
 * The reason is free text after the id: a word of it that reads like an option (`trial of
 * --as on demo`) is a word, not an unknown option. `--reason TEXT` keeps working before or
 * right after the id.
 */
export function reasonAsWords(argv: readonly string[]): string[] {
  let i = 0;
  // Options (and --reason's value) before the id.
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '--') i += argv[i] === '--reason' ? 2 : 1;
  if (i >= argv.length || argv[i] === '--') return [...argv];
  let rest = i + 1;
  while (rest < argv.length && (argv[rest] === '--reason' || argv[rest]!.startsWith('--reason='))) rest += argv[rest] === '--reason' ? 2 : 1;
  if (rest >= argv.length || argv.slice(rest).includes('--')) return [...argv];
  return [...argv.slice(0, rest), '--', ...argv.slice(rest)];
}
