/**
 * The kept shell state when steps run as another user, with the built CLI and throwaway users:
 * root reaching the service user through runuser, and the SSM case (a login user reaching it
 * through sudo -n), where the shell's saved state is the service user's to read. Either way
 * the kept file is stepgate's own (0600, the invoking user's), and a resume restores it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSudoers, createUser, hasCommand, isRoot, removeSudoers, removeUser } from './helpers.js';
import { checkoutUnreachable } from '../helpers/test-users.js';

const root = isRoot();
const sudo = hasCommand('sudo');
if (!root) console.warn('run-as resume tests skipped: they create throwaway users and need root');
else if (!sudo) console.warn('sudo resume test skipped: sudo is not installed (`.ci/run` installs it with apt-get)');
const unreachable = root && sudo ? checkoutUnreachable() : undefined;
if (unreachable !== undefined) console.warn(`sudo resume test skipped: ${unreachable}`);

const CLI = path.resolve('dist/cli.js');

const RUNBOOK = `# Release as a service user

\`\`\`bash {name=prepare}
mkdir -p "$HOME/x" && cd "$HOME/x" && export RELEASE=abc SECRET_TOKEN=zzz
\`\`\`

\`\`\`bash {name=ship}
if [ -f "$HOME/flag" ]; then echo shipped; else touch "$HOME/flag"; false; fi
\`\`\`

\`\`\`bash {name=verify}
echo "user=$(id -un) pwd=$PWD release=$RELEASE token=\${SECRET_TOKEN:-unset}"
\`\`\`
`;

let scratch = '';
let service = '';

beforeAll(() => {
  if (!root) return;
  service = createUser('sgsvc');
  scratch = mkdtempSync(path.join(os.tmpdir(), 'stepgate-asresume-'));
  chmodSync(scratch, 0o755);
  writeFileSync(path.join(scratch, 'release.md'), RUNBOOK, { mode: 0o644 });
});

afterAll(() => {
  if (service) removeUser(service);
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** `stepgate ARGS` as `user` (undefined: as root), in plain mode, with `stateDir` for its journals. */
function cli(args: string[], opts: { user?: string; home: string; stateDir: string }): { status: number | null; out: string } {
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: opts.home, LANG: 'C.UTF-8', CI: 'true', NO_COLOR: '1', STEPGATE_STATE_DIR: opts.stateDir };
  const [file, argv] = opts.user === undefined ? [process.execPath, [CLI, ...args]] : ['runuser', ['-u', opts.user, '--', process.execPath, CLI, ...args]];
  const res = spawnSync(file, argv, { cwd: scratch, encoding: 'utf8', env, timeout: 60_000 });
  return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

/** Runs to the gate at `ship`, checks the kept state file, resumes with --retry; the resume's output. */
function runGateResume(opts: { user?: string; home: string; stateDir: string; owner: number }): string {
  const first = cli(['run', 'release.md', '--as', service], opts);
  expect(first.status, first.out).toBe(1);
  expect(first.out).toContain('BLOCKED at step ship');
  const sessions = path.join(opts.stateDir, 'sessions');
  const kept = readdirSync(sessions).filter((n) => n.endsWith('.shell.json'));
  expect(kept).toHaveLength(1);
  const file = path.join(sessions, kept[0] ?? '');
  const st = statSync(file);
  expect(st.mode & 0o777).toBe(0o600);
  expect(st.uid).toBe(opts.owner);
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(`/home/${service}/x`);
  expect(text).not.toContain('zzz');
  const resumed = cli(['resume', '--retry'], opts);
  expect(resumed.status, resumed.out).toBe(0);
  expect(readdirSync(sessions).filter((n) => n.endsWith('.shell.json'))).toEqual([]);
  return resumed.out;
}

describe.skipIf(!root)('resume restores the shell of a step user', () => {
  it('root reaching the service user through runuser', () => {
    rmSync(`/home/${service}/flag`, { force: true });
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'stepgate-asresume-state-'));
    try {
      const out = runGateResume({ home: '/root', stateDir, owner: 0 });
      expect(out).toMatch(new RegExp(`resumed in a new shell: restored cwd /home/${service}/x and \\d+ exported variables?`));
      expect(out).toContain(`user=${service} pwd=/home/${service}/x release=abc token=unset`);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
    }
  });

  it.skipIf(!sudo || unreachable !== undefined)('the SSM case: a login user reaching the service user through sudo -n', () => {
    rmSync(`/home/${service}/flag`, { force: true });
    const login = createUser('sgssm');
    const entry = addSudoers(`stepgate-test-${login}`, `${login} ALL=(${service}) NOPASSWD: ALL`);
    try {
      const home = `/home/${login}`;
      const uid = statSync(home).uid;
      const out = runGateResume({ user: login, home, stateDir: path.join(home, 'state'), owner: uid });
      expect(out).toMatch(new RegExp(`resumed in a new shell: restored cwd /home/${service}/x and \\d+ exported variables?`));
      expect(out).toContain(`user=${service} pwd=/home/${service}/x release=abc token=unset`);
    } finally {
      removeSudoers(entry);
      removeUser(login);
    }
  });
});
