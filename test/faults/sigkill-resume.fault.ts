/**
 * SIGKILL of `stepgate run` at 50 points of a scripted session (steps and checks in turn, so a
 * kill falls before the journal exists, between steps, inside a step, inside a check and while
 * the journal is written), then `resume --yes --rerun-interrupted`: no step finished before the
 * kill may run again, a re-run is only of the step resume names as interrupted, and every
 * session resumes to completion.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { collect, Workspace } from '../e2e/plain-harness.js';
import { printFigures, record } from './tally.js';

const COMMANDS = ['s0', 's2', 's4'];
const POINTS = Number(process.env.POINTS ?? 50);
/** Kill times spread over the whole run: start-up, the journal's creation, every step and check. */
const killAt = (point: number): number => Number(process.env.KILL_FROM ?? 40) + point * Number(process.env.KILL_STEP ?? 28);

function runbook(log: string, checks: string): string {
  const step = (name: string): string => `Step ${name}.\n\n\`\`\`bash {name=${name}}\necho ${name} >> ${log}; sleep 0.15\n\`\`\`\n`;
  const check = (name: string): string => `Gate ${name}.\n\n\`\`\`check {name=${name}}\nrun: echo ${name} >> ${checks}; sleep 0.2; true\n\`\`\`\n`;
  return `# Killed\n\n${[step('s0'), check('c1'), step('s2'), check('c3'), step('s4')].join('\n')}`;
}

afterAll(() => printFigures());

describe('SIGKILL, then resume', () => {
  for (let point = 0; point < POINTS; point++) {
    it(`killed ${killAt(point)} ms into the run`, async () => {
      const ws = new Workspace();
      try {
        const log = join(ws.dir, 'ran.log');
        const file = ws.write('killed.md', runbook(log, join(ws.dir, 'checks.log')));
        // HOME of its own: a kill while the session shell reads the login user's rc would kill
        // what that rc runs (pyenv's rehash left its lock behind, and every later root shell
        // on the machine waited 60 s for it), which is the host's hazard, not stepgate's.
        const home = { HOME: ws.dir };
        const child = ws.spawn(['run', file, '--yes'], home);
        const done = collect(child);
        let exited = false;
        void done.then(() => (exited = true));
        await new Promise((resolve) => setTimeout(resolve, killAt(point)));
        if (exited) {
          record('SIGKILL then resume: the run had ended before the kill', true);
          return;
        }
        child.kill('SIGKILL');
        await done;
        const lines = (): string[] => (existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : []);
        const [id] = ws.sessionIds();
        if (id === undefined) {
          // Killed before the journal was created: nothing to resume, nothing ran.
          record('SIGKILL then resume: killed before the session existed (nothing ran)', lines().length === 0);
          expect(lines()).toEqual([]);
          return;
        }
        if (!ws.events(id).some((e) => e.type === 'step-started')) {
          // Killed after the journal was created (maybe before its first event was written) but
          // before the first step started: no step ran, and resume says so (a session where
          // nothing ran is not resumable, by design: see sessions-manage.test.ts and
          // bad-journals.test.ts). Opening the runbook again must then run it through.
          const refused = await ws.run(['resume', id, '--yes', '--rerun-interrupted'], home);
          expect(refused.stderr).toContain(`nothing ran in session ${id}`);
          expect(lines()).toEqual([]);
          const again = await ws.run(['run', file, '--yes'], home);
          expect(again.code, again.stdout + again.stderr).toBe(0);
          record('SIGKILL then resume: killed before the first step (nothing ran; a new run completes)', lines().join(',') === COMMANDS.join(','));
          expect(lines()).toEqual(COMMANDS);
          return;
        }
        const finished = new Set(ws.events(id).flatMap((e) => (e.type === 'step-finished' && e.ok ? [/(s\d)$/.exec(e.key)?.[1] ?? e.key] : [])));
        const resumed = await ws.run(['resume', id, '--yes', '--rerun-interrupted'], home);
        const counts = new Map<string, number>();
        for (const l of lines()) counts.set(l, (counts.get(l) ?? 0) + 1);
        const rerunNamed = /re-running interrupted step (s\d)/.exec(resumed.stdout)?.[1];
        const twice = [...counts].filter(([, n]) => n > 1).map(([l]) => l);
        const finishedRanAgain = twice.filter((l) => finished.has(l));
        if (rerunNamed !== undefined) record('SIGKILL then resume: interrupted step re-run, named by resume', true);
        const silent = twice.filter((l) => l !== rerunNamed);
        const unresumable = resumed.code !== 0;
        const where = `${killAt(point)} ms`;
        record('SIGKILL then resume: finished steps lost', finishedRanAgain.length === 0 && COMMANDS.every((s) => counts.has(s)), `${where}: ${finishedRanAgain.join(',')}`);
        record('SIGKILL then resume: silent re-runs', silent.length === 0, `${where}: ${silent.join(',')}`);
        record('SIGKILL then resume: unresumable sessions', !unresumable, `${where}: exit ${resumed.code}`);
        expect(unresumable, resumed.stdout + resumed.stderr).toBe(false);
        expect(silent).toEqual([]);
        expect(finishedRanAgain).toEqual([]);
        expect(COMMANDS.filter((s) => !counts.has(s))).toEqual([]);
      } finally {
        ws.remove();
      }
    }, 120_000);
  }
});
