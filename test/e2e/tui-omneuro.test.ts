/**
 * The shipped omneuro deploy in the TUI, end to end, on a host built the way the operations
 * guide describes (test/helpers/omneuro-host.ts): the built CLI in a real pty, keys as an
 * operator presses them, the screen read back. Healthy; unhealthy with every recovery path the
 * gate offers walked, then the roll back landing on the old commit; then `stepgate report` of
 * that session checked against its journal; and the SSM case, the TUI started as an
 * ssm-user-like login running the deploy as the ubuntu-like user through sudo. Root only
 * (throwaway users, a sudoers rule).
 */
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { isRoot } from '../exec/helpers.js';
import { addSudoers, checkoutUnreachable, createUser, removeSudoers, removeUser, sudoMissing } from '../helpers/test-users.js';
import { type Host, type JournalEvent, get, git, hostJournals, makeHost, removeHosts, varFlags } from '../helpers/omneuro-host.js';
import { CLI, startTui, type Tui } from './tui-harness.js';

const tuis: Tui[] = [];

// Removing a host waits for its user's processes to end and for userdel: past the 30 s default under load.
afterEach(async () => {
  for (const tui of tuis.splice(0)) tui.kill('SIGKILL');
  await removeHosts();
}, 120_000);

/** What the status bar says the session is doing (`MANUAL 2/14`, `BLOCKED at health`, ...). */
const STATE = /(STARTING|VARS: \S+|MANUAL \d+\/\d+|READY \d+\/\d+ \S*|RECOVERY DONE \d+\/\d+ \S*|CONFIRM \S+|RUNNING \S+|ATTACHED to \S+|ENDED: \S+)|BLOCKED at \S+ \(attempt \d+\)/;

function stateOf(screen: string): string | undefined {
  const m = STATE.exec(screen);
  return m?.[0];
}

function open(host: Host, login?: { user: string; home: string; state: string }): Tui {
  const tui = startTui([join(host.runbooks, 'deploy.md'), '--as', host.user, ...varFlags(host)], host.runbooks, login?.state ?? host.state, {
    env: { STEPGATE_OSC9: '0', ...(login ? { XDG_STATE_HOME: '' } : {}) },
    ...(login ? { as: { user: login.user, home: login.home } } : {}),
  });
  tuis.push(tui);
  tui.resize(120, 40);
  return tui;
}

interface Gate {
  step: string;
  attempt: number;
  /** The recovery paths the gate's menu offers, by their number key. */
  offered: Array<{ key: string; path: string }>;
}

/**
 * The gate on screen: its step, attempt, and the recovery paths of its menu; undefined until
 * the whole menu is there. The gate's rule (`BLOCKED at STEP (attempt N)`) is drawn above its
 * menu, and the screen can be read while a frame is only partly drawn (the harness's terminal
 * parses a frame in slices, later under load): a gate read before its menu rows showed no
 * recovery paths, and `s` was pressed at a gate that offered them. Every menu ends with abort.
 */
function gateOn(screen: string): Gate | undefined {
  const m = /BLOCKED at (\S+) \(attempt (\d+)\)/.exec(screen);
  if (!m || !/\d+\. +abort the session/.test(screen.slice(m.index))) return undefined;
  const offered = [...screen.matchAll(/(\d)\. +(?:\[c\] )?recover: (\S+)/g)].map((r) => ({ key: r[1] ?? '', path: r[2] ?? '' }));
  return { step: m[1] ?? '', attempt: Number(m[2]), offered };
}

/**
 * Walks the session as an operator would: ticks manual items, `a` runs the steps up to the
 * next stop (and on from a recovery path's return), `y` accepts a confirm step, and at a gate `decide` picks the key. Returns every
 * gate met and the outcome the screen ends on.
 */
