// Session engine costs, measured in this run on this machine (shared and noisy: medians):
// - journal append + fsync per event (the price of "durable before the engine moves on");
// - replaying a long journal through the reducer (what `resume`, `sessions` and `log` pay);
// - a 300-step session driven through the store with an instant in-memory shell.
import { DEFAULT_POLICY } from '../src/session/next-move.ts';
import { walk } from '../src/session/walk.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// From the sources (bench/run.mjs runs this file under tsx); dist/ is bundled.
const { FileJournal } = await import(join(root, 'src/session/journal.ts'));
const { newSessionId } = await import(join(root, 'src/session/session-paths.ts'));
const { readJournal } = await import(join(root, 'src/session/journal-read.ts'));
const { replay } = await import(join(root, 'src/session/reducer.ts'));
const { createSessionStore } = await import(join(root, 'src/session/store.ts'));
const { parseRunbook } = await import(join(root, 'src/runbooks/parse.ts'));

const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const p95 = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length * 0.95)];
const dir = mkdtempSync(join(tmpdir(), 'stepgate-bench-'));

function runbook(steps) {
  const parts = ['# Bench', ''];
  for (let i = 0; i < steps; i++) parts.push(`## S${i}`, '', `Step ${i}.`, '', `\`\`\`bash {name=s${i}}`, `echo ${i}`, '```', '');
  return parts.join('\n');
}

/** A shell that answers every run at once: isolates the engine's own cost. */
function instantShell() {
  const listeners = new Set();
  return {
    user: 'bench',
    async run() { for (const l of listeners) l({ type: 'output', data: 'ok\n' }); return { exitCode: 0, durationMs: 0, timedOut: false, interrupted: false, shellExited: false }; },
    write() {}, interrupt() {}, resize() {},
    onEvent(l) { listeners.add(l); return () => listeners.delete(l); },
    screen() { return { lines: [], cols: 80, rows: 24 }; },
    clearScreen() {}, async close() {},
  };
}

async function driveSession(steps) {
  const id = newSessionId(Date.now());
  const journal = await FileJournal.open(join(dir, 'sessions'), id);
  const text = runbook(steps);
  const shell = instantShell();
  const store = createSessionStore({
    openShell: async () => shell,
    probe: async () => ({ ok: true, latencyMs: 0 }),
    clock: { now: () => Date.now(), sleep: async () => {} },
    journal,
    loadRunbook: async (file) => ({ runbook: parseRunbook(text, file), text, sha256: 'x' }),
    host: { who: () => ({ user: 'bench' }), host: 'h', pid: process.pid, cwd: dir, version: 'bench' },
    env: {},
    screenIntervalMs: 50,
  });
  const t0 = performance.now();
  await store.getState().actions.start({ file: 'bench.md' });
  // The one driver both faces use, under --yes's policy.
  await walk(store, { ...DEFAULT_POLICY, confirm: 'auto', depth: 1 });
  const ms = performance.now() - t0;
  await store.getState().actions.close();
  const status = store.getState().session.status.kind;
  return { ms, status, path: journal.path };
}

// 1. append + fsync latency
const journal = await FileJournal.open(join(dir, 'sessions'), newSessionId(0));
const lat = [];
for (let i = 0; i < 300; i++) {
  const t = performance.now();
  await journal.append({ type: 'session-resumed', at: Date.now(), who: { user: 'bench' }, pid: i, host: 'h' });
  lat.push(performance.now() - t);
}
await journal.close();
console.log(`journal append+fsync: median ${median(lat).toFixed(2)} ms, p95 ${p95(lat).toFixed(2)} ms (300 events)`);

// 2. a 300-step session through the store (2 events per step, each fsync'd)
const run = await driveSession(300);
console.log(`300-step session through the store (instant shell, real fsync'd journal): ${run.ms.toFixed(0)} ms, ${(run.ms / 300).toFixed(2)} ms/step, ended ${run.status}`);

// 3. replay of that journal, repeated for a median
const { events } = await readJournal(run.path);
const times = [];
for (let i = 0; i < 5; i++) {
  const t = performance.now();
  replay(events);
  times.push(performance.now() - t);
}
console.log(`replay of ${events.length} events: median ${median(times).toFixed(0)} ms (${((median(times) / events.length) * 1000).toFixed(0)} us/event)`);

// 4. Cutting a long output line into rows of 80 cells (the transcript viewer, the gate's tail):
// printable ASCII against the same line with one `é`, and a line of CJK and emoji. Measured by
// cells since session 24; a review's 250,000-character line with one `é` took 73 s through
// string-width before rows were measured a window at a time.
const { wrapKeepingText } = await import(join(root, 'src/session/word-wrap.ts'));
const ascii = '{"a":1,"b":"xyz"},'.repeat(14_000).slice(0, 250_000);
const lines = { ascii, 'one é': `café ${ascii.slice(5)}`, 'CJK and emoji': '部署 ✅ 👩\u200d💻 e\u0301 '.repeat(18_000).slice(0, 250_000) };
const wraps = {};
for (const [name, text] of Object.entries(lines)) {
  const t = [];
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    wrapKeepingText(text, 80);
    t.push(performance.now() - start);
  }
  wraps[name] = median(t);
}
console.log(`wrap a 250,000-character line into 80-cell rows: ${Object.entries(wraps).map(([name, ms]) => `${name} ${ms.toFixed(1)} ms`).join(', ')} (one é: ${(wraps['one é'] / wraps.ascii).toFixed(1)}x ASCII)`);
rmSync(dir, { recursive: true, force: true });
