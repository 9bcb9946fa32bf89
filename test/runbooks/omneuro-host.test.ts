/**
 * The shipped omneuro runbooks, walked for real on a host built the way the operations guide
 * describes (test/helpers/omneuro-host.ts: a throwaway `ubuntu`, `~/omneuro` cloned from a
 * bare origin, scripts without their executable bit, two services started by the repository's
 * own `scripts/04-redeploy.sh` on ports this test picked). Nothing is faked: the runbooks are
 * used verbatim, as root with `--as`.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { hostDeps } from '../../src/commands/run.js';
import { FileJournal } from '../../src/session/journal.js';
import { newSessionId } from '../../src/session/session-paths.js';
import { createSessionStore, type SessionStore } from '../../src/session/store.js';
import { isRoot } from '../exec/helpers.js';
import { CLI } from '../helpers/paths.js';
import { type Host, get, git, makeHost, removeHosts, runShippedDeploy, varFlags } from '../helpers/omneuro-host.js';
import { runToNextBlock } from '../fakes/walk.js';

/** The engine in this process over the real exec layer, as `run` builds it. */
async function openSession(host: Host): Promise<{ store: SessionStore; close(): Promise<void> }> {
  const dir = join(host.state, 'sessions');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const journal = await FileJournal.open(dir, newSessionId(Date.now()));
  const store = createSessionStore(await hostDeps(journal));
  await store.getState().actions.start({ file: join(host.runbooks, 'deploy.md'), as: host.user });
  return { store, close: () => store.getState().actions.close() };
}

type Choice = { recover: RegExp } | 'abort' | 'skip';

/**
 * Walks a session, answering the vars with the host's ports; at each gate `decide` picks a
 * way out from the offered recovery labels. Returns the outcome and every gate seen.
 */
async function walk(host: Host, store: SessionStore, decide: (step: string, offered: string[]) => Choice): Promise<{ outcome: string; gates: Array<{ step: string; offered: string[] }> }> {
  const gates: Array<{ step: string; offered: string[] }> = [];
  const { actions } = store.getState();
  for (let turn = 0; turn < 60; turn += 1) {
    await runToNextBlock(store, { yes: true });
    const s = store.getState().session;
    if (s.status.kind === 'ended') return { outcome: s.status.outcome, gates };
    if (s.status.kind === 'vars') {
      const name = s.status.spec.name;
      await actions.answerVar(name === 'BRAIN_API_PORT' ? String(host.ports.brain) : name === 'TECH_GATEWAY_PORT' ? String(host.ports.gateway) : '', 'flag');
      continue;
    }
    if (s.status.kind !== 'blocked') continue;
    const frame = s.frames[s.frames.length - 1];
    const item = frame?.init.items[frame.cursor];
    const offered = item?.recoveries.map((r) => r.label.slice(r.label.lastIndexOf('/') + 1)) ?? [];
    const step = item?.step.id ?? '?';
    gates.push({ step, offered });
    const choice = decide(step, offered);
    if (choice === 'abort') {
      await actions.abort('test: operator gives up');
      continue;
    }
    if (choice === 'skip') {
      await actions.skip(`test: ${step} cannot pass on this host`);
      continue;
    }
    const index = offered.findIndex((label) => choice.recover.test(label));
    if (index < 0) throw new Error(`no recovery matching ${String(choice.recover)} at ${step}: ${offered.join(', ')}`);
    await actions.chooseRecovery(index);
  }
  throw new Error('the walk did not end');
}

const ROLL_BACK = /roll-back-to-the-previous-commit$/;

afterEach(removeHosts);

if (!isRoot()) process.stderr.write('omneuro-host.test.ts: skipped, it creates throwaway users and needs root (CI runs as root)\n');

