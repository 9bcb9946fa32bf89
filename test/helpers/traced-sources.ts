/**
 * What a process traced by test/helpers/trace-imports.mjs ran, as sources: a file of dist/
 * stands for the sources bundled into it (dist/bundle-inputs.json); one dist/ does not know
 * comes out as `unmapped URL`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ROOT } from './paths.js';

export function tracedSources(traceFile: string): string[] {
  const bundled = JSON.parse(readFileSync(join(ROOT, 'dist', 'bundle-inputs.json'), 'utf8')) as Record<string, string[]>;
  const distUrl = pathToFileURL(join(ROOT, 'dist')).href + '/';
  return readFileSync(traceFile, 'utf8')
    .split('\n')
    .filter((url) => url.startsWith('file:'))
    .flatMap((url) => (url.startsWith(distUrl) ? (bundled[url.slice(distUrl.length)] ?? [`unmapped ${url}`]) : [fileURLToPath(url)]));
}
