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
 * The deadline counts the parser thread's own CPU time (Linux: /proc/self/task/TID/stat, the
 * worker says its TID when it starts), not the whole process's: V8's helper threads compile and
 * mark for the parser meanwhile, and counting them refused a legitimate 10,000-line runbook
 * (1.1 s of parse) half the time at load 1, with 2 s of process CPU in 1.3 s of wall time.
 * Elsewhere the process's CPU time stands in.
 *
 * CPU time alone made "2 s of parse" 2.5 to 3.1 s of wall time at load 2 (the parser got two
 * thirds of a core), so the deadline also holds in wall time once the parser has had a good
 * share of a core: refused past the deadline in wall time when its thread has used at least
 * WALL_CAP_FLOOR of it in CPU time. A starved parser (load 10) still gets the whole deadline in
 * CPU time, so a legitimate runbook is not refused for the machine's load: the 10,002-line
 * benchmark runbook takes 0.5 to 0.8 s of the parser thread's CPU time, start-up included,
 * under the floor's 1.2 s.
 *
 * The worker is started as soon as a command knows it has a large file to parse (`warmParser`,
 * from load.ts), so its start-up (a thread, the parser's code) overlaps the command's own, and
 * the parser is then not loaded on the main thread at all.
 *
 * The callers are synchronous (`readRunbookFileSync`), so the wait is too: the worker answers on
 * a MessageChannel and wakes the caller through a shared Int32Array (Atomics.wait), and the
 * answer is taken with receiveMessageOnPort, without the event loop. One worker serves the
 * process (warm for the next file) and never keeps it alive (unref).
 *
 * The worker is this very module started again (its own URL, so it works bundled); from the
 * TypeScript sources (tests in-process) there is no loader for a thread, so it parses in place.
 */
import { readFileSync, readlinkSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { MessageChannel, Worker, isMainThread, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import { emptyRunbook } from '../runbooks/empty.js';
import type { Runbook } from '../runbooks/model.js';

type Parse = (text: string, file: string) => Runbook;
const loadParse = async (): Promise<Parse> => (await import('../runbooks/parse.js')).parseRunbook;

/** CPU time a parse may take, the worker's start-up included (issue 13: 2 s on 2 cores). */
export const PARSE_DEADLINE_MS = 2_000;
/** The worker's old-generation heap: with its young generation and the main thread's heap, the process stays under 300 MB. */
export const PARSE_HEAP_MB = 128;
/**
 * The worker's young generation. 64 MB halved the collections of a cold 10,002-line parse (53
 * to 27) and, with no free core, its GC pauses; at load 2 the lint took as long (1.37 s against
 * 1.31 s, median of 9, interleaved) and peaked 43 MB higher (153 against 110 MB): V8's parallel
 * scavenge has the other core then. Kept at 16.
 */
export const PARSE_YOUNG_MB = 16;
/**
 * The worker's old generation as it starts. V8 starts it small and grows it at each full
 * collection: a cold 10,002-line parse, whose live heap stays near 10 MB, made four
 * mark-compacts of 18 to 63 ms each on the way (--trace-gc); starting at 64 MB it makes none.
 * resourceLimits has no such setting and a worker's execArgv takes no V8 flag, so it is set
 * for the isolates created after it (V8 reads it when it configures a new heap); the main
 * thread's heap is configured already and stays as it was.
 */
export const PARSE_INITIAL_OLD_MB = 64;
/** Files up to this size are parsed in place (a thread costs about 50 ms and 12 MB): bounds.ts refuses the shapes that are slow in a file this small, and unclosed emphasis, the worst left, takes 0.1 s here. */
export const INLINE_MAX_CHARS = 8 * 1024;

/** The share of the deadline in CPU time past which the deadline holds in wall time too. */
export const WALL_CAP_FLOOR = 0.6;

const TAG = 'stepgate-parse-bounded';
/** How often the caller looks at the parser's CPU time while it waits. */
const CHECK_EVERY_MS = 25;
/** Wall time allowed, as a multiple of the deadline, however little CPU the parser got. */
const WALL_BACKSTOP = 5;
/** CPU time (user + system) of the whole process, all threads (the parser's and V8's helpers). */
function processCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Linux's USER_HZ, the unit of /proc's CPU times: 100 on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) of one thread of this process, or undefined where /proc cannot say. */
export function threadCpuMs(tid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'latin1');
    // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return Number.isFinite(ticks) ? (ticks * 1000) / TICKS_PER_SECOND : undefined;
  } catch {
    return undefined;
  }
}

/** The calling thread's id in the kernel (the worker's, when called there), where /proc has it. */
export function ownThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

interface Parser {
  worker: Worker;
  port: MessagePort;
  flag: Int32Array;
  /** The worker's kernel thread id, once it has said it. */
  tid?: number;
  /** When it was started, while it has had no parse: its start-up is its first parse's, in wall time as in CPU time. */
  startedAt?: number;
}

type FromWorker = { tid: number | undefined } | { runbook: Runbook };

let parser: Parser | undefined;

