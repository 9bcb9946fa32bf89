/**
 * `stepgate run` killed with SIGKILL (or by the kernel out of memory) while a step runs: the
 * step must not go on by itself. Nobody would see it end, and the journal, which says the
 * step started and never finished, is what `resume` offers to run again, beside it. The
 * session's shell gets the terminal's hang-up and passes it to the step as a login shell
 * does, and removes its saved state (it may hold exported secrets) since nobody will read it.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { STATE_DIR_PREFIX } from '../../src/exec/rc-script.js';
import { createUser, hasCommand, isRoot, removeUser } from '../exec/helpers.js';
import { collect, Workspace } from './plain-harness.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

/** Pids of the processes whose command line holds `word`. */
function processesWith(word: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes(word)) found.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return found;
}

async function until(test: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) if (test()) return true;
  return test();
}

/**
 * Runs a one-step runbook whose step sleeps, kills stepgate with SIGKILL once the step runs,
 * and checks that the step, the shell's state and any guard are gone, and that the step never
 * finished. `dir` is where the step (as `as`, or as the test) writes.
 */
async function killDuringStep(dir: string, as?: string): Promise<void> {
  // A sleep no other process on the machine runs, to find this step's.
  const nap = `${30 + Math.random()}`.slice(0, 9);
  const started = join(dir, 'started');
  const finished = join(dir, 'finished');
  // A job in the background too (not nohup'd): a hang-up ends it, as it would at a terminal.
  const behind = `${nap}1`;
  ws.write('long.md', `# Long\n\n\`\`\`bash {name=long}\nsleep ${behind} &\ntouch ${started}; sleep ${nap}; touch ${finished}\n\`\`\`\n`);
  const child = ws.spawn(['run', 'long.md', '--yes', ...(as !== undefined ? ['--as', as] : [])], { HOME: ws.dir });
  const done = collect(child);
  expect(await until(() => existsSync(started) && processesWith(`sleep\0${nap}`).length > 0, 20_000)).toBe(true);
  const stateDirs = (): string[] => readdirSync(tmpdir()).filter((n) => n.startsWith(`${STATE_DIR_PREFIX}${child.pid}-`));
  expect(stateDirs()).toHaveLength(1);
  // The guard of a shell run through runuser names the shell's pid (runuser's and bash's command lines name the shell's directory).
  const shells = processesWith(`${tmpdir()}/stepgate-sh-${child.pid}-`);
  const guards = (): number[] => shells.flatMap((pid) => processesWith(`stepgate-guard\0${pid}\0`));
  expect(guards()).toHaveLength(as === undefined ? 0 : 1);

  child.kill('SIGKILL');
  await done;
  expect(await until(() => processesWith(`sleep\0${nap}`).length === 0, 5_000)).toBe(true);
  expect(await until(() => processesWith(`sleep\0${behind}`).length === 0, 5_000)).toBe(true);
  expect(await until(() => stateDirs().length === 0, 5_000)).toBe(true);
  expect(existsSync(finished)).toBe(false);
  // The journal says what resume will offer: the step started and did not finish.
  const [id] = ws.sessionIds();
  expect(ws.events(id ?? '').map((e) => e.type)).toContain('step-started');
  expect(ws.events(id ?? '').map((e) => e.type)).not.toContain('step-finished');
  expect(guards()).toEqual([]);
}

describe('stepgate run killed during a step', () => {
  it('takes the running step down with it and leaves no saved shell state behind', async () => {
    await killDuringStep(ws.dir);
    // Nothing was journaled by the killed stepgate: the trail says so where it happened.
    expect((await ws.run(['resume', '--yes', '--skip', 'long=killed by the test'], { HOME: ws.dir })).code).toBe(0);
    const log = await ws.run(['log'], { HOME: ws.dir });
    expect(log.stdout).toMatch(/step long started \(attempt 1\)\n +\(nothing after step long started: the stepgate running it ended without a word, killed or its host gone down; the step's outcome is unknown\)\n[^\n]+resumed by /);
  }, 40_000);

  // Through runuser (stepgate as root, --as USER) the terminal is runuser's, which blocks the
  // hang-up: a guard process hangs the shell up instead.
  const canSwitchUser = isRoot() && hasCommand('useradd') && hasCommand('runuser');
  if (!canSwitchUser) console.log('skipping the --as kill test: needs root, useradd and runuser');
  it.runIf(canSwitchUser)('does the same for a step run as another user through runuser', async () => {
    const user = createUser('sgkill');
    try {
      await killDuringStep(`/home/${user}`, user);
    } finally {
      removeUser(user);
    }
  }, 40_000);
});
