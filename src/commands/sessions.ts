/**
 * `stepgate sessions [--all] [--json]`: journaled sessions, newest first, with their state and
 * who ran them. Sessions in which nothing ran (a runbook opened to read, then quit) are left
 * out unless `--all`: they are not resumable and would bury the ones that are. A session a live
 * stepgate holds is `running (pid N)` (`runningPid` in `--json`), one in a detached TUI
 * `running detached`: neither is to be resumed.
 */
import { sessionsDir } from '../session/session-paths.js';
import { listSessions, superseded } from '../session/history.js';
import { detachedState, stateAt, withAside } from '../session/state-phrase.js';
import { sessionOwner } from '../session/session-lock.js';
import { displayPath } from '../plain/print-events.js';
import { displayText, printable } from '../session/printable.js';
import { wordWrap } from '../session/word-wrap.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { SESSIONS } from './specs.js';
import { liveTuis } from './detach.js';
import { othersNotes } from './attach-other.js';
import { othersSessionNotes } from './others-sessions.js';
import { EXIT } from './exit-codes.js';

const USAGE = SESSIONS.usage;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(SESSIONS, argv);
  if (typeof parsed === 'number') return parsed;
  const dir = sessionsDir();
  // Newest first: the session to resume is at the top.
  // A session whose TUI kept running after its terminal went away is live, not interrupted.
  const detached = new Set((await liveTuis().catch(() => [])).flatMap((t) => (t.session ? [t.session.id] : [])));
  const listed = (await listSessions(dir)).reverse();
  // Nor is one a live stepgate holds (a plain run mid-step, a TUI in place at a gate): its
  // journal stops where that process is now.
  const owners = await runningPids(dir, listed.filter((s) => !s.finished).map((s) => s.id));
  // An unfinished session a later one of its runbook followed is history: resume and the
  // picker pass over it, and a trial, seeing it listed as interrupted, was not told why.
  const followed = superseded([...listed].reverse());
  const every = listed.map((s) => {
    const pid = owners.get(s.id);
    const running = pid === undefined ? {} : { runningPid: pid };
    if (detached.has(s.id)) return { ...s, state: detachedState(s.state), detached: true, ...running };
    if (pid !== undefined) return { ...s, state: `running (pid ${pid})`, ...running };
    return followed.has(s.id) ? { ...s, state: withAside(s.state, 'a later session of its runbook ran: resume passes over it'), superseded: true } : s;
  });
  const sessions = parsed.values.all ? every : every.filter((s) => !s.empty);
  const hidden = every.length - sessions.length;
  if (parsed.values.json) {
    process.stdout.write(`${JSON.stringify(sessions, null, 2)}\n`);
    return EXIT.completed;
  }
  // On a terminal the table and the notes fit its width (an SSM terminal is 80 columns); a file or a pipe gets every cell whole.
  const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
  const [tuiNotes, sessionNotes] = await Promise.all([othersNotes().catch(() => []), othersSessionNotes().catch(() => [])]);
  const otherLines = noteLines([...tuiNotes, ...sessionNotes], columns);
  const others = otherLines.map((line) => `${line}\n`).join('');
  if (sessions.length === 0) {
    process.stdout.write(`no sessions in ${dir}${hidden > 0 ? ` (${hidden} in which nothing ran: stepgate sessions --all)` : ''}\n${others}`);
    return EXIT.completed;
  }
  // On a terminal the newest sessions fit its height: the one to resume is at the top, and a
  // long history scrolled it away (an SSM terminal keeps little scrollback). A file, a pipe or
  // --all gets every one.
  const height = process.stdout.isTTY && !parsed.values.all ? process.stdout.rows : undefined;
  const shown = sessions.slice(0, rowsThatFit(sessions.length, height, (hidden > 0 ? 1 : 0) + otherLines.length));
  const older = sessions.slice(shown.length);
  // The runbook path goes last: it is the one cell that may be long (cut to fit a terminal, whole in a file or pipe).
  const rows = [['id', 'started (UTC)', 'who', 'state', 'runbook']];
  for (const s of shown) {
    const started = s.startedAt === undefined ? '?' : new Date(s.startedAt).toISOString().slice(0, 16).replace('T', ' ');
    const bad = s.bad ? ` (${s.bad} bad line${s.bad === 1 ? '' : 's'}: stepgate log ${s.id})` : '';
    const state = `${stateAt(s.state, s.at)}${s.torn ? ' (torn last line)' : ''}${bad}`;
    // Journals are files another tool (or hand) may have written: nothing in them reaches the terminal raw.
    rows.push([s.id, started, s.who, state, displayPath(s.runbook, process.cwd())].map((cell) => printable(cell).replace(/[\t\r\n]/g, ' ')));
  }
  for (const line of tableLines(rows, columns)) process.stdout.write(`${line}\n`);
  if (older.length > 0) {
    const unfinished = older.filter((s) => !s.finished).length;
    process.stdout.write(`(${older.length} older session${older.length === 1 ? '' : 's'} not shown${unfinished > 0 ? `, ${unfinished} of them unfinished` : ''}: stepgate sessions | less)\n`);
  }
  if (hidden > 0) process.stdout.write(`(${hidden} session${hidden === 1 ? '' : 's'} in which nothing ran not shown: stepgate sessions --all)\n`);
  process.stdout.write(others);
  return EXIT.completed;
}

