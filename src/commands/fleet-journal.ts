/**
 * Rollout journals: `rollouts/<id>.jsonl` under stepgate's state directory, mode 0600, each
 * event fsync'd before the command moves on, as a session's journal is.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RolloutEvent } from '../fleet/rollout.js';
import { stateDir } from '../session/journal.js';

export const ROLLOUT_ID = /^fleet-\d{8}-\d{6}-[0-9a-f]{6}$/;

export function rolloutsDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(stateDir(env), 'rollouts');
}

export function newRolloutId(now: number): string {
  const d = new Date(now).toISOString();
  return `fleet-${d.slice(0, 10).replace(/-/g, '')}-${d.slice(11, 19).replace(/:/g, '')}-${randomBytes(3).toString('hex')}`;
}

export function rolloutPath(id: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(rolloutsDir(env), `${id}.jsonl`);
}

export function appendRolloutEvent(id: string, event: RolloutEvent, env: NodeJS.ProcessEnv = process.env): void {
  mkdirSync(rolloutsDir(env), { recursive: true, mode: 0o700 });
  const fd = openSync(rolloutPath(id, env), 'a', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(event)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readRollout(id: string, env: NodeJS.ProcessEnv = process.env): RolloutEvent[] | undefined {
  const path = rolloutPath(id, env);
  if (!existsSync(path)) return undefined;
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .flatMap((l) => {
      try {
        return [JSON.parse(l) as RolloutEvent];
      } catch {
        return [];
      }
    });
}
