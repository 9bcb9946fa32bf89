/**
 * `stepgate log [ID] [--json]`: a session's audit trail, in words or as the raw JSONL events.
 * Without ID: the newest session in which something ran (as `report`).
 */
import { existsSync } from 'node:fs';
import { auditTrail, newestRanSession } from '../session/history.js';
import { sessionOwner } from '../session/session-lock.js';
import { chainProblems, readJournal } from '../session/journal-read.js';
import { journalPath, sessionsDir } from '../session/session-paths.js';
import { rolloutTrail } from '../fleet/rollout.js';
import { matchTrailId, readRolloutJournal, rolloutPath, rolloutChainProblems, type RolloutRead } from '../session/rollout-journal.js';
import { usageError } from './usage.js';
import { ACCEPT_FLAG } from './edited-journal.js';
import { parseCommand } from './parse-command.js';
import { LOG } from './specs.js';
import { wordWrap } from '../session/word-wrap.js';
import { EXIT } from './exit-codes.js';
import { displayText, terminalJson } from '../session/printable.js';

/** Journals hold text from runbooks, steps and servers: what reaches the terminal is printable. */
const out = (text: string): boolean => process.stdout.write(displayText(text));
const err = (text: string): boolean => process.stderr.write(displayText(text));

const USAGE = LOG.usage;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(LOG, argv);
  if (typeof parsed === 'number') return parsed;
  const [given, extra] = parsed.positionals;
  if (extra !== undefined) return usageError(`one session at a time (got ${extra} too)`, USAGE);
  const match = given ?? (await newestRanSession(sessionsDir()));
  if (match === undefined) {
    err(`stepgate: no session in ${sessionsDir()} in which anything ran\n`);
    return EXIT.usage;
  }
  // A fleet rollout is journaled beside the sessions and read the same way.
  const named = await matchTrailId(sessionsDir(), match);
  if ('refused' in named) return usageError(named.refused, USAGE);
  if ('rollout' in named) return logRollout(named.rollout, parsed.values.json === true);
  const id = named.session;
  const path = journalPath(sessionsDir(), id);
  if (!existsSync(path)) {
    err(`stepgate: no session ${id} in ${sessionsDir()}\n`);
    return EXIT.usage;
  }
  const read = await readJournal(path);
  if (parsed.values.json === true) {
    for (const event of read.events) out(`${terminalJson(event)}\n`);
  } else {
    const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
    for (const row of fit(`session ${id} (${path})`, columns)) out(`${row}\n`);
    const running = await sessionOwner(sessionsDir(), id).catch(() => undefined);
    for (const line of auditTrail(read.events, running)) for (const row of fit(line, columns)) out(`${row}\n`);
  }
  for (const bad of read.bad) err(`stepgate: ${path}:${bad.line}: not an event (${bad.error}); skipped\n`);
  if (read.torn) err(`stepgate: ${path}:${read.torn.line}: torn last line (${read.torn.bytes} bytes, a crash mid-write); ignored\n`);
  const edits = chainProblems(read, path);
  for (const edit of edits) err(`stepgate: ${path}:${edit.line}: ${edit.what}\n`);
  if (edits.length > 0) err(`stepgate: warning: the journal of session ${id} was changed after stepgate wrote it; the trail above may not be what happened\n`);
  return EXIT.completed;
}

function logRollout(id: string, json: boolean): number {
  const read = readRolloutJournal(id);
  if (!read) {
    err(`stepgate: no rollout ${id} (${rolloutPath(id)})\n`);
    return EXIT.usage;
  }
  if (json) for (const event of read.events) out(`${terminalJson(event)}\n`);
  else {
    out(`rollout ${id} (${read.path})\n`);
    for (const line of rolloutTrail(read.events)) out(`${line}\n`);
  }
  warnRollout(read, id);
  return EXIT.completed;
}

/** What `log` and `report` say on stderr about a rollout journal that is not as written. */
export function warnRollout(read: RolloutRead, id: string): void {
  for (const bad of read.bad) err(`stepgate: ${read.path}:${bad.line}: not a rollout event (${bad.error}); skipped\n`);
  if (read.torn) err(`stepgate: ${read.path}:${read.torn.line}: torn last line (${read.torn.bytes} bytes, a crash mid-write); ignored\n`);
  const edits = rolloutChainProblems(read);
  for (const edit of edits) err(`stepgate: ${read.path}:${edit.line}: ${edit.what}\n`);
  if (edits.length > 0)
    err(`stepgate: warning: the journal of rollout ${id} was changed after stepgate wrote it; the trail may not be what happened, and fleet status and fleet cancel refuse it unless ${ACCEPT_FLAG}\n`);
}

/**
 * On a terminal, a trail line wrapped at words with its rows under its text (after the time),
 * rather than split mid-word by the terminal under the time column. A file or a pipe gets each
 * line whole.
 */
function fit(line: string, columns: number | undefined): string[] {
  if (columns === undefined || columns < 40) return [line];
  return line.split('\n').flatMap((piece) => {
    const lead = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ\s+|^\s+/.exec(piece)?.[0].length ?? 0;
    // A nested line (a check attempt) keeps its own indent under the text.
    const indent = lead + (/^\s*check /.test(piece.slice(lead)) ? 2 : 0);
    return wordWrap(piece, columns, Math.min(indent, columns / 2));
  });
}
