/**
 * Reading runbook files from disk for the commands. The parser itself is pure; this is where
 * the file system, size limits and content hashes live.
 */
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_RUNBOOK_CHARS } from '../runbooks/bounds.js';
import { emptyRunbook } from '../runbooks/empty.js';
import { resolveTarget } from '../runbooks/links.js';
import type { LinkTarget, Runbook } from '../runbooks/model.js';
import { INLINE_MAX_CHARS, loadParser, parseRunbookBounded, parserThreadStarted, warmParser } from './parse-bounded.js';
import { cachedParse, rememberParse } from './parse-cache.js';
import { fileKind, readRegularFile, readRegularFileStat } from './regular-file.js';
import { trustVerdict } from './trust.js';
import { compareText } from '../runbooks/text-order.js';

/** Why `file` is refused for what it is (a FIFO, a device, a directory), without opening it. */
function specialFile(file: string): string | undefined {
  let st;
  try {
    st = statSync(file);
  } catch {
    return undefined; // missing, a link loop, no permission: the read says which
  }
  return st.isFile() ? undefined : `${file} is ${fileKind(st)}, not a regular file; give a${st.isDirectory() ? '' : ' regular'} .md file`;
}

export interface LoadedRunbook {
  runbook: Runbook;
  text: string;
  sha256: string;
}

function failed(file: string, code: 'read-error' | 'file-too-large' | 'untrusted-file', message: string): LoadedRunbook {
  const runbook = emptyRunbook(file);
  runbook.diagnostics = [{ file, line: 1, column: 1, severity: 'error', code, message }];
  return { runbook, text: '', sha256: '' };
}

/** Bytes read at most: the character limit in UTF-8's widest form. */
const MAX_RUNBOOK_BYTES = MAX_RUNBOOK_CHARS * 4;

/** Files that could not be read, by path, and why (other than missing): for link diagnostics. */
const unreadable = new Map<string, string>();

/** Why `file` could not be read when it exists (a FIFO, a device, a link loop, no permission). */
export function whyUnreadable(file: string): string | undefined {
  return unreadable.get(file);
}

export function readRunbookFileSync(file: string): LoadedRunbook {
  const loaded = readRunbookFileOnce(file);
  const error = loaded.runbook.diagnostics.find((d) => d.code === 'read-error');
  if (error && !error.message.endsWith(': no such file')) unreadable.set(file, error.message);
  return loaded;
}

function readRunbookFileOnce(file: string): LoadedRunbook {
  // What the file is comes first: a FIFO or a device is refused as such, whoever owns it.
  const special = specialFile(file);
  if (special !== undefined) return failed(file, 'read-error', special);
  // Read first, then judge what was read (its fstat): the name can point elsewhere by now.
  const read = readRegularFileStat(file, MAX_RUNBOOK_BYTES);
  if (!('bytes' in read)) {
    // An untrusted file is refused as such, whatever else is wrong with it.
    const trust = trustVerdict(file);
    if (trust?.refuse !== undefined) return failed(file, 'untrusted-file', trust.refuse);
    if (read.kind === 'too-large') return failed(file, 'file-too-large', `runbook ${read.message} (${MAX_RUNBOOK_CHARS} characters): split it into linked runbooks`);
    return failed(file, 'read-error', read.message);
  }
  const trust = trustVerdict(file, read.stat);
  if (trust?.refuse !== undefined) return failed(file, 'untrusted-file', trust.refuse);
  const { bytes } = read;
  const text = bytes.toString('utf8');
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const runbook = parsedOnce(text, file, sha256);
  if (trust?.warn !== undefined) runbook.diagnostics.unshift({ file, line: 1, column: 1, severity: 'warning', code: 'untrusted-file', message: trust.warn });
  return { runbook, text, sha256 };
}

/**
 * A command reads the same files several times on its way to the first step (its own checks,
 * lint's links, preflight's reach, the session's load) and a cold markdown parse is the slowest
 * part of that. The same bytes at the same path parse to the same runbook, so each is parsed
 * once per process, and kept for the next process (parse-cache.ts); every caller gets its own
 * diagnostics list to add to.
 */
const parsed = new Map<string, Runbook>();
const PARSED_KEPT = 64;

/**
 * Whether `file` can be read without the parser: it cannot be read at all (the read says why),
 * or its parse is this process's or the cache's (kept in this process for the read to come).
 * Otherwise, how many bytes it holds.
 */
function readyToRead(file: string): true | number {
  if (specialFile(file) !== undefined) return true;
  const bytes = readRegularFile(file, MAX_RUNBOOK_BYTES);
  if (!Buffer.isBuffer(bytes)) return true;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const key = `${file}\0${sha256}`;
  if (parsed.has(key)) return true;
  const cached = cachedParse(file, sha256);
  if (cached) keep(key, cached);
  return cached !== undefined || bytes.length;
}

