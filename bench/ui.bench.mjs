// TUI costs, measured in this run on this machine (shared and noisy: medians of several runs).
// - start to first full frame: `stepgate FILE` in a real pty at 80x24 until the whole runbook
//   view (with its key hints) is on the screen, against a bare Ink "hello" render in the same
//   kind of pty, same run;
// - key-to-frame latency while a step floods output: j/k move the selection while the running
//   step prints millions of lines; time from the key to the frame that shows the move; and
//   stepgate's resident memory after the flood.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import xterm from '@xterm/headless';

import { cli, goal, load } from './lib.mjs';
const dir = mkdtempSync(join(tmpdir(), 'stepgate-ui-bench-'));
const COLS = 80;
const ROWS = 24;
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const p95 = (v) => [...v].sort((a, b) => a - b)[Math.min(v.length - 1, Math.floor(v.length * 0.95))];
const ms = (n) => `${n.toFixed(1)} ms`;

function spawn(args, env = {}) {
  const term = new xterm.Terminal({ cols: COLS, rows: ROWS, allowProposedApi: true });
  const child = pty.spawn(process.execPath, args, {
    name: 'xterm-256color',
    cols: COLS,
    rows: ROWS,
    cwd: dir,
    env: { ...process.env, CI: 'false', NO_COLOR: '1', STEPGATE_STATE_DIR: join(dir, 'state'), ...env },
  });
  // The screen is looked at each time xterm has parsed a chunk, never polled: a poll every
  // millisecond took CPU from stepgate and the step on this 2-core machine (the plain run it
  // is compared with has no such observer), and the TUI's output is a few frames a second.
  const watchers = new Set();
  child.onData((data) => {
    term.write(data, () => {
      for (const check of [...watchers]) check();
    });
  });
  const exited = new Promise((r) => child.onExit(r));
  const screen = () => {
    const b = term.buffer.active;
    const lines = [];
    for (let i = 0; i < ROWS; i++) lines.push(b.getLine(b.viewportY + i)?.translateToString(true) ?? '');
    return lines.join('\n');
  };
  /** Resolves with the time (performance.now) the screen first satisfied `ok`. */
  const until = (ok, timeoutMs = 30_000) =>
    new Promise((resolve, reject) => {
      const check = () => {
        if (!ok(screen())) return;
        clearTimeout(timer);
        watchers.delete(check);
        resolve(performance.now());
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`timed out; screen:\n${screen()}`));
      }, timeoutMs);
      watchers.add(check);
      check();
    });
  return { child, screen, until, exited };
}

// The project's own Ink and React, by URL, so the script can live in the temporary directory.
const HELLO = `import { createElement } from '${import.meta.resolve('react')}'; import { render, Text } from '${import.meta.resolve('ink')}';
const app = render(createElement(Text, null, 'hello from ink'));
setTimeout(() => app.unmount(), 300);`;
const helloPath = join(dir, 'hello.mjs');
writeFileSync(helloPath, HELLO);

function runbook(steps) {
  const parts = ['---', 'title: UI bench', '---', '# UI bench', '', '## Flood', '', 'Prints a lot.', '', '```bash {name=flood timeout=5m}', "yes 'flood line 0123456789 abcdefghijklmnopqrstuvwxyz' | head -n 5000000", '```', ''];
  for (let i = 0; i < steps; i++) parts.push(`## Section ${i}`, '', `Step ${i} does a small thing.`, '', `\`\`\`bash {name=s${i}}`, `echo ${i}`, '```', '');
  return parts.join('\n');
}
const file = join(dir, 'bench.md');
writeFileSync(file, runbook(40));

const startRuns = Number(process.env.BENCH_RUNS ?? 5);
console.log(`ui: load ${load()} at the start`);
const hello = [];
const first = [];
for (let i = 0; i < startRuns; i++) {
  // Both with React's production build (stepgate's tui loads it).
  let t0 = performance.now();
  const h = spawn([helloPath], { NODE_ENV: 'production' });
  hello.push((await h.until((s) => s.includes('hello from ink'))) - t0);
  await h.exited;

  t0 = performance.now();
  const t = spawn([cli, file]);
  first.push((await t.until((s) => s.includes('enter run') && s.includes('UI bench'))) - t0);
  t.child.write('q');
  await t.exited;
}

