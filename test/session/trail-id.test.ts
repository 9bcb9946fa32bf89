/**
 * `log` and `report` take a session or a fleet rollout, whole or by part: `fleet-...` is a
 * rollout's, another part a session's, or a rollout's when it names no session, and a part
 * naming one of each is refused rather than settled by a guess. Real journal files in a
 * temporary state directory.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { matchTrailId } from '../../src/session/rollout-journal.js';

let state: string;
let env: NodeJS.ProcessEnv;
const SESSION = '20261208-013000-0a1b2c';
const ROLLOUT = 'fleet-20261208-013500-9f8e7d';
const TWIN_SESSION = '20261208-014000-55aa11';
const TWIN_ROLLOUT = 'fleet-20261208-014500-77aa11';

beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'stepgate-trail-id-'));
  env = { STEPGATE_STATE_DIR: state };
  mkdirSync(join(state, 'sessions'));
  mkdirSync(join(state, 'rollouts'));
  for (const id of [SESSION, TWIN_SESSION]) writeFileSync(join(state, 'sessions', `${id}.jsonl`), '');
  for (const id of [ROLLOUT, TWIN_ROLLOUT]) writeFileSync(join(state, 'rollouts', `${id}.jsonl`), '');
});
afterEach(() => rmSync(state, { recursive: true, force: true }));

const match = (given: string) => matchTrailId(join(state, 'sessions'), given, env);

describe('the trail log and report are given', () => {
  it('is a session by its whole id or a part, and a rollout by its whole id, fleet- and a part, or a part no session has', async () => {
    expect(await match(SESSION)).toEqual({ session: SESSION });
    expect(await match('0a1b2c')).toEqual({ session: SESSION });
    expect(await match(ROLLOUT)).toEqual({ rollout: ROLLOUT });
    expect(await match('fleet-9f8e7d')).toEqual({ rollout: ROLLOUT });
    expect(await match('fleet-20261208-0135')).toEqual({ rollout: ROLLOUT });
    expect(await match('9f8e7d')).toEqual({ rollout: ROLLOUT });
  });

  it('is refused when a part names a session and a rollout, or nothing', async () => {
    expect(await match('aa11')).toEqual({ refused: `aa11 names session ${TWIN_SESSION} and rollout ${TWIN_ROLLOUT}; give more of the id` });
    expect(await match('77aa11')).toEqual({ rollout: TWIN_ROLLOUT });
    expect(await match('beef')).toMatchObject({ refused: expect.stringContaining('no session in') });
    expect(await match('fleet-beef')).toMatchObject({ refused: expect.stringContaining('no rollout in') });
  });
});
