// Run a command, print each output line with ms since start, and the exit time.
import { spawn } from 'node:child_process';
const t0 = performance.now();
const c = spawn(process.argv[2], process.argv.slice(3), { stdio: ['ignore', 'pipe', 'pipe'] });
const st = (n) => (performance.now() - t0).toFixed(0).padStart(6);
for (const s of [c.stdout, c.stderr]) s.on('data', (d) => { for (const l of String(d).split('\n')) if (l) console.log(st(), l.slice(0, 100)); });
c.on('exit', (code) => console.log(st(), 'exit', code));
