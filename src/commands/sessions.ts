/**
 * `stepgate sessions [--all] [--json]`: journaled sessions, newest first, with their state and
 * who ran them. Sessions in which nothing ran (a runbook opened to read, then quit) are left
 * out unless `--all`: they are not resumable and would bury the ones that are.
 */
import { sessionsDir } from '../session/session-paths.js';
import { listSessions } from '../session/history.js';
import { displayPath } from '../plain/print-events.js';
import { printable } from '../session/printable.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { SESSIONS } from './specs.js';
import { liveTuis } from './detach.js';
import { EXIT } from './exit-codes.js';

const USAGE = SESSIONS.usage;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(SESSIONS, argv);
  if (typeof parsed === 'number') return parsed;
  const dir = sessionsDir();
  // Newest first: the session to resume is at the top.
  // A session whose TUI kept running after its terminal went away is live, not interrupted.
  const detached = new Set((await liveTuis().catch(() => [])).flatMap((t) => (t.session ? [t.session.id] : [])));
  const every = (await listSessions(dir)).reverse().map((s) => (detached.has(s.id) ? { ...s, state: 'running detached', detached: true } : s));
  const sessions = parsed.values.all ? every : every.filter((s) => !s.empty);
  const hidden = every.length - sessions.length;
  if (parsed.values.json) {
    process.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
    return EXIT.completed;
  }
  if (sessions.length === 0) {
    process.stdout.write(`no sessions in ${dir}${hidden > 0 ? ` (${hidden} in which nothing ran: stepgate sessions --all)` : ''}\n`);
    return EXIT.completed;
  }
  // The runbook path goes last: it is the one cell that may be long, and a long last cell
  // wraps without breaking the columns before it in an 80-column SSM terminal.
  const rows = [['id', 'started (UTC)', 'who', 'state', 'runbook']];
  for (const s of sessions) {
    const started = s.startedAt === undefined ? '?' : new Date(s.startedAt).toISOString().slice(0, 16).replace('T', ' ');
    const bad = s.bad ? ` (${s.bad} bad line${s.bad === 1 ? '' : 's'}: stepgate log ${s.id})` : '';
    const state = `${s.state}${s.at ? ` at ${s.at}` : ''}${s.torn ? ' (torn last line)' : ''}${bad}`;
    // Journals are files another tool (or hand) may have written: nothing in them reaches the terminal raw.
    rows.push([s.id, started, s.who, state, displayPath(s.runbook, process.cwd())].map((cell) => printable(cell).replace(/[\t\r\n]/g, ' ')));
  }
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()}\n`);
  if (hidden > 0) process.stdout.write(`(${hidden} session${hidden === 1 ? '' : 's'} in which nothing ran not shown: stepgate sessions --all)\n`);
  return EXIT.completed;
}
