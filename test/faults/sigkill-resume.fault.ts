/**
 * SIGKILL of `stepgate run` at several points of a scripted session, then
 * `resume --yes --rerun-interrupted`: no finished step may run again, a re-run is only of the
 * step the resume names as interrupted, and every session resumes to completion.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../exec/helpers.js';
import { collect, Workspace } from '../e2e/plain-harness.js';
import { printFigures, record } from './tally.js';

const STEPS = 5;

function runbook(log: string): string {
  const steps = Array.from({ length: STEPS }, (_, i) => `Step ${i}.\n\n\`\`\`bash {name=s${i}}\necho s${i} >> ${log}; sleep 0.3\n\`\`\`\n`);
  return `# Killed\n\n${steps.join('\n')}`;
}

afterAll(() => printFigures());

describe('SIGKILL, then resume', () => {
  for (let point = 1; point < STEPS; point++) {
    for (const round of [0, 1]) {
      it(`killed after step line ${point} (round ${round})`, async () => {
        const ws = new Workspace();
        try {
          const log = join(ws.dir, 'ran.log');
          const file = ws.write('killed.md', runbook(log));
          const child = ws.spawn(['run', file, '--yes']);
          const done = collect(child);
          const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
          await waitFor(`${point} step lines`, () => lines().length >= point, 60_000);
          if (round === 1) await new Promise((resolve) => setTimeout(resolve, 150));
          child.kill('SIGKILL');
          await done;
          const before = lines();
          const [id] = ws.sessionIds();
          // The walk is in order: the first n steps finished ok are s0 .. s(n-1).
          const okCount = ws.events(id ?? '').filter((e) => e.type === 'step-finished' && e.ok).length;
          const finished = new Set(Array.from({ length: okCount }, (_, i) => `s${i}`));
          const resumed = await ws.run(['resume', id ?? '', '--yes', '--rerun-interrupted']);
          const after = lines();
          const counts = new Map<string, number>();
          for (const l of after) counts.set(l, (counts.get(l) ?? 0) + 1);
          const rerunNamed = /re-running interrupted step (s\d)/.exec(resumed.stdout)?.[1];
          const twice = [...counts].filter(([, n]) => n > 1).map(([l]) => l);
          const finishedRanAgain = twice.filter((l) => finished.has(l));
          if (rerunNamed !== undefined) record('SIGKILL then resume: interrupted step re-run, named by resume', true);
          const silent = twice.filter((l) => l !== rerunNamed);
          const unresumable = resumed.code !== 0;
          record('SIGKILL then resume: finished steps lost', finishedRanAgain.length === 0 && Array.from({ length: STEPS }, (_, i) => `s${i}`).every((s) => counts.has(s)), `point ${point}: ${finishedRanAgain.join(',')}`);
          record('SIGKILL then resume: silent re-runs', silent.length === 0, `point ${point}: ${silent.join(',')}`);
          record('SIGKILL then resume: unresumable sessions', !unresumable, `point ${point}: exit ${resumed.code}`);
          expect(unresumable, resumed.stdout + resumed.stderr).toBe(false);
          expect(silent).toEqual([]);
          expect(before.length).toBeGreaterThanOrEqual(point);
        } finally {
          ws.remove();
        }
      }, 120_000);
    }
  }
});
