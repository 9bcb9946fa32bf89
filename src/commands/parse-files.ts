/**
 * Reading and parsing several runbook files at once (`stepgate lint` of a directory). The
 * files are parsed on one thread by default (the bounded parse worker takes the large ones, and
 * the small ones too when there is a large one); `STEPGATE_LINT_THREADS=N` splits them by size
 * into N groups, N - 1 of them on threads of their own, with the same result. That used to be
 * the default when a core was free, until it measured slower (see threadCount).
 *
 * The worker is this very module, started again on a worker thread (its own URL, so it works
 * bundled and from the sources alike): the code at the bottom runs only there.
 */
import { statSync } from 'node:fs';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { primeRunbooks, readRunbookFileSync, type LoadedRunbook } from './load.js';

/** Below this many bytes in all, a worker's start-up costs more than it saves (measured: docs/performance.md). */
export const WORKER_MIN_BYTES = 48 * 1024;

const TAG = 'stepgate-parse-files';

/** What a worker sends back: each file with its parse (the text is not needed by lint). */
type Parsed = Array<[string, LoadedRunbook]>;

function parseHere(files: readonly string[]): Parsed {
  return files.map((file) => {
    const { runbook, sha256 } = readRunbookFileSync(file);
    return [file, { runbook, text: '', sha256 }];
  });
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * Splits files into `parts` groups of about equal bytes (largest first, each to the lightest
 * group). Group 0 is the main thread's.
 */
export function splitBySize(files: readonly string[], sizes: readonly number[], parts: number): string[][] {
  const groups = Array.from({ length: parts }, () => ({ bytes: 0, files: [] as string[] }));
  const order = files.map((file, i) => ({ file, size: sizes[i] ?? 0 })).sort((a, b) => b.size - a.size);
  for (const { file, size } of order) {
    const lightest = groups.reduce((min, g) => (g.bytes < min.bytes ? g : min));
    lightest.files.push(file);
    lightest.bytes += size;
  }
  return groups.map((g) => g.files);
}

function parseInWorker(files: string[]): Promise<Parsed> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL(import.meta.url), { workerData: { tag: TAG, files } });
    worker.once('message', (parsed: Parsed) => {
      resolve(parsed);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the parse worker exited with ${code}`)));
  });
}

/**
 * Threads to parse on: one, unless `STEPGATE_LINT_THREADS` says (tests compare 1 and 2). Since
 * the main thread hands its files to the bounded parse worker (parse-bounded.ts), a second group
 * on a thread of its own only adds a cold parser: the 29 corpus runbooks took 1.00 to 1.17 s on
 * two threads against 0.91 to 1.10 on one, four copies of them 1.89 to 2.06 s against 1.72 to
 * 1.82 (at load 1.3 to 2, session 17).
 */
function threadCount(env: NodeJS.ProcessEnv): number {
  const fixed = Number(env['STEPGATE_LINT_THREADS']);
  return Number.isInteger(fixed) && fixed >= 1 ? fixed : 1;
}

/** Every file read and parsed (a missing or unreadable one carries its read-error diagnostic), by file. */
export async function parseFiles(files: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Map<string, LoadedRunbook>> {
  const sizes = files.map(sizeOf);
  const total = sizes.reduce((a, b) => a + b, 0);
  const forced = env['STEPGATE_LINT_THREADS'] !== undefined;
  const threads = Math.min(threadCount(env), files.length);
  if (threads < 2 || (total < WORKER_MIN_BYTES && !forced)) {
    await primeRunbooks(files);
    return new Map(parseHere(files));
  }
  const [mine = [], ...theirs] = splitBySize(files, sizes, threads);
  const pending = theirs.map((group) => parseInWorker(group).catch(() => parseHere(group)));
  await primeRunbooks(mine);
  const results = [parseHere(mine), ...(await Promise.all(pending))];
  return new Map(results.flat());
}

if (!isMainThread && (workerData as { tag?: unknown } | null)?.tag === TAG) {
  const { files } = workerData as { files: string[] };
  await primeRunbooks(files, { links: false });
  parentPort?.postMessage(parseHere(files));
}
