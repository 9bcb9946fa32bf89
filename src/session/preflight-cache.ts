/**
 * What preflight learnt about scripts that have not changed since: the command words the bash
 * grammar found in them, and that a given bash parsed them. Preflight runs before every
 * session, and a runbook is started far more often than it is edited, so the second start of
 * the same runbook neither loads the grammar nor forks a `bash -n` per step. Entries are keyed
 * by content hashes (an edited step is looked at afresh); the file is private state, kept in the
 * state directory under the same rules as the journals. A cache that cannot be read is ignored:
 * it only ever saves work, it never decides anything.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { ScriptWords } from '../exec/types.js';
import { stateDir } from './session-paths.js';
import { ensurePrivateDir, readPrivateFile, replacePrivateFile } from './private-files.js';

/** Bump when what `scriptWords` extracts changes, so old entries are not trusted. */
const WORDS_FORMAT = 2;
/** Enough for many runbooks; the oldest entries go first beyond it. */
const MAX_ENTRIES = 4000;
/** A cache file larger than this is not ours to trust with a parse (it is rebuilt). */
const MAX_BYTES = 8 * 1024 * 1024;

interface CacheFile {
  version: 1;
  words: Record<string, ScriptWords>;
  /** Keys of (bash, script) pairs that bash parsed without complaint. */
  parsed: Record<string, true>;
  /** The last bash seen per run-as user ("$BASH $BASH_VERSION"). */
  bash: Record<string, string>;
}

export interface PreflightCache {
  words(script: string): ScriptWords | undefined;
  rememberWords(script: string, words: ScriptWords): void;
  /** The bash this user's preflight ran last time, if any. */
  lastBash(user: string): string | undefined;
  rememberBash(user: string, bash: string): void;
  parsedBy(bash: string, script: string): boolean;
  rememberParsed(bash: string, script: string): void;
  /** Writes the cache back if anything was learnt (atomically; failures are ignored). */
  save(): void;
}

function hash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('base64url');
}

function cacheFileOf(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'preflight-cache.json');
}

function readCache(path: string): CacheFile {
  const empty: CacheFile = { version: 1, words: {}, parsed: {}, bash: {} };
  const bytes = readPrivateFile(path, { maxBytes: MAX_BYTES });
  if (bytes === undefined) return empty;
  try {
    const data = JSON.parse(bytes.toString('utf8')) as Partial<CacheFile>;
    if (data.version !== 1 || typeof data.words !== 'object' || typeof data.parsed !== 'object' || typeof data.bash !== 'object') return empty;
    return { version: 1, words: data.words ?? {}, parsed: data.parsed ?? {}, bash: data.bash ?? {} };
  } catch {
    return empty;
  }
}

/** Keeps the newest `max` keys of a record (insertion order is age order). */
function trimmed<T>(record: Record<string, T>, max: number): Record<string, T> {
  const keys = Object.keys(record);
  if (keys.length <= max) return record;
  return Object.fromEntries(keys.slice(keys.length - max).map((k) => [k, record[k] as T]));
}

export function openPreflightCache(env: NodeJS.ProcessEnv = process.env): PreflightCache {
  const path = cacheFileOf(env);
  const data = readCache(path);
  let changed = false;
  const touch = <T>(record: Record<string, T>, key: string, value: T): void => {
    // Re-inserting moves the key to the young end.
    delete record[key];
    record[key] = value;
    changed = true;
  };
  return {
    words: (script) => data.words[hash(`words${WORDS_FORMAT}`, script)],
    rememberWords: (script, words) => touch(data.words, hash(`words${WORDS_FORMAT}`, script), words),
    lastBash: (user) => data.bash[user],
    rememberBash: (user, bash) => {
      if (data.bash[user] !== bash) touch(data.bash, user, bash);
    },
    parsedBy: (bash, script) => data.parsed[hash('parsed', bash, script)] === true,
    rememberParsed: (bash, script) => touch(data.parsed, hash('parsed', bash, script), true),
    save: () => {
      if (!changed) return;
      const out: CacheFile = { version: 1, words: trimmed(data.words, MAX_ENTRIES), parsed: trimmed(data.parsed, MAX_ENTRIES), bash: trimmed(data.bash, 200) };
      try {
        ensurePrivateDir(stateDir(env));
        replacePrivateFile(path, JSON.stringify(out));
        changed = false;
      } catch {
        // Only a saving of work was lost; the next preflight looks again.
      }
    },
  };
}
