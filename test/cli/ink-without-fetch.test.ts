import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/paths.js';

// The built TUI loads Ink's layout engine (yoga, WebAssembly inlined as base64) without Node's
// fetch, whose first call loads undici before the first frame (issue 14; scripts/build.mjs).
describe('the bundled layout engine', () => {
  const dist = join(ROOT, 'dist');
  const inputs = JSON.parse(readFileSync(join(dist, 'bundle-inputs.json'), 'utf8')) as Record<string, string[]>;
  const yogaChunk = Object.keys(inputs).find((out) => inputs[out]?.some((input) => input.endsWith('yoga-layout/dist/binaries/yoga-wasm-base64-esm.js')));

  it('is in one chunk of dist/ (npm test builds it first)', () => {
    expect(yogaChunk).toBeDefined();
  });

  it('instantiates its WebAssembly without loading undici', () => {
    const url = pathToFileURL(join(dist, yogaChunk ?? 'missing.js')).href;
    // The import settles only once yoga's WebAssembly is instantiated (a top-level await): a
    // loader that could not decode it would reject here instead.
    const probe = `await import(${JSON.stringify(url)});
      const loaded = process.moduleLoadList.filter((m) => /undici/.test(m));
      console.log(JSON.stringify({ ok: true, loaded }));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout.trim())).toEqual({ ok: true, loaded: [] });
  });

  it('loads undici when fetch is called, so the probe above can see it', () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `await fetch('data:,x'); console.log(process.moduleLoadList.some((m) => /undici/.test(m)))`], { encoding: 'utf8' });
    expect(r.stdout.trim()).toBe('true');
  });
});
