// Summarise a .cpuprofile: idle vs busy, and a timeline in buckets with the top self function.
import { readFileSync } from 'node:fs';
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const bucketMs = Number(process.argv[3] ?? 50);
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const parent = new Map();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
let t = p.startTime;
const buckets = [];
let idle = 0, total = 0;
const self = new Map();
for (let i = 0; i < p.samples.length; i++) {
  t += p.timeDeltas[i];
  const dt = (p.timeDeltas[i + 1] ?? 0) / 1000;
  const n = byId.get(p.samples[i]);
  const name = n.callFrame.functionName || '(anon)';
  const url = n.callFrame.url.replace(/.*node_modules\//, '').replace(/.*\/dist\//, 'dist/');
  const key = `${name} ${url}:${n.callFrame.lineNumber}`;
  total += dt;
  if (name === '(idle)') idle += dt;
  self.set(key, (self.get(key) ?? 0) + dt);
  const b = Math.floor((t - p.startTime) / 1000 / bucketMs);
  buckets[b] ??= new Map();
  buckets[b].set(key, (buckets[b].get(key) ?? 0) + dt);
}
console.log(`total ${total.toFixed(0)} ms, idle ${idle.toFixed(0)} ms`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 25)) console.log(v.toFixed(1).padStart(8), k);
if (process.argv[4] === 'timeline') buckets.forEach((m, i) => {
  if (!m) return;
  const top = [...m].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${v.toFixed(0)} ${k.slice(0, 60)}`);
  console.log(String(i * bucketMs).padStart(6), top.join(' | '));
});
