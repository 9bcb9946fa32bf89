import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

// The TUI's launcher (`stepgate FILE` on a terminal outside tmux) is on the path to the first
// frame: it starts the private tmux server, and the TUI starts again inside it. What it loads
// before that is paid twice (issue 14), so it loads neither node:crypto nor the session's
// journal reader and reducer (a runbook that no journal names has no session to offer).
describe('the TUI launcher, as built', () => {
  const dist = join(ROOT, 'dist');
  const inputs = JSON.parse(readFileSync(join(dist, 'bundle-inputs.json'), 'utf8')) as Record<string, string[]>;
  const chunkOf = (source: string): string | undefined => Object.keys(inputs).find((out) => inputs[out]?.includes(source));
  const tuiChunk = chunkOf('src/commands/tui.ts');

  /** The module list of a node that imported the launcher's chunk (and what it imports statically). */
  const loadedBy = (chunk: string): string[] => {
    const url = pathToFileURL(join(dist, chunk)).href;
    const probe = `await import(${JSON.stringify(url)}); console.log(JSON.stringify(process.moduleLoadList));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout.trim()) as string[];
  };

  it('does not load node:crypto', () => {
    expect(tuiChunk).toBeDefined();
    expect(loadedBy(tuiChunk ?? 'missing.js').filter((m) => /\bcrypto\b/.test(m))).toEqual([]);
  });

  it('does not hold the journal reader or the reducer in the chunks it imports statically', () => {
    const chunks = new Set<string>();
    const walk = (chunk: string): void => {
      if (chunks.has(chunk)) return;
      chunks.add(chunk);
      const text = readFileSync(join(dist, chunk), 'utf8');
      for (const m of text.matchAll(/(?:from|import)\s*"\.\/([^"]+)"/g)) walk(join('chunks', m[1] ?? ''));
    };
    walk(tuiChunk ?? 'missing.js');
    const sources = [...chunks].flatMap((c) => inputs[c] ?? []);
    expect(sources).toContain('src/commands/detach.ts');
    expect(sources.filter((s) => /journal-read|reducer/.test(s))).toEqual([]);
  });

  it('would see crypto in the module list if a chunk loaded it (the probe can fail)', () => {
    const runChunk = chunkOf('src/commands/run.ts');
    expect(loadedBy(runChunk ?? 'missing.js').some((m) => /\bcrypto\b/.test(m))).toBe(true);
  });
});
