/**
 * Steps that misbehave, and signals to a plain-mode run: each must end with a defined outcome
 * (the run exits by itself, no stack trace) and leave a usable session: the step after it runs,
 * or `resume --yes --rerun-interrupted` finishes the session.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../exec/helpers.js';
import { collect, Workspace } from '../e2e/plain-harness.js';
import { printFigures, record } from './tally.js';
import { processesWith } from '../helpers/process-scan.js';

afterAll(() => printFigures());

/**
 * The daemons' `sleep`: still five minutes, its argv unique to this run so the test finds
 * exactly the ones it started. They are meant to outlive stepgate (setsid, nohup, disown), so
 * nothing else ends them: each suite left three running under init.
 */
const DAEMON = `sleep 300.${process.pid}${Date.now() % 100_000}`;

/** [name, script, daemons the step leaves running after stepgate]. */
const STEPS: Array<[string, string, number?]> = [
  ['a flood of 100 MB', 'yes | head -c 100000000'],
  ['one 50 MB line', "head -c 52428800 /dev/zero | tr '\\0' x; echo"],
  ['a step that closes stdout', 'exec >&-; echo gone'],
  ['a step that closes stdout and stderr', 'exec >&- 2>&-; true'],
  ['daemons forked', `setsid ${DAEMON} >/dev/null 2>&1 < /dev/null & nohup ${DAEMON} >/dev/null 2>&1 & disown -a; echo forked`, 2],
  ['a daemon that keeps stdout open', `setsid ${DAEMON} & echo forked`, 1],
  ['stty changed', 'stty raw -echo 2>/dev/null; stty -icanon 2>/dev/null; echo changed'],
  ['exec bash', 'exec bash'],
  ['exec bash then a command', 'exec bash -c "echo replaced"'],
];

function book(script: string, marker: string): string {
  return `# Hostile\n\nThe step.\n\n\`\`\`bash {name=hostile}\n${script}\n\`\`\`\n\nAfter it.\n\n\`\`\`bash {name=after}\necho after > ${marker}\n\`\`\`\n`;
}

describe('hostile steps in plain mode', () => {
  for (const [name, script, daemons] of STEPS) {
    it(`${name}: ends, and the session is usable`, async () => {
      const ws = new Workspace();
      try {
        const marker = join(ws.dir, 'after.txt');
        const file = ws.write('hostile.md', book(script, marker));
        const child = ws.spawn(['run', file, '--yes'], { HOME: ws.dir });
        let hung = false;
        const timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, 90_000);
        const r = await collect(child);
        clearTimeout(timer);
        let outcome = `exit ${r.code}${existsSync(marker) ? ', the next step ran' : ''}`;
        let usable = existsSync(marker);
        if (!usable && !hung) {
          const [id] = ws.sessionIds();
          const resumed = await ws.run(['resume', id ?? '', '--yes', '--rerun-interrupted'], { HOME: ws.dir });
          outcome += `; resume exit ${resumed.code}${existsSync(marker) ? ', the next step ran' : ''}`;
          if (!existsSync(marker)) {
            // The step failed (a defined outcome): the session must still go on past it.
            const skipped = await ws.run(['resume', id ?? '', '--yes', '--skip', 'hostile=fault suite'], { HOME: ws.dir });
            outcome += `; resume --skip exit ${skipped.code}${existsSync(marker) ? ', the next step ran' : ''}`;
          }
          usable = existsSync(marker);
        }
        const trace = /\n\s+at .*\.js:\d+/.test(r.stderr);
        const held = !hung && !trace && usable && r.code !== null;
        record('hostile steps: ended with a usable session', held, `${name}: ${hung ? 'hung' : outcome}`);
        process.stdout.write(`fault figures: hostile step | ${name} | ${hung ? 'hung' : outcome}\n`);
        expect(hung, `${name} hung`).toBe(false);
        expect(trace, r.stderr).toBe(false);
        expect(usable, `${name}: ${outcome}\n${r.stdout.slice(-2000)}\n${r.stderr.slice(-2000)}`).toBe(true);
        // What the guide promises redeploy scripts: setsid'd and nohup'd processes outlive stepgate.
        if (daemons !== undefined) expect(processesWith(DAEMON).length, `${name}: daemons still running after stepgate`).toBe(daemons);
      } finally {
        // The daemons were started by this test and nothing else ends them.
        for (const { pid } of processesWith(DAEMON)) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone already
          }
        }
        ws.remove();
      }
    }, 240_000);
  }
});

describe('signals to a plain-mode run', () => {
  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT'] as const) {
    it(`${signal} during a step: the run ends, the step's processes end, and resume finishes`, async () => {
      const ws = new Workspace();
      try {
        const started = join(ws.dir, 'started.txt');
        const marker = join(ws.dir, 'after.txt');
        const file = ws.write('signalled.md', `# Signalled\n\nSlow.\n\n\`\`\`bash {name=slow}\ntouch ${started}; sleep 3\n\`\`\`\n\nAfter.\n\n\`\`\`bash {name=after}\necho after >> ${marker}\n\`\`\`\n`);
        const child = ws.spawn(['run', file, '--yes'], { HOME: ws.dir });
        const done = collect(child);
        await waitFor('the slow step to start', () => existsSync(started), 60_000);
        child.kill(signal);
        let hung = false;
        const timer = setTimeout(() => {
          hung = true;
          child.kill('SIGKILL');
        }, 30_000);
        const r = await done;
        clearTimeout(timer);
        const [id] = ws.sessionIds();
        const resumed = await ws.run(['resume', id ?? '', '--yes', '--rerun-interrupted'], { HOME: ws.dir });
        const held = !hung && resumed.code === 0 && existsSync(marker);
        record(`${signal} to a plain run, then resume`, held, `exit ${r.code ?? r.signal}, resume exit ${resumed.code}`);
        process.stdout.write(`fault figures: ${signal} | run exit ${r.code ?? r.signal} | resume exit ${resumed.code}\n`);
        expect(hung).toBe(false);
        expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
        expect(existsSync(marker)).toBe(true);
      } finally {
        ws.remove();
      }
    }, 180_000);
  }
});
