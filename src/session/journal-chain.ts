/**
 * The journal's hash chain (issue 13, item 6): a hand-edited journal (`"ok":false` flipped to
 * `true`) let `resume --yes` walk past a failed gate. Each line now starts with
 * `"mac":"<hex>"`, an HMAC-SHA256 under the session's random key (`<id>.key`, 0600, beside the
 * journal) of the previous line's mac and this line's event text, exactly as written. The
 * first line chains from the session id. So a line edited, removed from the middle, moved, or
 * copied from another session no longer verifies, and the reader can say which line.
 *
 * What it does not do: a cut at the end (the last lines removed) leaves a valid chain, and a
 * user who can read the key (the operator, root) can forge a chain. It catches edits by hand
 * and by tools, not an adversary with the operator's rights.
 */
import { createHash, createHmac, randomBytes } from 'node:crypto';

/** Bytes of a session key. */
export const KEY_BYTES = 32;

export function newChainKey(): Buffer {
  return randomBytes(KEY_BYTES);
}

/** The value a session's first line chains from. */
export function chainSeed(key: Buffer, id: string): string {
  return createHmac('sha256', key).update(`stepgate journal ${id}`).digest('hex');
}

function mac(key: Buffer, prev: string, body: string): string {
  return createHmac('sha256', key).update(prev).update('\n').update(body).digest('hex');
}

const CHAINED = /^\{"mac":"([0-9a-f]{64})",(.*)$/s;

/** The line to write for `eventJson` (a JSON object's text) after the line whose mac is `prev`. */
export function chainLine(key: Buffer, prev: string, eventJson: string): { line: string; mac: string } {
  const m = mac(key, prev, eventJson);
  return { line: `{"mac":"${m}",${eventJson.slice(1)}`, mac: m };
}

/** A line's mac and the event text it covers, or undefined for a line without one. */
export function splitChained(line: string): { mac: string; body: string } | undefined {
  const m = CHAINED.exec(line);
  if (!m) return undefined;
  return { mac: m[1] ?? '', body: `{${m[2] ?? ''}` };
}

/**
 * What the next line chains from, given the last line written: its mac, or, for a line that
 * has none (an edited journal accepted with --accept-edited-journal), a mac of its text.
 */
export function nextPrev(key: Buffer, lastLine: string | undefined, seed: string): string {
  if (lastLine === undefined) return seed;
  return splitChained(lastLine)?.mac ?? mac(key, 'unchained', lastLine);
}

/** One place the chain does not hold. */
export interface ChainBreak {
  /** 1-based line number in the file. */
  line: number;
  what: string;
  /** `lineDigest` of the line as it is: what an acceptance of this break is tied to. */
  sha256?: string;
}

/**
 * What an accepted break is tied to: the line's text as it was accepted. The next line chains
 * from an edited line's stored mac, not from its text, so without this an accepted line could
 * be rewritten again, its mac kept, and nothing after it would fail (review F5).
 */
export function lineDigest(line: string): string {
  return createHash('sha256').update(line).digest('hex');
}

export type ChainStatus =
  /** Every line verifies. */
  | { kind: 'intact' }
  /** From before the chain existed: no key and no line carries a mac. Not verified. */
  | { kind: 'unchained' }
  /** Lines that do not verify (`breaks`, in file order). */
  | { kind: 'broken'; breaks: ChainBreak[] }
  /** Lines carry macs but the key is gone: cannot be verified. */
  | { kind: 'no-key' };

/**
 * Verifies the complete lines of a journal (`lines[i]` is line i+1; a torn last line is left
 * out by the caller).
 */
export function verifyChain(lines: string[], key: Buffer | undefined, id: string): ChainStatus {
  const nonEmpty = lines.some((l) => l.trim() !== '');
  const anyMac = lines.some((l) => splitChained(l) !== undefined);
  if (key === undefined) return anyMac || !nonEmpty ? (anyMac ? { kind: 'no-key' } : { kind: 'unchained' }) : { kind: 'unchained' };
  const breaks: ChainBreak[] = [];
  let prev = chainSeed(key, id);
  lines.forEach((line, i) => {
    const chained = splitChained(line);
    if (!chained) {
      breaks.push({ line: i + 1, what: 'has no chain mac (added or rewritten by hand)', sha256: lineDigest(line) });
    } else if (mac(key, prev, chained.body) !== chained.mac) {
      breaks.push({ line: i + 1, what: 'does not verify (edited, or lines before it removed or reordered)', sha256: lineDigest(line) });
    }
    prev = nextPrev(key, line, prev);
  });
  return breaks.length === 0 ? { kind: 'intact' } : { kind: 'broken', breaks };
}
