/**
 * A journal read back: its events checked against the schema, a torn last line told apart
 * from a bad one, and its hash chain verified with the session's key.
 */
import { readFile, truncate } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { describeError } from '../errors.js';
import { readKey } from './chain-key.js';
import { eventProblem } from './event-schema.js';
import { splitChained, type ChainBreak, type ChainStatus } from './journal-chain.js';
import { chainBreaks, verifyJournalLines, type Acceptance } from './chain-verdict.js';
import { openPrivateAppendHandle } from './private-files.js';
import { displayWord } from './printable.js';
import { chainKeyPath } from './session-paths.js';
import type { SessionEvent } from './types.js';

/** A last line cut short by a crash mid-write. */
export interface TornLine {
  /** 1-based line number. */
  line: number;
  bytes: number;
}

export interface JournalRead {
  events: SessionEvent[];
  /** The 1-based line of each event in `events`. */
  lines: number[];
  torn?: TornLine;
  /** Lines that are not valid events (`event-schema.ts`), other than a torn last line. */
  bad: Array<{ line: number; error: string }>;
  /**
   * Whether the hash chain holds (`journal-chain.ts`); breaks a later resume accepted with
   * --accept-edited-journal are left out. `unchained` for a text parsed without its key.
   */
  chain: ChainStatus;
}

/** The lines of a journal that end in a newline (a last line without one may be torn). */
export function completeLines(text: string): string[] {
  const lines = text.split('\n');
  lines.pop();
  return lines;
}

/**
 * The lines the chain covers: every line but a torn last one (`read.torn`). A last line without
 * its newline that parses is verified like any other (review: left out of the chain while
 * `parseJournal` kept it as an event, an override appended by hand without a newline or a mac
 * showed in `log` and `report` as a plain decision, with no warning). Verified, not left out of
 * the events: stepgate writes each line with its mac in one write, so a crash that loses only the
 * newline leaves a line that still verifies (and `dropTornTail` keeps it and adds the newline),
 * while a forged one is a chain break that `log` and `report` warn about and `resume` refuses.
 * A last line that does not parse stays torn: reported, left out of events and chain, and cut
 * off by `dropTornTail`, as before.
 */
export function chainedLines(text: string, read: Pick<JournalRead, 'torn'>): string[] {
  const lines = text.split('\n');
  if (text.endsWith('\n') || text === '') lines.pop();
  else if (read.torn !== undefined) lines.pop();
  return lines;
}

/** Parses a journal's text. A last line without its newline that does not parse is torn. */
export function parseJournal(text: string): JournalRead {
  const lines = text.split('\n');
  const endsClean = text.endsWith('\n') || text === '';
  if (endsClean) lines.pop();
  const out: JournalRead = { events: [], lines: [], bad: [], chain: { kind: 'unchained' } };
  lines.forEach((line, i) => {
    const last = i === lines.length - 1;
    if (line.trim() === '') return;
    try {
      const value: unknown = JSON.parse(splitChained(line)?.body ?? line);
      const problem = eventProblem(value);
      if (problem !== undefined) {
        out.bad.push({ line: i + 1, error: problem });
        return;
      }
      out.events.push(value as SessionEvent);
      out.lines.push(i + 1);
    } catch (err) {
      if (last && !endsClean) out.torn = { line: i + 1, bytes: Buffer.byteLength(line) };
      else out.bad.push({ line: i + 1, error: describeError(err) });
    }
  });
  return out;
}

/** The journal at `path` with its chain verified against the session's key beside it. */
export async function readJournal(path: string): Promise<JournalRead> {
  const text = await readFile(path, 'utf8');
  const read = parseJournal(text);
  const id = basename(path, '.jsonl');
  const key = await readKey(chainKeyPath(dirname(path), id));
  const lines = chainedLines(text, read).map((l) => (l.trim() === '' ? undefined : l));
  read.chain = verifyJournalLines(lines, key, id, acceptances(read));
  return read;
}

/** Edits a later `session-resumed` accepted (--accept-edited-journal), each at its file line. */
function acceptances(read: JournalRead): Acceptance[] {
  return read.events.flatMap((event, i) => (event.type === 'session-resumed' && event.acceptedEdits ? [{ at: read.lines[i] ?? 0, edits: event.acceptedEdits }] : []));
}

/** Cuts a torn last line off so appends start on a fresh line. Returns what was cut. */
export async function dropTornTail(path: string): Promise<TornLine | undefined> {
  const text = await readFile(path, 'utf8');
  const read = parseJournal(text);
  if (!read.torn) {
    if (text !== '' && !text.endsWith('\n')) {
      // A complete event that lost only its newline: keep it, add the newline.
      const handle = await openPrivateAppendHandle(path);
      await handle.write('\n');
      await handle.sync();
      await handle.close();
    }
    return undefined;
  }
  const keep = Buffer.byteLength(text) - read.torn.bytes;
  await truncate(path, keep);
  return read.torn;
}

/**
 * The chain's breaks as the operator should hear them, or [] when it holds (`chain-verdict.ts`:
 * a journal without its key, or without key and macs, is broken at line 1).
 */
export function chainProblems(read: JournalRead, path: string): ChainBreak[] {
  const first = read.events[0];
  return chainBreaks(read.chain, {
    kind: 'session',
    keyPath: path.replace(/\.jsonl$/, '.key'),
    empty: read.events.length === 0 && read.bad.length === 0,
    writer: first?.type === 'session-started' ? `stepgate ${displayWord(first.version)}` : 'stepgate',
  });
}
