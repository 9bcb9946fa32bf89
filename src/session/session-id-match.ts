/**
 * A session (or a fleet rollout, journaled as a session is) named by part of its id, as
 * operators type it from `stepgate sessions` or from what `fleet run` printed: the random end
 * (`1e25ec`) or the start (`20261207-2146`; a rollout's with or without its `fleet-`). Only a
 * part that names one is taken; a part naming several is refused with them listed, never
 * settled by a guess (resume, discard and fleet cancel act on what it names).
 */
import { isSessionId, listJournalIds } from './session-paths.js';

/** Shorter parts name too many sessions to be worth a lookup (and `1` is more likely a typo). */
const SHORTEST_PART = 4;

/** How many of several matching ids a refusal names (the newest). */
const NAMED = 5;

const PART = /^[0-9a-f-]+$/;

/** Which journals an id names: sessions' or rollouts'. Their ids sort by start time. */
export interface JournalIds {
  /** `session`, `rollout`: what the refusals call one. */
  noun: string;
  /** A whole id, for the refusals. */
  example: string;
  /** What every id starts with before its time (`fleet-`), which a part may leave out. */
  prefix: string;
  isId(text: string): boolean;
}

export const SESSION_IDS: JournalIds = { noun: 'session', example: '20250101-120000-a1b2c3', prefix: '', isId: isSessionId };

/** The id named, or why none is: `none` when no id matched at all (as opposed to several). */
export type SessionIdMatch = { id: string } | { refused: string; none?: true };

/**
 * The id `given` names among the journals in `dir`: a whole id as it is (whether it exists is
 * the caller's question, with its own words), else the one id that starts (after its prefix,
 * or with it) or ends with `given`. `listHint` is where the caller's ids are listed.
 */
export async function matchJournalId(kind: JournalIds, dir: string, given: string, listHint: string): Promise<SessionIdMatch> {
  if (kind.isId(given)) return { id: given };
  const part = kind.prefix !== '' && given.startsWith(kind.prefix) ? given.slice(kind.prefix.length) : given;
  if (!PART.test(part) || part.length < SHORTEST_PART || part.startsWith('-') || part.endsWith('-')) {
    return { refused: `${given} is not a ${kind.noun} id (like ${kind.example}, or its last ${SHORTEST_PART} to 6 characters; ${listHint} lists them)` };
  }
  // `fleet-1e25ec` (the prefix, then the end as `fleet run` printed it) names its end too.
  const ids = (await listJournalIds(dir, kind.isId)).filter((id) => id.slice(kind.prefix.length).startsWith(part) || id.endsWith(part));
  const [only, ...more] = ids;
  if (only === undefined) return { refused: `no ${kind.noun} in ${dir} has an id starting or ending with ${given} (${listHint} lists them)`, none: true };
  if (more.length === 0) return { id: only };
  const newest = ids.slice(-NAMED).reverse();
  const others = ids.length - newest.length;
  return { refused: `${given} names ${ids.length} ${kind.noun}s: ${newest.join(', ')}${others > 0 ? ` and ${others} older` : ''}; give more of the id` };
}

/** The session `given` names in `dir` (see `matchJournalId`); `listHint` is the command that lists the sessions the caller accepts. */
export function matchSessionId(dir: string, given: string, listHint = 'stepgate sessions --all'): Promise<SessionIdMatch> {
  return matchJournalId(SESSION_IDS, dir, given, listHint);
}