function keep(key: string, runbook: Runbook): void {
  if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value as string);
  parsed.set(key, runbook);
}

function parsedOnce(text: string, file: string, sha256: string): Runbook {
  const key = `${file}\0${sha256}`;
  let runbook = parsed.get(key);
  if (!runbook) {
    runbook = cachedParse(file, sha256);
    if (!runbook) {
      runbook = parseRunbookBounded(text, file);
      // A refusal for time is this machine's, this moment's: the next process tries again.
      if (!runbook.diagnostics.some((d) => d.code === 'too-complex')) rememberParse(file, sha256, runbook);
    }
    keep(key, runbook);
  }
  return { ...runbook, diagnostics: [...runbook.diagnostics] };
}

export async function loadRunbookFile(file: string): Promise<LoadedRunbook> {
  await primeRunbooks([file]);
  return readRunbookFileSync(file);
}

/** Where a runbook's links point: the files a lint, a plan or a session may read next. */
function linkedFiles(runbook: Runbook): string[] {
  const targets: Array<LinkTarget | undefined> = [
    ...runbook.crossRefs.map((r) => r.target),
    ...runbook.sections.flatMap((s) => [s.recover, ...s.crossRefs.map((r) => r.target)]),
    runbook.frontMatter.recovery,
    ...runbook.frontMatter.before,
    ...runbook.frontMatter.after,
    ...runbook.steps.map((step) => ('attrs' in step ? step.attrs.recover : undefined)),
  ];
  return targets.flatMap((t) => (t?.file === undefined ? [] : [resolveTarget(runbook.file, t).file]));
}

/** Files followed through links at most, from the files a command names. */
const PRIME_MAX_FILES = 64;

/**
 * Makes the runbooks a command is about to read (and, with `links`, those they link to) ready
 * to read synchronously: each comes from this process's parses, the parse cache, or the parser,
 * which is loaded only when some file is not in the cache (on this thread for a small file, on
 * the parse worker for a large one). A file this missed (a link reached
 * another way) is still read correctly later, on the parse worker.
 */
export async function primeRunbooks(files: readonly string[], { links = true }: { links?: boolean } = {}): Promise<void> {
  const queue = [...files];
  const seen = new Set<string>();
  // When a named file is large, the worker starts before any file is parsed, and the small ones
  // are parsed there too: a cold parser on each thread cost the time of a second cold start
  // (29 corpus runbooks: 0.4 s on each thread, one after the other).
  const named = new Map(files.slice(0, PRIME_MAX_FILES).map((file) => [file, readyToRead(file)] as const));
  for (const ready of named.values()) if (ready !== true && ready > INLINE_MAX_CHARS) warmParser(ready);
  while (queue.length > 0 && seen.size < PRIME_MAX_FILES) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const ready = named.get(file) ?? readyToRead(file);
    // A large file is parsed on the worker, which starts now; a small one here, unless the
    // worker has started.
    if (ready !== true && ready > INLINE_MAX_CHARS) warmParser(ready);
    else if (ready !== true && !parserThreadStarted()) await loadParser();
    if (links) queue.push(...linkedFiles(readRunbookFileSync(file).runbook));
  }
}

/**
 * A memoising loader for lint and plan: each linked file is read and parsed once.
 * Returns undefined when the file does not exist or cannot be read.
 * @param parsed files already read and parsed, by the path a link resolves to (lint's own files)
 */
export function createRunbookCache(parsed?: ReadonlyMap<string, LoadedRunbook>): (file: string) => Runbook | undefined {
  const cache = new Map<string, Runbook | undefined>();
  for (const [file, loaded] of parsed ?? []) {
    cache.set(file, loaded.runbook.diagnostics.some((d) => d.code === 'read-error' || (d.code === 'untrusted-file' && d.severity === 'error')) ? undefined : loaded.runbook);
  }
  return (file) => {
    if (!cache.has(file)) {
      const loaded = readRunbookFileSync(file);
      const unreadable = loaded.runbook.diagnostics.some((d) => d.code === 'read-error' || (d.code === 'untrusted-file' && d.severity === 'error'));
      cache.set(file, unreadable ? undefined : loaded.runbook);
    }
    return cache.get(file);
  };
}

/** `*.md` files under the given paths (directories recursively, skipping dot- and node_modules dirs). */
export function collectMarkdownFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => compareText(a.name, b.name))) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && /\.md$/i.test(entry.name)) files.push(path);
    }
  };
  for (const path of paths) {
    try {
      if (statSync(path).isDirectory()) walk(path);
      else files.push(path);
    } catch {
      missing.push(path);
    }
  }
  return { files, missing };
}