describe.skipIf(!isRoot())('the omneuro redeploy on a guide-style host', () => {
  it('plain mode: pulls, sets +x, restarts through 04-redeploy.sh, passes the three checks; the nohup services outlive stepgate', async () => {
    const host = await makeHost('healthy');
    const { run, why } = await runShippedDeploy(host, { env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1', CI: 'false' } });
    expect(run.exitCode, why).toBe(0);
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v2);
    expect(run.stdout, why).toContain(`captured ROLLBACK_COMMIT = ${host.v1}`);
    expect(run.stdout, why).toMatch(/-rwx.*scripts\/04-redeploy\.sh/);
    expect(readFileSync(join(host.home, '.omneuro-last-good-commit'), 'utf8').trim()).toBe(host.v2);
    // stepgate has exited: the services the script started with nohup still answer, on v2.
    for (const url of [`http://localhost:${host.ports.gateway}/healthz`, `http://localhost:${host.ports.gateway}/api/tech/health`, `http://localhost:${host.ports.brain}/healthz`]) {
      const answer = await get(url);
      expect(answer.status, url).toBe(200);
      expect(answer.body, url).toContain('2.0.0');
    }
  }, 300_000);

  it('preflight finds the host ready for every shipped runbook (no error, no warning) but the SSM one, whose step runs as ubuntu', async () => {
    const host = await makeHost('healthy');
    // ssm.md declares no var and reaches no runbook that does (its links are prose): a --var is refused there.
    const ssm = await execa(process.execPath, [CLI, 'preflight', join(host.runbooks, 'ssm.md'), '--as', host.user], {
      cwd: host.runbooks,
      env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1' },
      reject: false,
    });
    // A step's own user= outlives --as; this host has no ubuntu: said once, where it starts.
    expect(ssm.exitCode, ssm.stdout + ssm.stderr).toBe(2); // a run-as user stepgate cannot become, as run
    expect(ssm.stdout).toMatch(/ssm\.md:\d+: error preflight-cannot-run-as: step ssm-checkout and the steps after it that run as ubuntu cannot start: cannot run as "ubuntu": no such user/);
    expect(ssm.stdout).toContain('preflight: 1 error, 0 warnings');
    for (const name of ['deploy.md', 'checklists.md', 'recovery.md', 'observability.md']) {
      const r = await execa(process.execPath, [CLI, 'preflight', join(host.runbooks, name), '--json', '--as', host.user, ...varFlags(host)], {
        cwd: host.runbooks,
        env: { ...process.env, STEPGATE_STATE_DIR: host.state, NO_COLOR: '1' },
        reject: false,
      });
      const found = (JSON.parse(r.stdout || '{"findings":[]}') as { findings: Array<{ severity: string; code: string; message: string }> }).findings;
      const why = `${name}: exit ${r.exitCode}\n${r.stderr}\n${found.map((f) => `${f.severity} ${f.code}: ${f.message}`).join('\n')}`;
      expect(r.exitCode, why).toBe(0);
      expect(found.filter((f) => f.severity !== 'note'), why).toEqual([]);
    }
  }, 120_000);

  for (const next of ['broken-chmod', 'broken-start', 'broken-health'] as const) {
    it(`${next}: every other recovery path offered is walked, then the roll back lands on v1 and verifies it`, async () => {
      const host = await makeHost(next);
      const session = await openSession(host);
      const tried = new Set<string>();
      try {
        const { outcome, gates } = await walk(host, session.store, (_step, offered) => {
          // A recovery step that fails for the same reason (no way out offered there) is skipped.
          if (offered.length === 0) return 'skip';
          const other = offered.find((label) => !ROLL_BACK.test(label) && !tried.has(label));
          if (other) {
            tried.add(other);
            return { recover: new RegExp(`${other.replace(/[.#]/g, '\\$&')}$`) };
          }
          return { recover: ROLL_BACK };
        });
        expect(outcome, JSON.stringify(gates)).toBe('rolled-back');
        const expectedGate = { 'broken-chmod': 'chmod', 'broken-start': 'restart', 'broken-health': 'health' }[next];
        expect(gates[0]?.step, JSON.stringify(gates)).toBe(expectedGate);
        expect(gates[0]?.offered.some((label) => ROLL_BACK.test(label))).toBe(true);
        expect(tried.size).toBeGreaterThan(0);
      } finally {
        await session.close();
      }
      expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v1);
      const health = await get(`http://localhost:${host.ports.gateway}/api/tech/health`);
      expect(health).toMatchObject({ status: 200 });
      expect(health.body).toContain('1.0.0');
    }, 400_000);
  }

  it('a second deploy after an aborted one still rolls back to v1, not to the code the first one left', async () => {
    const host = await makeHost('broken-health');
    const first = await openSession(host);
    try {
      const { outcome } = await walk(host, first.store, () => 'abort');
      expect(outcome).toBe('aborted');
    } finally {
      await first.close();
    }
    // The aborted deploy left v2 checked out and serving.
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v2);
    const second = await openSession(host);
    try {
      const { outcome } = await walk(host, second.store, () => ({ recover: ROLL_BACK }));
      expect(outcome).toBe('rolled-back');
      expect(second.store.getState().session.captured.ROLLBACK_COMMIT?.value).toBe(host.v1);
    } finally {
      await second.close();
    }
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v1);
    expect((await get(`http://localhost:${host.ports.gateway}/api/tech/health`)).body).toContain('1.0.0');
  }, 400_000);
});
