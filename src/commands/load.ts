/**
 * Reading runbook files from disk for the commands. The parser itself is pure; this is where
 * the file system, size limits and content hashes live.
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_RUNBOOK_CHARS, parseRunbook, type Runbook } from '../runbooks/index.js';
import { trustVerdict } from './trust.js';

export interface LoadedRunbook {
  runbook: Runbook;
  text: string;
  sha256: string;
}

function failed(file: string, code: 'read-error' | 'file-too-large' | 'untrusted-file', message: string): LoadedRunbook {
  const runbook = parseRunbook('', file);
  runbook.diagnostics = [{ file, line: 1, column: 1, severity: 'error', code, message }];
  return { runbook, text: '', sha256: '' };
}

export function readRunbookFileSync(file: string): LoadedRunbook {
  let bytes: Buffer;
  const trust = trustVerdict(file);
  if (trust?.refuse !== undefined) return failed(file, 'untrusted-file', trust.refuse);
  try {
    const stat = statSync(file);
    if (stat.isDirectory()) return failed(file, 'read-error', `${file} is a directory; give a .md file`);
    // Refuse before reading: a 2 GB log mistaken for a runbook must not be pulled into memory.
    if (stat.size > MAX_RUNBOOK_CHARS * 4)
      return failed(file, 'file-too-large', `runbook is ${stat.size} bytes; the limit is ${MAX_RUNBOOK_CHARS} characters: split it into linked runbooks`);
    bytes = readFileSync(file);
  } catch (error) {
    const e = error as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'no such file' : e.code === 'EACCES' ? 'permission denied' : e.message;
    return failed(file, 'read-error', `cannot read ${file}: ${why}`);
  }
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
 * once per process; every caller gets its own diagnostics list to add to.
 */
const parsed = new Map<string, Runbook>();
const PARSED_KEPT = 64;

function parsedOnce(text: string, file: string, sha256: string): Runbook {
  const key = `${file}\0${sha256}`;
  let runbook = parsed.get(key);
  if (!runbook) {
    runbook = parseRunbook(text, file);
    if (parsed.size >= PARSED_KEPT) parsed.delete(parsed.keys().next().value as string);
    parsed.set(key, runbook);
  }
  return { ...runbook, diagnostics: [...runbook.diagnostics] };
}

export async function loadRunbookFile(file: string): Promise<LoadedRunbook> {
  return readRunbookFileSync(file);
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
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
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