async function operate(tui: Tui, decide: (gate: Gate) => string): Promise<{ outcome: string; gates: Gate[]; states: string[] }> {
  const gates: Gate[] = [];
  const states: string[] = [];
  let last = '';
  let walking = false;
  for (let turn = 0; turn < 200; turn += 1) {
    // The ports are given (--var); REDEPLOY_SCRIPT is asked first and enter takes its default,
    // then the ports are answered from --var (they were asked again before: enter took 8081).
    // Any other VARS state only flashes by while the given vars are answered.
    // Each key changes what the status bar says; wait for that before the next (steps and
    // five-attempt checks take a while under load). After `a`, wait for the walk to stop: a
    // key pressed while it goes from step to step would stop it. A gate counts once its menu
    // is on the screen: the key pressed there is chosen from it.
    const screen = await tui.waitFor((s: string) => {
      const now = stateOf(s);
      if (now === undefined || now === last || /^(STARTING|VARS: (?!REDEPLOY_SCRIPT)|RUNNING|ATTACHED)/.test(now) || (walking && now.startsWith('READY'))) return false;
      return !now.startsWith('BLOCKED') || gateOn(s) !== undefined;
    }, 240_000);
    const state = stateOf(screen) ?? '';
    states.push(state);
    last = state;
    if (state.startsWith('ENDED: ')) return { outcome: state.slice('ENDED: '.length), gates, states };
    // Back from a recovery path, the blocked step waits (its path listed under it): a runs on.
    const returned = state.startsWith('RECOVERY DONE');
    if (returned && !screen.includes('recovery done:')) throw new Error(`the recovery path is not listed:\n${screen}`);
    walking = state.startsWith('READY') || returned;
    if (state === 'VARS: REDEPLOY_SCRIPT') tui.press('\r');
    else if (state.startsWith('MANUAL')) tui.press(' ');
    else if (walking) tui.press('a');
    else if (state.startsWith('CONFIRM')) tui.press('y');
    else {
      const gate = gateOn(screen);
      if (!gate) throw new Error(`no gate on the screen:\n${screen}`);
      gates.push(gate);
      tui.press(decide(gate));
    }
  }
  throw new Error(`the walk did not end: ${states.join(' → ')}`);
}

if (!isRoot()) process.stderr.write('tui-omneuro.test.ts: skipped, it creates throwaway users and needs root (CI runs as root)\n');
const unreachable = isRoot() ? (sudoMissing() ?? checkoutUnreachable()) : undefined;
if (unreachable !== undefined) process.stderr.write(`tui-omneuro.test.ts: the SSM-session test is skipped: ${unreachable}\n`);

describe.skipIf(!isRoot())('the shipped omneuro deploy in the TUI on a guide-style host', () => {
  it('healthy: the pre-deploy checklist, pull, chmod, restart, the three checks, the post-deploy checklist; completed on v2', async () => {
    const host = await makeHost('healthy');
    const tui = open(host);
    const { outcome, gates, states } = await operate(tui, (gate) => {
      throw new Error(`unexpected gate at ${gate.step}:\n${tui.screen()}`);
    });
    expect(outcome, states.join(' → ')).toBe('completed');
    expect(gates).toEqual([]);
    tui.press('q');
    expect(await tui.exited).toBe(0);
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v2);
    expect((await get(`http://localhost:${host.ports.gateway}/api/tech/health`)).body).toContain('2.0.0');
    await reportAgrees(host, 'completed');
  }, 400_000);

  it.skipIf(unreachable !== undefined)('from an SSM session: the TUI started as an ssm-user-like login runs the deploy as the ubuntu-like user through a NOPASSWD sudo rule; completed on v2', async () => {
    const host = await makeHost('healthy');
    const user = createUser('sgssm');
    const rule = addSudoers(`stepgate-test-${user}`, `${user} ALL=(${host.user}) NOPASSWD: ALL`);
    try {
      const home = `/home/${user}`;
      const tui = open(host, { user, home, state: join(home, 'stepgate-state') });
      const { outcome, states } = await operate(tui, (gate) => {
        throw new Error(`unexpected gate at ${gate.step}:\n${tui.screen()}`);
      });
      expect(outcome, states.join(' → ')).toBe('completed');
      // The header names who the steps run as.
      expect(tui.screen()).toContain(`${host.user}@`);
      tui.press('q');
      expect(await tui.exited).toBe(0);
      expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v2);
      expect((await get(`http://localhost:${host.ports.gateway}/api/tech/health`)).body).toContain('2.0.0');
      const [journal] = hostJournals(host, join(home, 'stepgate-state'));
      expect(journal?.events[0]).toMatchObject({ type: 'session-started', who: { user }, options: { as: host.user } });
    } finally {
      removeSudoers(rule);
      try {
        execFileSync('pkill', ['-KILL', '-u', user], { stdio: 'ignore' });
      } catch {
        // Nothing of that user was left.
      }
      removeUser(user);
    }
  }, 400_000);

  for (const next of ['broken-health', 'broken-start', 'broken-chmod'] as const) {
    it(`${next}: the gate offers its recovery paths, each is walked, then the roll back lands on v1; the report agrees with the journal`, async () => {
      const host = await makeHost(next);
      const tui = open(host);
      const tried = new Set<string>();
      const { outcome, gates, states } = await operate(tui, (gate) => {
        // A recovery step failing for the same reason (a path with no way out) is skipped.
        if (gate.offered.length === 0) return 's';
        const other = gate.offered.find((o) => !ROLL_BACK.test(o.path) && !tried.has(o.path));
        if (other) {
          tried.add(other.path);
          return other.key;
        }
        const back = gate.offered.find((o) => ROLL_BACK.test(o.path));
        if (!back) throw new Error(`no roll back offered at ${gate.step}:\n${tui.screen()}`);
        return back.key;
      });
      const why = `${states.join(' → ')}\n${JSON.stringify(gates)}`;
      expect(outcome, why).toBe('rolled-back');
      expect(gates[0]?.step, why).toBe({ 'broken-chmod': 'chmod', 'broken-start': 'restart', 'broken-health': 'health' }[next]);
      expect(gates[0]?.offered.some((o) => ROLL_BACK.test(o.path)), why).toBe(true);
      expect(tried.size, why).toBeGreaterThan(0);
      tui.press('q');
      expect(await tui.exited).toBe(1);
      expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v1);
      const health = await get(`http://localhost:${host.ports.gateway}/api/tech/health`);
      expect(health.status).toBe(200);
      expect(health.body).toContain('1.0.0');
      await reportAgrees(host, 'rolled-back');
    }, 600_000);
  }
});

