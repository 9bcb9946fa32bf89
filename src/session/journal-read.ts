/**
 * A journal read back: its events checked against the schema, a torn last line told apart
 * from a bad one, and its hash chain verified with the session's key.
 */
import { readFile, truncate } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { describeError } from '../errors.js';
import { readKey } from './chain-key.js';
import { eventProblem } from './event-schema.js';
import { lineDigest, splitChained, verifyChain, type ChainBreak, type ChainStatus } from './journal-chain.js';
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
  const chain = verifyChain(lines.filter((l): l is string => l !== undefined), key, id);
  read.chain = chain.kind === 'broken' ? withoutAccepted(chain.breaks, read, lines) : chain;
  return read;
}

/**
 * Breaks that a later `session-resumed` accepted (--accept-edited-journal) are settled, each
 * only while its line is the text accepted (`sha256`): that event is itself chained, so what was
 * accepted can be neither widened nor rewritten afterwards.
 */
function withoutAccepted(breaks: ChainBreak[], read: JournalRead, lines: Array<string | undefined>): ChainStatus {
  // verifyChain numbered the non-empty lines; map back to file lines.
  const fileLine: number[] = [];
  lines.forEach((l, i) => {
    if (l !== undefined) fileLine.push(i + 1);
  });
  const inFile = breaks.map((b) => ({ ...b, line: fileLine[b.line - 1] ?? b.line }));
  const accepted = new Set<number>();
  read.events.forEach((event, i) => {
    if (event.type !== 'session-resumed' || !event.acceptedEdits) return;
    const at = read.lines[i] ?? 0;
    // Only an acceptance that itself verifies counts.
    if (inFile.some((b) => b.line === at)) return;
    for (const edit of event.acceptedEdits) {
      const text = lines[edit.line - 1];
      if (edit.line < at && text !== undefined && edit.sha256 === lineDigest(text)) accepted.add(edit.line);
    }
  });
  const left = inFile.filter((b) => !accepted.has(b.line));
  return left.length === 0 ? { kind: 'intact' } : { kind: 'broken', breaks: left };
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
 * The chain's breaks as the operator should hear them, or [] when it holds. A journal whose key
 * is gone counts as broken at its first line, and so does one with neither key nor macs.
 */
export function chainProblems(read: JournalRead, path: string): ChainBreak[] {
  switch (read.chain.kind) {
    case 'intact':
      return [];
    case 'unchained':
      // Read as "from before the chain", removing the key and every mac switched the chain off
      // (review F3). No journal can prove it predates the chain: the chain came in without a
      // version bump (a7c0bfb; every stepgate, before and since, writes "version":"0.1.0"), and a
      // line without a mac is anyone's to write, `version` included.
      if (read.events.length === 0 && read.bad.length === 0) return [];
      return [{ line: 1, what: unchainedWhat(read, path) }];
    case 'no-key':
      return [{ line: 1, what: `cannot be verified: the session key ${path.replace(/\.jsonl$/, '.key')} is missing` }];
    case 'broken':
      return read.chain.breaks;
  }
}

function unchainedWhat(read: JournalRead, path: string): string {
  const first = read.events[0];
  const writer = first?.type === 'session-started' ? `stepgate ${displayWord(first.version)}` : 'stepgate';
  return `has no hash chain: no session key (${path.replace(/\.jsonl$/, '.key')}) and no line with a mac, though ${writer} chains the journals it writes; the chain was removed (or a build from before it wrote the journal), so it cannot be verified`;
}