/**
 * How many of `count` sessions a terminal `height` rows high shows with the header, the
 * "not shown" line, `notes` more lines and the prompt after it; all without a height (not a
 * terminal). Never fewer than five.
 */
export function rowsThatFit(count: number, height: number | undefined, notes: number): number {
  if (height === undefined || height <= 0) return count;
  const room = height - 3 - notes;
  return count <= room + 1 ? count : Math.min(count, Math.max(5, room));
}

/** The pid of the live process that holds each of these sessions (not this one), for those held. */
async function runningPids(dir: string, ids: string[]): Promise<Map<string, number>> {
  const held = await Promise.all(ids.map(async (id) => [id, await sessionOwner(dir, id).catch(() => undefined)] as const));
  return new Map(held.flatMap(([id, pid]) => (pid === undefined ? [] : [[id, pid] as const])));
}

/**
 * The notes about other login users' detached sessions, made printable: on a terminal (given its
 * `columns`) each is wrapped at words within it, its later rows indented, as the table is made
 * to fit; whole lines without it (a file or a pipe, where a script may look for one).
 */
export function noteLines(notes: readonly string[], columns: number | undefined): string[] {
  return notes.flatMap((note) => {
    const line = displayText(note).replace(/[\t\n]/g, ' ');
    return columns !== undefined && columns > 0 ? wordWrap(line, columns, 2) : [line];
  });
}

const GAP = '  ';
/**
 * How a table too wide for the terminal is made to fit. The runbook, the last column, is cut
 * row by row (keeping its file name) to what is left of that row's line: its width moves no
 * other column, so a long path in one row does not cut the others (a trial saw the state cut
 * with columns to spare). The other columns give way when the runbook would get less than
 * 24 cells: the start time is dropped (the id begins with it), then the state is cut (keeping
 * its start, at least 12 cells) until the runbook gets room for its file name (at most 16).
 */
const RUNBOOK_ROOM = 24;
const RUNBOOK_MIN = 16;
const STARTED = 1;
const STATE = 3;
const STATE_MIN = 12;

function cut(cell: string, width: number, keep: 'head' | 'tail'): string {
  if (cell.length <= width) return cell;
  return keep === 'head' ? `${cell.slice(0, width - 1)}…` : `…${cell.slice(cell.length - (width - 1))}`;
}

/** The table's lines, each within `columns` when given (a terminal's width); every cell whole without it. */
export function tableLines(rows: string[][], columns: number | undefined): string[] {
  const limit = columns !== undefined && columns > 0 ? columns : undefined;
  // Cells by column name, so that a dropped column does not move the ones after it.
  let names = rows[0]?.map((_, c) => c) ?? [];
  let table = rows;
  const widthOf = (c: number): number => Math.max(...table.map((r) => (r[c] ?? '').length));
  const last = (): number => names[names.length - 1] ?? 0;
  // The cells before the last column, with their gaps.
  const lead = (): number => names.slice(0, -1).reduce((sum, c) => sum + widthOf(c) + GAP.length, 0);
  const over = (room: number): number => (limit === undefined ? 0 : lead() + Math.min(widthOf(last()), room) - limit);
  if (over(RUNBOOK_ROOM) > 0 && names.length > 2) names = names.filter((c) => c !== STARTED);
  // The state is cut only for a runbook's file name (with the ellipsis), up to 16 cells of it.
  const fileNames = table.slice(1).map((r) => (r[last()] ?? '').slice((r[last()] ?? '').lastIndexOf('/') + 1).length + 1);
  const room = Math.min(RUNBOOK_MIN, Math.max(0, ...fileNames));
  if (over(room) > 0 && names.includes(STATE) && STATE !== last()) {
    const to = Math.max(STATE_MIN, widthOf(STATE) - over(room));
    table = table.map((row, i) => (i === 0 ? row : row.map((cell, c) => (c === STATE ? cut(cell, to, 'head') : cell))));
  }
  return table.map((row) => {
    const head = names.slice(0, -1).map((c) => (row[c] ?? '').padEnd(widthOf(c))).join(GAP);
    const lastCell = row[last()] ?? '';
    const left = limit === undefined ? lastCell.length : Math.max(2, limit - head.length - (head === '' ? 0 : GAP.length));
    const line = `${head}${head === '' ? '' : GAP}${cut(lastCell, left, 'tail')}`.trimEnd();
    return limit !== undefined && line.length > limit ? `${line.slice(0, limit - 1)}…` : line;
  });
}
