import { describe, expect, it } from 'vitest';
import { lintRunbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

/** The background-job warnings of a one-step runbook holding `script`. */
const warned = (script: string): string[] =>
  lintRunbook(parseRunbook(`# R\n\nStart it.\n\n\`\`\`bash\n${script}\n\`\`\`\n`, 'r.md'), { load: () => undefined, env: {} })
    .filter((d) => d.code === 'background-job')
    .map((d) => `${d.severity} ${d.line}`);

describe('lint: background jobs', () => {
  it('warns about a job left in the background, which the hang-up at the end of the session takes down', () => {
    for (const script of ['./server &', './server >log 2>&1 &', './a &\necho started', './a & ;']) {
      expect(warned(script), script).toEqual(['warning 5']);
    }
  });
  it('leaves alone what only looks like one, what outlives the hang-up (nohup, disown, setsid, a subshell) and a step that waits for its jobs', () => {
    for (const script of ['nohup ./server >log 2>&1 &', './server & disown', '(./server &)', 'nohup ./server', 'make && make install', './a 2>&1 | tee log', './a &>/dev/null', './a |& tee log', 'echo "a & b"', 'setsid -f ./server >log 2>&1', 'systemd-run --unit app ./server &', './a & ./b &\nwait']) {
      expect(warned(script), script).toEqual([]);
    }
  });
  it('has nothing to say about the shipped runbooks', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const files = ['runbooks', 'runbooks/demo'].flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.md')).map((f) => `${d}/${f}`));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const codes = lintRunbook(parseRunbook(readFileSync(file, 'utf8'), file), { load: () => undefined, env: {} }).map((d) => d.code);
      expect(codes, file).not.toContain('background-job');
    }
  });
});
