// Markdown built to be slow to parse (issue 13 item 8), through the built CLI's `lint`: each
// must end, parsed or refused as too-complex, within 2 s of parse (the process adds its start,
// about 0.3 s) and 300 MB. Whole-process wall time and peak RSS, median of 3.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cli, goal, mb, measure, ms, repeat, root } from './lib.mjs';

const { HOSTILE_MARKDOWN } = await import(join(root, 'test/faults/hostile-markdown.ts'));
const WORST = ['plain runbook 3.9 MB', '20,000 task items in one list', '[ lines under the line limit, 3.9 MB', 'list nested 1,000 levels', 'unclosed emphasis, 32 KB in short lines'];

const dir = mkdtempSync(join(tmpdir(), 'stepgate-bench-hostile-'));
try {
  for (const name of WORST) {
    const make = HOSTILE_MARKDOWN.find(([n]) => n === name)?.[1];
    if (!make) throw new Error(`no generator named ${name}`);
    const file = join(dir, 'hostile.md');
    const text = make();
    writeFileSync(file, text);
    const r = repeat(3, () => measure(process.execPath, [cli, 'lint', file], { cwd: dir, env: { ...process.env, NO_COLOR: '1', CI: 'true' }, stdout: 'pipe', allowFail: true }));
    const outcome = /too-complex: (line \d+ is \w+|runbook could not be parsed within)/.exec(r.all[0].stdout + r.all[0].stderr)?.[1] ?? 'parsed';
    goal({
      what: `lint of ${name} (${(text.length / 1e6).toFixed(2)} MB): ${outcome}`,
      ours: `${ms(r.wallMs)}, ${mb(r.maxRssMb)}`,
      baseline: 'before issue 13 item 8: 21 to over 100 s, 0.6 to 3.6 GB',
      ratio: '',
      target: '<= 2,300 ms (2 s of parse), <= 300 MB',
      met: r.wallMs <= 2300 && !(r.maxRssMb > 300),
    });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