function startParser(): Parser {
  const shared = new SharedArrayBuffer(4);
  const { port1, port2 } = new MessageChannel();
  setFlagsFromString(`--initial-old-space-size=${PARSE_INITIAL_OLD_MB}`);
  const worker = new Worker(new URL(import.meta.url), {
    workerData: { tag: TAG, port: port2, shared },
    transferList: [port2],
    resourceLimits: { maxOldGenerationSizeMb: PARSE_HEAP_MB, maxYoungGenerationSizeMb: PARSE_YOUNG_MB },
  });
  // Out of heap, the worker dies with an error event; the caller has stopped waiting by then.
  worker.on('error', () => undefined);
  worker.unref();
  port1.unref();
  return { worker, port: port1, flag: new Int32Array(shared), startedAt: Date.now() };
}

/** Starts the worker for a file of `chars` characters when it will be parsed there (the parser loads meanwhile). */
export function warmParser(chars: number, env: NodeJS.ProcessEnv = process.env): void {
  if (fromSources || (chars <= INLINE_MAX_CHARS && env['STEPGATE_PARSE_DEADLINE_MS'] === undefined)) return;
  try {
    parser ??= startParser();
  } catch {
    // No threads here: the parse says so, or parses in place.
  }
}

/** Whether a worker parses for this process (then a small file goes to it too, while this thread has not loaded the parser). */
export function parserThreadStarted(): boolean {
  return parser !== undefined;
}

function deadlineFrom(env: NodeJS.ProcessEnv): number {
  const ms = Number(env['STEPGATE_PARSE_DEADLINE_MS']);
  return Number.isFinite(ms) && ms > 0 ? ms : PARSE_DEADLINE_MS;
}

function tooComplex(file: string, ms: number): Runbook {
  const runbook = emptyRunbook(file);
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

/**
 * The parser on this thread, once loaded. The markdown and YAML code is a third of the bundle
 * and a command whose runbooks all come from the parse cache never needs it, so it is loaded
 * by `loadParser` when a command is about to parse; a parse before that goes to the worker.
 * From the sources there is no worker, so it is loaded at once.
 */
let here: Parse | undefined = fromSources ? await loadParse() : undefined;

/** Loads the parser on this thread (small files are then parsed here, without a worker). */
export async function loadParser(): Promise<void> {
  here ??= await loadParse();
}

/**
 * Whether a parse that has used `spentMs` of its thread's CPU time in `wallMs` is past a
 * deadline of `deadlineMs`. CPU time: an idle machine gives the same, and a busy one (load 10
 * on 2 cores) slows a parse without failing it. Wall time too once the parser has had a good
 * share of a core, and five times the deadline in wall time at most.
 */
export function pastDeadline(spentMs: number, wallMs: number, deadlineMs: number): boolean {
  return spentMs >= deadlineMs || (wallMs >= deadlineMs && spentMs >= deadlineMs * WALL_CAP_FLOOR) || wallMs >= deadlineMs * WALL_BACKSTOP;
}

/** `parseRunbook`, bounded in time and memory for files large enough to need it. */
export function parseRunbookBounded(text: string, file: string, env: NodeJS.ProcessEnv = process.env): Runbook {
  const forced = env['STEPGATE_PARSE_DEADLINE_MS'] !== undefined;
  if (here && (fromSources || (text.length <= INLINE_MAX_CHARS && !forced))) return here(text, file);
  let current: Parser;
  try {
    current = parser ??= startParser();
  } catch {
    if (here) return here(text, file); // no threads here: unbounded, as before
    throw new Error('stepgate: cannot start a thread to parse the runbook, and the parser was not loaded');
  }
  const ms = deadlineFrom(env);
  const started = current.startedAt ?? Date.now();
  current.startedAt = undefined;
  // The parser's CPU time: its thread's once known, else the process's (this thread only waits).
  const cpu = (): number => (current.tid !== undefined ? threadCpuMs(current.tid) : undefined) ?? processCpuMs();
  let cpuBefore = cpu();
  Atomics.store(current.flag, 0, 0);
  current.port.postMessage({ text, file });
  for (;;) {
    const answer = receiveMessageOnPort(current.port) as { message: FromWorker } | undefined;
    if (answer) {
      const said = answer.message;
      if ('runbook' in said) return said.runbook;
      // A new worker's first word: its thread's whole life so far (its start-up) was for this parse.
      current.tid = said.tid;
      if (current.tid !== undefined && threadCpuMs(current.tid) !== undefined) cpuBefore = 0;
      continue;
    }
    const wall = Date.now() - started;
    const spent = cpu() - cpuBefore;
    if (pastDeadline(spent, wall, ms)) break;
    Atomics.wait(current.flag, 0, 0, Math.min(CHECK_EVERY_MS, Math.max(1, ms - Math.min(spent, wall))));
  }
  parser = undefined;
  void current.worker.terminate();
  return tooComplex(file, ms);
}

if (!isMainThread && (workerData as { tag?: unknown } | null)?.tag === TAG) {
  const { port, shared } = workerData as { port: MessagePort; shared: SharedArrayBuffer };
  const flag = new Int32Array(shared);
  port.postMessage({ tid: ownThreadId() } satisfies FromWorker);
  const parse = loadParse();
  port.on('message', ({ text, file }: { text: string; file: string }) => {
    void parse.then((parseRunbook) => {
      port.postMessage({ runbook: parseRunbook(text, file) } satisfies FromWorker);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
    });
  });
}
