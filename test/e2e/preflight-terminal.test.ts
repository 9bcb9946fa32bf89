/**
 * Preflight logs in as the steps' user (their profile runs) from root, whose terminal must stay
 * out of that login's reach: a process the profile leaves behind in the operator's terminal
 * session can type into it (TIOCSTI) a command that root's shell runs after stepgate exits (an
 * adversarial review did it: a file created by root). Real terminal, real user, real profile.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pty from 'node-pty';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { checkoutUnreachable, createUser, removeUser } from '../helpers/test-users.js';

const ROOT = process.getuid?.() === 0;
const why = !ROOT ? 'not root (a throwaway user needs root)' : checkoutUnreachable();
if (why !== undefined) process.stderr.write(`${import.meta.filename}: skipped: ${why}\n`);

let user = '';
let dir = '';

beforeAll(() => {
  if (why !== undefined) return;
  user = createUser('sgtty');
  dir = mkdtempSync(join(tmpdir(), 'sg-preflight-tty-'));
  // The user's login writes its probe here; sticky, as /tmp: a runbook in a directory others can write and rename in is untrusted.
  chmodSync(dir, 0o1777);
  // What the login can reach: whether it has a controlling terminal to open, and which.
  appendFileSync(
    `/home/${user}/.profile`,
    `\n{ if : </dev/tty; then echo "open $(readlink /proc/$$/fd/0)"; else echo closed; fi; } >>${dir}/probe 2>/dev/null\n`,
  );
  writeFileSync(join(dir, 'one.md'), '# One\n\n```bash {name=one}\ntrue\n```\n');
});

afterAll(() => {
  if (user !== '') removeUser(user);
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(why !== undefined)("preflight as another user, from root's terminal", () => {
  it("runs the user's login without a controlling terminal", async () => {
    const term = pty.spawn(process.execPath, [CLI, 'preflight', '--as', user, join(dir, 'one.md')], {
      cols: 100,
      rows: 30,
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: dir, NO_COLOR: '1', CI: 'false' },
    });
    let out = '';
    term.onData((d) => (out += d));
    const code = await new Promise<number>((resolve) => term.onExit(({ exitCode }) => resolve(exitCode)));
    expect(code, out).toBe(0);
    // The profile ran (so the check means something), and found no terminal to type into.
    expect(readFileSync(join(dir, 'probe'), 'utf8').trim()).toBe('closed');
  });
});
