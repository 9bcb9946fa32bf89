/**
 * `stepgate report [ID]`: a session as Markdown for the change ticket (see session/report.ts).
 * Without ID: the newest session in which something ran.
 */
import { existsSync } from 'node:fs';
import { newestRanSession } from '../session/history.js';
import { chainProblems, readJournal } from '../session/journal-read.js';
import { journalPath, sessionsDir } from '../session/session-paths.js';
import { sessionReport } from '../session/report.js';
import { journaledRunAs } from '../session/resume.js';
import { sessionOwner } from '../session/session-lock.js';
import { runbookUser } from './preflight.js';
import { matchTrailId, readRolloutJournal, rolloutChainProblems } from '../session/rollout-journal.js';
import { rolloutReport } from '../session/rollout-report.js';
import { warnRollout } from './log.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { REPORT } from './specs.js';
import { EXIT } from './exit-codes.js';
import { displayText } from '../session/printable.js';

/** Journals hold text from runbooks, steps and servers: what reaches the terminal is printable. */
const out = (text: string): boolean => process.stdout.write(displayText(text));
const err = (text: string): boolean => process.stderr.write(displayText(text));

const USAGE = REPORT.usage;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(REPORT, argv);
  if (typeof parsed === 'number') return parsed;
  const [given, extra] = parsed.positionals;
  if (extra !== undefined) return usageError(`one session at a time (got ${extra} too)`, USAGE);
  const dir = sessionsDir();
  const match = given ?? (await newestRanSession(dir));
  if (match === undefined) {
    err(`stepgate: no session in ${dir} in which anything ran\n`);
    return EXIT.usage;
  }
  const named = await matchTrailId(dir, match);
  if ('refused' in named) return usageError(named.refused, USAGE);
  if ('rollout' in named) return reportRollout(named.rollout);
  const id = named.session;
  const path = journalPath(dir, id);
  if (!existsSync(path)) {
    err(`stepgate: no session ${id} in ${dir}\n`);
    return EXIT.usage;
  }
  const read = await readJournal(path);
  const first = read.events[0];
  if (!first || first.type !== 'session-started') {
    err(`stepgate: ${path} does not start with a session-started event\n`);
    return EXIT.usage;
  }
  let runAs: string | undefined;
  // A journal from before the run-as user was journaled: the runbook as it is now says it.
  if (journaledRunAs(read.events).length === 0) {
    try {
      runAs = first.options.as ?? runbookUser(first);
    } catch {
      // The runbook moved or went: the report says the login user instead.
    }
  }
  // A report goes into a change ticket: an edited journal is said in the report itself.
  const edits = chainProblems(read, path);
  if (edits.length > 0) {
    out(`> **Warning: this session's journal was changed after stepgate wrote it (line${edits.length === 1 ? '' : 's'} ${edits.map((e) => e.line).join(', ')} do not verify); what follows may not be what happened.**\n\n`);
    for (const edit of edits) err(`stepgate: ${path}:${edit.line}: ${edit.what}\n`);
  }
  const runningPid = await sessionOwner(sessionsDir(), id).catch(() => undefined);
  out(sessionReport(read.events, { journal: path, ...(runAs !== undefined ? { runAs } : {}), ...(runningPid !== undefined ? { runningPid } : {}) }));
  for (const bad of read.bad) err(`stepgate: ${path}:${bad.line}: not an event (${bad.error}); skipped\n`);
  if (read.torn) err(`stepgate: ${path}:${read.torn.line}: torn last line (${read.torn.bytes} bytes, a crash mid-write); ignored\n`);
  return EXIT.completed;
}

function reportRollout(id: string): number {
  const read = readRolloutJournal(id);
  if (!read) {
    process.stderr.write(`stepgate: no rollout ${id} (see stepgate log ${id})\n`);
    return EXIT.usage;
  }
  if (!read.events.some((e) => e.type === 'rollout-started')) {
    process.stderr.write(`stepgate: ${read.path} has no rollout-started event\n`);
    warnRollout(read, id);
    return EXIT.usage;
  }
  const edits = rolloutChainProblems(read);
  if (edits.length > 0)
    process.stdout.write(`> **Warning: this rollout's journal was changed after stepgate wrote it (line${edits.length === 1 ? '' : 's'} ${edits.map((e) => e.line).join(', ')} do not verify); what follows may not be what happened.**\n\n`);
  process.stdout.write(rolloutReport(read.events, read.path));
  warnRollout(read, id);
  return EXIT.completed;
}
