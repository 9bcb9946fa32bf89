/**
 * Runbooks for engine tests, parsed by the real parser from markdown held in memory:
 * `memoryRunbooks({ '/rb/deploy.md': '...' })` gives a `loadRunbook` for SessionDeps.
 */
import { createHash } from 'node:crypto';
import { parseRunbook } from '../../src/runbooks/parse.js';
import type { LoadedRunbook } from '../../src/session/plan.js';

export interface MemoryRunbooks {
  files: Map<string, string>;
  load(file: string): Promise<LoadedRunbook>;
}

export function memoryRunbooks(files: Record<string, string>): MemoryRunbooks {
  const map = new Map(Object.entries(files));
  return {
    files: map,
    async load(file: string): Promise<LoadedRunbook> {
      const text = map.get(file);
      if (text === undefined) throw new Error(`no such file: ${file}`);
      return { runbook: parseRunbook(text, file), text, sha256: createHash('sha256').update(text).digest('hex') };
    },
  };
}
