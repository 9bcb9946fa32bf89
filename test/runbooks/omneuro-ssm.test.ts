/**
 * The SSM variant of the guide-style host: operators arrive as `ssm-user` and the deploy runs
 * as `ubuntu` through a NOPASSWD sudo rule, as the operations guide's SSM workflow says. Two
 * throwaway users play them (test/helpers/test-users.ts, unique per run); stepgate is started
 * as the ssm-user-like one, in plain mode, with its own home and state, and runs the shipped
 * deploy as the ubuntu-like one through sudo. Root only.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isRoot } from '../exec/helpers.js';
import { addSudoers, checkoutUnreachable, createUser, removeSudoers, removeUser, sudoMissing } from '../helpers/test-users.js';
import { get, git, hostJournals, makeHost, removeHosts, runShippedDeploy } from '../helpers/omneuro-host.js';

const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
  await removeHosts();
});

/** The ssm-user-like login with its sudo rule to `ubuntu`-like `target`. */
function ssmUser(target: string): { user: string; home: string } {
  const user = createUser('sgssm');
  cleanups.push(() => {
    try {
      execFileSync('pkill', ['-KILL', '-u', user], { stdio: 'ignore' });
    } catch {
      // Nothing of that user was left.
    }
    removeUser(user);
  });
  const rule = addSudoers(`stepgate-test-${user}`, `${user} ALL=(${target}) NOPASSWD: ALL`);
  cleanups.push(() => removeSudoers(rule));
  return { user, home: `/home/${user}` };
}

const unreachable = isRoot() ? (sudoMissing() ?? checkoutUnreachable()) : undefined;
if (!isRoot()) process.stderr.write('omneuro-ssm.test.ts: skipped, it creates throwaway users and a sudoers rule and needs root (CI runs as root)\n');
else if (unreachable !== undefined) process.stderr.write(`omneuro-ssm.test.ts: skipped, it runs stepgate as a login user: ${unreachable}\n`);

describe.skipIf(!isRoot() || unreachable !== undefined)('the omneuro redeploy from an SSM session: ssm-user runs it as ubuntu through sudo', () => {
  it('plain mode as the ssm-user-like login: every step runs as the ubuntu-like user, completed on v2, the services outlive stepgate; the journal names both', async () => {
    const host = await makeHost('healthy');
    const ssm = ssmUser(host.user);
    const { SUDO_USER: _sudoUser, SUDO_UID: _sudoUid, SUDO_GID: _sudoGid, SUDO_COMMAND: _sudoCommand, STEPGATE_STATE_DIR: _state, XDG_STATE_HOME: _xdg, ...env } = process.env;
    const { run, why } = await runShippedDeploy(host, { login: ssm.user, env: { ...env, HOME: ssm.home, USER: ssm.user, LOGNAME: ssm.user, NO_COLOR: '1', CI: 'false' } });
    expect(run.exitCode, why).toBe(0);
    expect(git(host.checkout, 'rev-parse', 'HEAD')).toBe(host.v2);
    expect(run.stdout, why).toContain(`captured ROLLBACK_COMMIT = ${host.v1}`);
    for (const url of [`http://localhost:${host.ports.gateway}/healthz`, `http://localhost:${host.ports.gateway}/api/tech/health`, `http://localhost:${host.ports.brain}/healthz`]) {
      const answer = await get(url);
      expect(answer.status, url).toBe(200);
      expect(answer.body, url).toContain('2.0.0');
    }
    // The services run as the ubuntu-like user, not as the login that started stepgate.
    const owners = execFileSync('ps', ['-o', 'user=', '-u', host.user], { encoding: 'utf8' });
    expect(owners).toContain(host.user);
    // The session is the ssm-user-like login's, in its own state directory.
    const [journal] = hostJournals(host, join(ssm.home, '.local', 'state', 'stepgate'));
    expect(journal, 'a journal under the ssm user home').toBeDefined();
    const started = journal?.events[0] as { who?: { user?: string }; options?: { as?: string } } | undefined;
    expect(started?.who?.user).toBe(ssm.user);
    expect(started?.options?.as).toBe(host.user);
  }, 300_000);
});
