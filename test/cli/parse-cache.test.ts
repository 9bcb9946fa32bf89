/**
 * The parse cache (src/commands/parse-cache.ts) with the built CLI: a second `plan` of the same
 * runbook reads the kept parse and prints exactly what the first printed; an edited runbook is
 * parsed afresh; entries are private, and one that is not (or that was made for another file)
 * is never used; `STEPGATE_PARSE_CACHE=off` keeps nothing.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';

let dir: string;
let state: string;
const cacheDir = (): string => join(state, 'parse-cache');
const entries = (): string[] => {
  try {
    return readdirSync(cacheDir()).filter((n) => n.endsWith('.v8'));
  } catch {
    return [];
  }
};

const runbook = (command: string): string => `# Cached\n\nFirst.\n\n\`\`\`bash {name=first}\n${command}\n\`\`\`\n`;

function plan(file: string, env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, 'plan', file], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', CI: 'true', STEPGATE_STATE_DIR: state, STEPGATE_PARSE_CACHE: '', ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-parse-cache-'));
  state = join(dir, 'state');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the parse cache', () => {
  it('keeps a parse privately and gives the same plan from it', () => {
    writeFileSync(join(dir, 'a.md'), runbook('echo from-a'));
    const first = plan('a.md');
    expect(first).toContain('echo from-a');
    expect(entries()).toHaveLength(1);
    const [entry] = entries();
    expect(statSync(join(cacheDir(), entry!)).mode & 0o777).toBe(0o600);
    expect(statSync(cacheDir()).mode & 0o777).toBe(0o700);
    const before = readFileSync(join(cacheDir(), entry!));
    expect(plan('a.md')).toBe(first);
    // Read, not rewritten: the second plan came from the entry.
    expect(readFileSync(join(cacheDir(), entry!))).toEqual(before);
  });

  it('parses an edited runbook afresh', () => {
    writeFileSync(join(dir, 'a.md'), runbook('echo before'));
    expect(plan('a.md')).toContain('echo before');
    writeFileSync(join(dir, 'a.md'), runbook('echo after-edit'));
    const edited = plan('a.md');
    expect(edited).toContain('echo after-edit');
    expect(edited).not.toContain('echo before');
    expect(entries()).toHaveLength(2);
  });

  it('uses an entry only when it is private and made for this file and these bytes', () => {
    writeFileSync(join(dir, 'a.md'), runbook('echo from-a'));
    writeFileSync(join(dir, 'b.md'), runbook('echo from-b'));
    plan('a.md');
    const [aEntry] = entries();
    plan('b.md');
    const bEntry = entries().find((n) => n !== aEntry)!;
    // a's entry put where b's belongs (both the user's own files): made for another file, not used.
    copyFileSync(join(cacheDir(), aEntry!), join(cacheDir(), bEntry));
    expect(plan('b.md')).toContain('echo from-b');

    // An entry changed to say something else, left writable by others: not used.
    const path = join(cacheDir(), aEntry!);
    const entry = deserialize(readFileSync(path)) as { runbook: { steps: { script: string }[] } };
    for (const step of entry.runbook.steps) step.script = 'echo planted';
    writeFileSync(path, serialize(entry));
    chmodSync(path, 0o600);
    // As private as the user's own files, it is trusted as they are (the cache is what ran before).
    expect(plan('a.md')).toContain('echo planted');
    writeFileSync(path, serialize(entry));
    chmodSync(path, 0o666);
    const shown = plan('a.md');
    expect(shown).toContain('echo from-a');
    expect(shown).not.toContain('planted');
  });

  it('keeps nothing with STEPGATE_PARSE_CACHE=off', () => {
    writeFileSync(join(dir, 'a.md'), runbook('echo from-a'));
    plan('a.md', { STEPGATE_PARSE_CACHE: 'off' });
    expect(entries()).toEqual([]);
  });
});
