/**
 * Reading and parsing several runbook files at once (`stepgate lint` of a directory): a worker
 * thread parses part of them while the main thread parses the rest. Parsing is nearly all of
 * lint's time (micromark), and a fresh thread costs its own start-up (loading the markdown and
 * YAML code, a cold JIT), so a worker is started only when there is enough to parse; otherwise,
 * or when a worker cannot start, everything is parsed here, with the same result.
 *
 * The worker is this very module, started again on a worker thread (its own URL, so it works
 * bundled and from the sources alike): the code at the bottom runs only there.
 */
import { availableParallelism, loadavg } from 'node:os';
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
 * Threads to parse on: one per core, but only when a core is free (a busy machine gives a
 * worker no core of its own: it would only add its start-up). `STEPGATE_LINT_THREADS` fixes
 * the number (tests compare 1 and 2).
 */
function threadCount(env: NodeJS.ProcessEnv): number {
  const fixed = Number(env['STEPGATE_LINT_THREADS']);
  if (Number.isInteger(fixed) && fixed >= 1) return fixed;
  const cores = availableParallelism();
  return loadavg()[0]! < cores - 0.5 ? cores : 1;
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
