/**
 * A session named by part of its id, as operators type it from `stepgate sessions`: the
 * random end (`1e25ec`) or the start (`20261207-2146`). Only a part that names one session is
 * taken; a part naming several is refused with them listed, never settled by a guess (resume
 * and discard act on what it names).
 */
import { isSessionId, listSessionIds } from './session-paths.js';

/** Shorter parts name too many sessions to be worth a lookup (and `1` is more likely a typo). */
const SHORTEST_PART = 4;

/** How many of several matching sessions a refusal names (the newest). */
const NAMED = 5;

const PART = /^[0-9a-f-]+$/;

export type SessionIdMatch = { id: string } | { refused: string };

/**
 * The session `given` names in `dir`: a whole id as it is (whether it exists is the caller's
 * question, with its own words), else the one id that starts or ends with `given`.
 * `listHint` is the command that lists the sessions the caller accepts.
 */
export async function matchSessionId(dir: string, given: string, listHint = 'stepgate sessions --all'): Promise<SessionIdMatch> {
  if (isSessionId(given)) return { id: given };
  if (!PART.test(given) || given.length < SHORTEST_PART || given.startsWith('-') || given.endsWith('-')) {
    return { refused: `${given} is not a session id (like 20250101-120000-a1b2c3, or its last ${SHORTEST_PART} to 6 characters; ${listHint} lists them)` };
  }
  const ids = (await listSessionIds(dir)).filter((id) => id.startsWith(given) || id.endsWith(given));
  const [only, ...more] = ids;
  if (only === undefined) return { refused: `no session in ${dir} has an id starting or ending with ${given} (${listHint} lists them)` };
  if (more.length === 0) return { id: only };
  const newest = ids.slice(-NAMED).reverse();
  const others = ids.length - newest.length;
  return { refused: `${given} names ${ids.length} sessions: ${newest.join(', ')}${others > 0 ? ` and ${others} older` : ''}; give more of the id` };
}
