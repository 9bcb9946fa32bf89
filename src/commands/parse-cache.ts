/**
 * Parsed runbooks kept between processes. A runbook is opened far more often than it is edited,
 * and its cold markdown parse is most of what `plan`, `run` and the TUI do before their first
 * output (micromark's code is compiled and warmed anew by every process): 150 ms of a 420 ms
 * `plan` of the shipped deploy, over a second for a 10,000-line runbook.
 *
 * An entry is the parser's result for one path as given and one content hash, under the state
 * directory, private to the user (written 0600 in a directory that passes StrictModes, read
 * without following links and only when owned by the user and writable by no one else). What
 * an entry holds decides what runs, so it is trusted no further than that: it names the
 * parser build, the Node version, the path and the content hash it was made for, and is used
 * only when all four match. An edited runbook is parsed afresh; a new stepgate build does not
 * read an old build's entries. Anything wrong with the cache makes it a miss, never an error.
 *
 * From the TypeScript sources (tests in-process) there is no parser build id and no cache.
 * `STEPGATE_PARSE_CACHE=off` turns it off (the benchmarks' cold rows).
 */
import { createHash } from 'node:crypto';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { Runbook } from '../runbooks/index.js';
import { ensurePrivateDir, readPrivateFile, replacePrivateFile } from '../session/private-files.js';
import { stateDir } from '../session/session-paths.js';

/** Set by scripts/build.mjs: a hash of the parser's sources and the locked dependencies. */
declare const __STEPGATE_PARSER_ID__: string | undefined;
const PARSER_ID = typeof __STEPGATE_PARSER_ID__ === 'string' ? __STEPGATE_PARSER_ID__ : undefined;

/** Entries kept; the least recently written go first beyond it. */
const MAX_ENTRIES = 256;
/** An entry larger than this is not read (the largest runbook's parse is a few MB). */
const MAX_ENTRY_BYTES = 32 * 1024 * 1024;

interface Entry {
  parser: string;
  node: string;
  file: string;
  sha256: string;
  runbook: Runbook;
}

function cacheDir(env: NodeJS.ProcessEnv): string {
  return join(stateDir(env), 'parse-cache');
}

function enabled(env: NodeJS.ProcessEnv): boolean {
  return PARSER_ID !== undefined && env['STEPGATE_PARSE_CACHE'] !== 'off';
}

function entryName(file: string, sha256: string): string {
  return `${createHash('sha256').update(`${PARSER_ID}\0${process.version}\0${file}\0${sha256}`).digest('hex').slice(0, 40)}.v8`;
}

function readEntry(path: string): Entry | undefined {
  const bytes = readPrivateFile(path, { maxBytes: MAX_ENTRY_BYTES, sealed: true });
  try {
    return bytes === undefined ? undefined : (deserialize(bytes) as Entry);
  } catch {
    return undefined;
  }
}

/** The runbook parsed from these bytes at this path by this build, if a previous process kept it. */
export function cachedParse(file: string, sha256: string, env: NodeJS.ProcessEnv = process.env): Runbook | undefined {
  if (!enabled(env)) return undefined;
  const entry = readEntry(join(cacheDir(env), entryName(file, sha256)));
  if (!entry || entry.parser !== PARSER_ID || entry.node !== process.version || entry.file !== file || entry.sha256 !== sha256) return undefined;
  if (typeof entry.runbook !== 'object' || entry.runbook === null || !Array.isArray(entry.runbook.steps) || !Array.isArray(entry.runbook.diagnostics)) return undefined;
  return entry.runbook;
}

/** Keeps a parse for the next process (atomically; failures are ignored: only work is lost). */
export function rememberParse(file: string, sha256: string, runbook: Runbook, env: NodeJS.ProcessEnv = process.env): void {
  if (!enabled(env)) return;
  const dir = cacheDir(env);
  try {
    ensurePrivateDir(dir, stateDir(env));
    const entry: Entry = { parser: PARSER_ID as string, node: process.version, file, sha256, runbook };
    replacePrivateFile(join(dir, entryName(file, sha256)), serialize(entry));
    prune(dir);
  } catch {
    // Only work for the next process was lost.
  }
}

function prune(dir: string): void {
  const names = readdirSync(dir);
  if (names.length <= MAX_ENTRIES) return;
  const aged = names.flatMap((name) => {
    try {
      return [{ name, at: statSync(join(dir, name)).mtimeMs }];
    } catch {
      return [];
    }
  });
  aged.sort((a, b) => a.at - b.at);
  for (const { name } of aged.slice(0, aged.length - MAX_ENTRIES)) rmSync(join(dir, name), { force: true });
}
