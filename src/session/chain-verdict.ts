/**
 * What a journal's hash chain (`journal-chain.ts`) says, in the file's line numbers and the
 * operator's words: one verdict for a session's journal (resume, log, report) and a rollout's
 * (fleet status and cancel, log, report). The rule lives once because it was fixed once for
 * sessions only: a rollout journal stripped of its key and every mac still read as "from before
 * the chain", and `fleet cancel` took the command id it named (review F3, for rollouts).
 */
import { lineDigest, verifyChain, type ChainBreak, type ChainStatus } from './journal-chain.js';
import type { AcceptedEdit } from './types.js';

/** Edits accepted (`--accept-edited-journal`) by the event on file line `at`. */
export interface Acceptance {
  at: number;
  edits: readonly AcceptedEdit[];
}

/**
 * The chain of a journal's lines (`lines[i]` is file line i+1; undefined for a blank line or a
 * torn last one, which the chain does not cover), its breaks numbered by file line, less those
 * an acceptance settled.
 */
export function verifyJournalLines(lines: ReadonlyArray<string | undefined>, key: Buffer | undefined, id: string, acceptances: readonly Acceptance[]): ChainStatus {
  const covered: number[] = [];
  lines.forEach((l, i) => {
    if (l !== undefined) covered.push(i + 1);
  });
  const chain = verifyChain(lines.filter((l): l is string => l !== undefined), key, id);
  if (chain.kind !== 'broken') return chain;
  // verifyChain numbered the lines it was given.
  const breaks = chain.breaks.map((b) => ({ ...b, line: covered[b.line - 1] ?? b.line }));
  const left = withoutAccepted(breaks, acceptances, lines);
  return left.length === 0 ? { kind: 'intact' } : { kind: 'broken', breaks: left };
}

/**
 * Breaks an earlier acceptance settled, each only while its line is the text accepted
 * (`sha256`), and only when the acceptance verifies itself: it is chained, so what was
 * accepted can be neither widened nor rewritten afterwards (review F5).
 */
function withoutAccepted(breaks: ChainBreak[], acceptances: readonly Acceptance[], lines: ReadonlyArray<string | undefined>): ChainBreak[] {
  const accepted = new Set<number>();
  for (const { at, edits } of acceptances) {
    if (breaks.some((b) => b.line === at)) continue;
    for (const edit of edits) {
      const text = lines[edit.line - 1];
      if (edit.line < at && text !== undefined && edit.sha256 === lineDigest(text)) accepted.add(edit.line);
    }
  }
  return breaks.filter((b) => !accepted.has(b.line));
}

/** Which journal a verdict is about, for its words. */
export interface ChainSubject {
  /** `session` or `rollout`: whose key it is. */
  kind: 'session' | 'rollout';
  keyPath: string;
  /** No event and no bad line: nothing to have been edited. */
  empty: boolean;
  /** Who wrote it by its own account (`stepgate 0.1.0`), for an unchained one. */
  writer?: string;
}

/**
 * The chain's breaks as the operator should hear them, or [] when it holds. A journal whose key
 * is gone counts as broken at its first line, and so does one with neither key nor macs.
 */
export function chainBreaks(chain: ChainStatus, subject: ChainSubject): ChainBreak[] {
  switch (chain.kind) {
    case 'intact':
      return [];
    case 'unchained':
      // Read as "from before the chain", removing the key and every mac switched the chain off
      // (review F3). No journal can prove it predates the chain: the chain came in without a
      // version bump (a7c0bfb; every stepgate, before and since, writes "version":"0.1.0"), and a
      // line without a mac is anyone's to write, `version` included.
      if (subject.empty) return [];
      return [
        {
          line: 1,
          what: `has no hash chain: no ${subject.kind} key (${subject.keyPath}) and no line with a mac, though ${subject.writer ?? 'stepgate'} chains the journals it writes; the chain was removed (or a build from before it wrote the journal), so it cannot be verified`,
        },
      ];
    case 'no-key':
      return [{ line: 1, what: `cannot be verified: the ${subject.kind} key ${subject.keyPath} is missing` }];
    case 'broken':
      return chain.breaks;
  }
}
