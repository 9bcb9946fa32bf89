import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, and `shared/` beside it (the reference guide and the corpus; CI has it too). */
export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SHARED = resolve(ROOT, '..', 'shared');
export const GUIDE = resolve(SHARED, 'reference', 'deploy-ops.md');
export const CORPUS = resolve(SHARED, 'corpus');
export const CLI = resolve(ROOT, 'dist', 'cli.js');