// Key-to-frame latency while the flood step runs, and the TUI's memory meanwhile.
const statusMb = (pid, field) => {
  try {
    return Number(new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
  } catch {
    return NaN;
  }
};
const rssOf = (pid) => statusMb(pid, 'VmRSS');
// The TUI's own process: with tmux on PATH the pty holds the launcher, and the TUI runs in
// the private tmux server, which names its pid in the registry (src/commands/detach.ts).
const tuiPid = (launcher) => {
  const registry = join(dir, 'state', 'detach');
  for (const token of existsSync(registry) ? readdirSync(registry) : []) {
    try {
      return JSON.parse(readFileSync(join(registry, token, 'session.json'), 'utf8')).pid;
    } catch {
      // not this one, or not written yet
    }
  }
  return launcher;
};
// BENCH_TUI_IN_PLACE=1: the flood in a TUI that runs in place (no private tmux: the operator's
// own tmux or screen, or no tmux installed), which starts without the TUI's node flags.
const inPlace = process.env.BENCH_TUI_IN_PLACE === '1';
const t = spawn([cli, file], inPlace ? { STEPGATE_DETACH: '0' } : {});
await t.until((s) => s.includes('enter run'));
const floodStart = performance.now();
t.child.write('\r');
await t.until((s) => s.includes('RUNNING flood') && s.includes('flood line'));
const rss = [];
const measured = tuiPid(t.child.pid);
const sampler = setInterval(() => rss.push(rssOf(measured)), 250);
const latencies = [];
let floodEnded = false;
for (let i = 0; i < 40; i++) {
  const down = i % 2 === 0;
  const t0 = performance.now();
  t.child.write(down ? 'j' : 'k');
  const target = down ? />\[ \] s0: Step 0/ : />\[>\] flood/;
  const at = await t.until((s) => target.test(s));
  latencies.push(at - t0);
  if (!t.screen().includes('RUNNING flood')) {
    floodEnded = true;
    break;
  }
}
await t.until((s) => s.includes('[x] flood'), 300_000);
const tuiFloodMs = performance.now() - floodStart;
clearInterval(sampler);
// The kernel's high-water mark of the TUI's RSS since it started: the true peak, which the
// samples every 250 ms only approach.
const peakRss = statusMb(measured, 'VmHWM');
t.child.write('q');
await t.exited;

// The same flood in plain mode (no TUI), for the UI's share of the cost.
const { execa } = await import('execa');
const plainStart = performance.now();
await execa(process.execPath, [cli, 'run', file, '--yes'], { cwd: dir, env: { ...process.env, STEPGATE_STATE_DIR: join(dir, 'state') }, stdin: 'ignore', stdout: 'ignore', reject: false });
const plainMs = performance.now() - plainStart;
rmSync(dir, { recursive: true, force: true });

console.log('## UI (bench/ui.bench.mjs)');
console.log('');
console.log(`start to first full frame, 80x24 pty, median of ${startRuns}: stepgate FILE ${ms(median(first))} (min ${ms(Math.min(...first))}); bare Ink "hello" ${ms(median(hello))} (min ${ms(Math.min(...hello))}); stepgate costs ${ms(median(first) - median(hello))} more`);
console.log(`key-to-frame (j/k) while a step prints 5,000,000 lines: median ${ms(median(latencies))}, p95 ${ms(p95(latencies))}, max ${ms(Math.max(...latencies))} over ${latencies.length} keys${floodEnded ? ' (the flood ended during the measurement)' : ''}`);
console.log(`the 5,000,000-line step (~270 MB) in the TUI: ${ms(tuiFloodMs)} (keys pressed throughout) vs the whole plain \`stepgate run\` of the same runbook: ${ms(plainMs)}`);
console.log(`TUI resident memory during the flood (every 250 ms, ${measured === t.child.pid ? 'the process in the pty' : 'the TUI inside tmux, not its launcher'}): median ${median(rss).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB; peak since its start (VmHWM) ${peakRss.toFixed(0)} MB`);

goal({
  what: 'TUI: start to first full frame (80x24 pty, median of 5)',
  ours: ms(median(first)),
  baseline: `a bare Ink <Text>hello</Text> in the same pty ${ms(median(hello))}`,
  ratio: `${(median(first) / median(hello)).toFixed(2)}x`,
  target: '<= 1.2x',
  met: median(first) <= 1.2 * median(hello),
});
goal({
  what: 'TUI: the 5,000,000-line step, keys pressed throughout',
  ours: `${ms(tuiFloodMs)}, RSS median ${median(rss).toFixed(0)} MB, max ${Math.max(...rss).toFixed(0)} MB, peak (VmHWM) ${peakRss.toFixed(0)} MB`,
  baseline: `the plain run of the same runbook ${ms(plainMs)}`,
  ratio: `${(tuiFloodMs / plainMs).toFixed(2)}x`,
  target: '<= 1.1x plain; RSS <= 120 MB',
  met: tuiFloodMs <= 1.1 * plainMs && median(rss) <= 120,
});
