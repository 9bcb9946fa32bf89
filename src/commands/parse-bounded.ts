/**
 * Parsing a runbook within a deadline and a heap limit. micromark parses a few hundred KB a
 * second here and some shapes cost far more than their size, so a large file (one that may be
 * slow) is parsed on a worker thread with `resourceLimits`, and the caller waits until the
 * process has used the deadline in CPU time (five times it in wall time at most, so a loaded
 * machine slows a parse without failing it): past it, or when the worker runs out of heap and
 * dies, the worker is ended and
 * the runbook carries a `too-complex` diagnostic instead of a parse. The shapes known to be
 * slow in a small file (deep nesting, long lines) are refused by the parser itself
 * (src/runbooks/bounds.ts), so a small file is parsed here, without a thread's start-up.
 *
 * The callers are synchronous (`readRunbookFileSync`), so the wait is too: the worker answers on
 * a MessageChannel and wakes the caller through a shared Int32Array (Atomics.wait), and the
 * answer is taken with receiveMessageOnPort, without the event loop. One worker serves the
 * process (warm for the next file) and never keeps it alive (unref).
 *
 * The worker is this very module started again (its own URL, so it works bundled); from the
 * TypeScript sources (tests in-process) there is no loader for a thread, so it parses in place.
 */
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { parseRunbook, type Runbook } from '../runbooks/index.js';

/** CPU time a parse may take, the worker's start-up included (issue 13: 2 s on 2 cores). */
export const PARSE_DEADLINE_MS = 2_000;
/** The worker's old-generation heap: with the main thread's, the process stays under 300 MB. */
export const PARSE_HEAP_MB = 128;
/** Files up to this size are parsed in place (a thread costs about 50 ms and 12 MB): bounds.ts refuses the shapes that are slow in a file this small, and unclosed emphasis, the worst left, takes 0.1 s here. */
export const INLINE_MAX_CHARS = 8 * 1024;

const TAG = 'stepgate-parse-bounded';
/** How often the caller looks at the parser's CPU time while it waits. */
const CHECK_EVERY_MS = 50;
/** Wall time allowed, as a multiple of the deadline, however little CPU the parser got. */
const WALL_BACKSTOP = 5;
/** CPU time (user + system) of the whole process, all threads (the parser's and V8's helpers). */
function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

interface Parser {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
}

let parser: Parser | undefined;

function startParser(): Parser {
  const shared = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { tag: TAG, port: port2, shared },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: PARSE_HEAP_MB, maxYoungGenerationSizeMb: 16 },
  });
  // Out of heap, the worker dies with an error event; the caller has stopped waiting by then.
  worker.on('error', () => undefined);
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag: new Int32Array(shared) };
}

function deadlineFrom(env: NodeJS.ProcessEnv): number {
  const ms = Number(env['STEPGATE_PARSE_DEADLINE_MS']);
  return Number.isFinite(ms) && ms > 0 ? ms : PARSE_DEADLINE_MS;
}

function tooComplex(file: string, ms: number): Runbook {
  const runbook = parseRunbook('', file);
  runbook.diagnostics = [
    {
      file,
      line: 1,
      column: 1,
      severity: 'error',
      code: 'too-complex',
      message: `runbook could not be parsed within ${ms} ms of CPU time and ${PARSE_HEAP_MB} MB of heap (it is large, or built to be slow to parse): split it into linked runbooks`,
    },
  ];
  return runbook;
}

const fromSources = import.meta.url.endsWith('.ts');

/** `parseRunbook`, bounded in time and memory for files large enough to need it. */
export function parseRunbookBounded(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Runbook {
  const forced = env['STEPGATE_PARSE_DEADLINE_MS'] !== undefined;
  if (fromSources || (text.length <= INLINE_MAX_CHARS && !forced)) return parseRunbook(text, file);
  let current: Parser;
  try {
    current = parser ??= startParser();
  } catch {
    return parseRunbook(text, file); // no threads here: unbounded, as before
  }
  const ms = deadlineFrom(env);
  const started = Date.now();
  const cpuBefore = processCpuMs();
  Atomics.store(current.flag, 0, 0);
  current.port.postMessage({ text, file });
  for (;;) {
    const answer = receiveMessageOnPort(current.port) as { message: Runbook } | undefined;
    if (answer) return answer.message;
    // The deadline is CPU time spent meanwhile (this thread only waits): on an idle machine that
    // is the wall time, and a busy one (load 10 on 2 cores) slows a parse without failing it.
    const wall = Date.now() - started;
    const spent = processCpuMs() - cpuBefore;
    if (spent >= ms || wall >= ms * WALL_BACKSTOP) break;
    Atomics.wait(current.flag, 0, 0, Math.min(CHECK_EVERY_MS, Math.max(1, ms - spent)));
  }
  parser = undefined;
  void current.worker.terminate();
  return tooComplex(file, ms);
}

if (!isMainThread && (workerData as { tag?: unknown } | null)?.tag === TAG) {
  const { port, shared } = workerData as { port: MessagePort; shared: SharedArrayBuffer };
  const flag = new Int32Array(shared);
  port.on('message', ({ text, file }: { text: string; file: string }) => {
    port.postMessage(parseRunbook(text, file));
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
}