const ROLL_BACK = /#roll-back-to-the-previous-commit$/;

/**
 * `stepgate report` of the host's one session, against its journal: the outcome, every step
 * that ran with its last status and number of runs, every recovery path taken, the vars and
 * every transcript.
 */
async function reportAgrees(host: Host, outcome: string): Promise<void> {
  const journals = hostJournals(host);
  expect(journals).toHaveLength(1);
  const { id, events } = journals[0] as { id: string; events: JournalEvent[] };
  const r = await execa(process.execPath, [CLI, 'report', id], { env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1' }, reject: false });
  expect(r.exitCode, r.stderr).toBe(0);
  const report = r.stdout;
  expect(report).toContain(`| **Outcome** | **${outcome}**`);
  expect(report).toContain(`| **Steps ran as** | ${host.user} |`);
  expect(report).toContain(`\`BRAIN_API_PORT\` = \`${host.ports.brain}\``);
  const rows = new Map<string, string[]>();
  for (const line of report.split('\n')) {
    const m = /^\| \d+ \| `([^`]+)` \|/.exec(line);
    if (m) rows.set(m[1] ?? '', [...(rows.get(m[1] ?? '') ?? []), line]);
  }
  const runs = new Map<string, { started: number; ok?: boolean }>();
  for (const e of events) {
    const step = String(e['key'] ?? '').split('#')[1] ?? '';
    if (e.type === 'step-started') runs.set(step, { ...runs.get(step), started: (runs.get(step)?.started ?? 0) + 1 });
    if (e.type === 'step-finished') {
      runs.set(step, { started: runs.get(step)?.started ?? 0, ok: e['ok'] === true });
      if (typeof e['transcript'] === 'string') expect(report).toContain(e['transcript']);
    }
  }
  expect(runs.size).toBeGreaterThan(5);
  for (const [step, run] of runs) {
    const lines = rows.get(step) ?? [];
    expect(lines, `${step} in the report:\n${report}`).toHaveLength(1);
    const cells = (lines[0] ?? '').split(' | ');
    expect(cells[3], `${step}: ${lines[0]}`).toMatch(run.ok ? /^passed/ : /^failed/);
    expect(cells[4], `${step}: ${lines[0]}`).toBe(String(run.started));
  }
  for (const e of events) {
    const decision = e['decision'] as { kind: string; path?: { label: string } } | undefined;
    if (e.type === 'decision' && decision?.kind === 'recover') expect(report).toContain(decision.path?.label.split('/').pop() ?? '?');
  }
}
