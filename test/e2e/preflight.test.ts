/**
 * Preflight on a real host: the built CLI, a throwaway service user (when root) with its own
 * checkout directory, its own bash and PATH. What it finds must stop a run before any step
 * runs, name the step and its line, and be journaled when passed with --skip-preflight.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { openPreflightCache } from '../../src/session/preflight-cache.js';
import { createUser, removeUser } from '../helpers/test-users.js';
import { Workspace } from './plain-harness.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('preflight e2e: not root, so the steps run as this user instead of a throwaway service user');

let ws: Workspace;
let user: string | undefined;
/** `--as USER` when a throwaway user exists, else nothing (steps run as whoever runs the test). */
let asFlag: string[] = [];
let home = '';

beforeAll(() => {
  ws = new Workspace();
  if (isRoot) {
    user = createUser('sgpre');
    asFlag = ['--as', user];
    home = execFileSync('getent', ['passwd', user], { encoding: 'utf8' }).split(':')[5] ?? '';
  } else {
    home = join(ws.dir, 'home');
    mkdirSync(home);
  }
  const app = join(home, 'app');
  mkdirSync(join(app, 'scripts'), { recursive: true });
  writeFileSync(join(app, 'scripts', 'ready.sh'), '#!/bin/sh\necho ready\n', { mode: 0o755 });
  if (user) execFileSync('chown', ['-R', `${user}:${user}`, app]);
});

afterAll(() => {
  if (user) removeUser(user);
  ws.remove();
});

/** A runbook whose cwd is the service user's checkout. */
function runbook(name: string, body: string): string {
  const cwd = user ? '~/app' : join(home, 'app');
  return ws.write(name, `---\ncwd: ${cwd}\n---\n# ${name}\n\n${body}`);
}

// Each case starts stepgate and a shell as the service user: minutes under a loaded machine.
describe('preflight before a run', { timeout: 120_000 }, () => {
  it('stops before any step runs when a step needs a program the host lacks, naming the step and line', async () => {
    const file = runbook('missing.md', '## Go\n\nMark that we started.\n\n```bash {name=mark}\ntouch started.flag\n```\n\nRestart with the process manager.\n\n```bash {name=restart}\npm2-not-installed restart all\n```\n');
    const r = await ws.run(['run', file, '--yes', ...asFlag]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:17: error preflight-missing-command: restart runs "pm2-not-installed", which is not found`);
    expect(r.stderr).toContain('--skip-preflight REASON');
    // Nothing ran and no session was journaled.
    expect(ws.sessionIds()).toEqual([]);
    expect(() => execFileSync('test', ['-e', join(home, 'app', 'started.flag')])).toThrow();
  });

  it('names the directory a missing command would run in, not one a later step cds to (a trial read "in /srv/nowhere")', async () => {
    const file = runbook('later-cd.md', '## Go\n\nRestart.\n\n```bash {name=restart}\nsytemctl-not-installed restart cron\n```\n\nMove on.\n\n```bash {name=move}\ncd /tmp\n```\n');
    const r = await ws.run(['preflight', file, ...asFlag]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('restart runs "sytemctl-not-installed", which is not found');
    expect(r.stdout).not.toContain('in /tmp:');
  });

  it('names the line of a syntax error, as the run-as user\'s bash reads it', async () => {
    const file = runbook('syntax.md', '## Go\n\nCheck the mood.\n\n```bash {name=broken}\necho one\nif true; then\n  echo two\n```\n');
    const r = await ws.run(['preflight', file, ...asFlag]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+: error preflight-syntax: step broken does not parse`));
    // The error is on or after the `if` (line 7 of the file), never on the fence.
    const line = Number(/:(\d+): error preflight-syntax/.exec(r.stdout)?.[1]);
    expect(line).toBeGreaterThanOrEqual(7);
  });

  it('names an unnamed step by its words, not by the id the parser made up for it', async () => {
    const file = runbook('unnamed.md', '## Go\n\nCheck the mood.\n\n```bash\necho one\nif true; then\n  echo two\n```\n');
    const r = await ws.run(['preflight', file, ...asFlag]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error preflight-syntax: step "Check the mood." does not parse');
    expect(r.stdout).not.toContain('go-1');
  });

  it('counts a function defined by an earlier step as found, and a script a pull may bring as a warning', async () => {
    const file = runbook(
      'functions.md',
      [
        '## Prepare',
        '',
        'Define a helper the later steps use.',
        '',
        '```bash {name=define}',
        'say() { echo "[deploy] $*"; }',
        '```',
        '',
        'Bring the new release.',
        '',
        '```bash {name=pull}',
        'git pull --ff-only || true',
        '```',
        '',
        'Use the helper, an existing script, and one the pull brings.',
        '',
        '```bash {name=use}',
        'say starting',
        './scripts/ready.sh',
        './scripts/04-redeploy.sh',
        '```',
        '',
      ].join('\n'),
    );
    const r = await ws.run(['preflight', file, ...asFlag]);
    expect(r.stdout).not.toContain('"say"');
    expect(r.stdout).not.toContain('ready.sh');
    expect(r.stdout).toMatch(/warning preflight-missing-script: \.\/scripts\/04-redeploy\.sh \(in .*app\) does not exist yet; an earlier step may bring it/);
    expect(r.stdout).toContain('preflight: 0 errors, 1 warning');
    expect(r.code).toBe(0);
  });

  it('checks recovery-only sections too', async () => {
    const file = runbook(
      'recover.md',
      '## Deploy\n\nSay hello.\n\n```bash {name=hello recover=#roll-back}\necho hello\n```\n\n## Roll back\n\nRestore with a tool this host lacks.\n\n```bash {name=restore}\nrestore-tool-missing --last\n```\n',
    );
    const r = await ws.run(['preflight', file, ...asFlag]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('error preflight-missing-command: restore runs "restore-tool-missing"');
  });

  it('starts anyway with --skip-preflight REASON, and the journal and log say who passed which errors', async () => {
    const file = runbook('skip.md', '## Go\n\nTry a missing program, knowing it is missing.\n\n```bash {name=try optional}\nnot-a-program-here || echo "tolerated"\n```\n');
    const r = await ws.run(['run', file, '--yes', ...asFlag, '--skip-preflight', 'the step tolerates it']);
    expect(r.stderr).toContain('starting despite preflight errors (--skip-preflight: the step tolerates it)');
    expect(r.code).toBe(0);
    const [id] = ws.sessionIds();
    const event = ws.events(id ?? '').find((e) => e.type === 'preflight');
    expect(event).toMatchObject({ type: 'preflight', skipped: { reason: 'the step tolerates it' } });
    expect(event && event.type === 'preflight' ? event.findings.map((f) => f.code) : []).toEqual(['missing-command']);
    const log = await ws.run(['log', id ?? '']);
    expect(log.stdout).toMatch(/preflight: 1 errors, 0 warnings \(\d+ ms\) — errors passed by \S+ with --skip-preflight: the step tolerates it/);
  });

  it('names exactly the broken steps among many (the parses run in batches in the background)', async () => {
    const steps = Array.from({ length: 19 }, (_, i) => `Step ${i}.\n\n\`\`\`bash {name=s${i}}\n${i === 9 || i === 17 ? 'case x in' : `echo ${i}`}\n\`\`\`\n`);
    const file = runbook('many.md', `## Go\n\n${steps.join('\n')}`);
    const r = await ws.run(['preflight', file, ...asFlag]);
    const broken = [...r.stdout.matchAll(/error preflight-syntax: step (\S+) does not parse/g)].map((m) => m[1]);
    expect(broken).toEqual(['s9', 's17']);
  });

  it('parses a script again unless this very bash parsed the very same text before', async () => {
    const file = runbook('cached.md', '## Go\n\nCheck the mood.\n\n```bash {name=broken}\necho one\nif true; then\n  echo two\n```\n');
    const step = parseRunbook(readFileSync(file, 'utf8'), file).steps[0];
    const script = step?.kind === 'command' ? step.script : '';
    expect(script).toContain('if true');
    const who = user ?? userInfo().username;
    const env = { STEPGATE_STATE_DIR: ws.state };
    const first = await ws.run(['preflight', file, ...asFlag]);
    expect(first.stdout).toContain('error preflight-syntax: step broken does not parse');
    const bash = openPreflightCache(env).lastBash(who);
    expect(bash).toMatch(/bash \d/);

    // Recorded as parsed by some other bash: not trusted, parsed again.
    const other = openPreflightCache(env);
    other.rememberParsed('/opt/other/bash 9.9', script);
    other.save();
    expect((await ws.run(['preflight', file, ...asFlag])).stdout).toContain('error preflight-syntax');

    // Recorded as parsed by this bash (a record only stepgate writes, in private state): believed.
    const planted = openPreflightCache(env);
    planted.rememberParsed(bash ?? '', script);
    planted.save();
    const believed = await ws.run(['preflight', file, ...asFlag]);
    expect(believed.stdout).not.toContain('preflight-syntax');

    // One character changed: parsed again.
    writeFileSync(file, readFileSync(file, 'utf8').replace('echo two', 'echo 2'));
    expect((await ws.run(['preflight', file, ...asFlag])).stdout).toContain('error preflight-syntax: step broken does not parse');
  });

  it.skipIf(!isRoot)('asks the host as each step\'s own user= and names a user it cannot become', async () => {
    const other = createUser('sgpre2');
    try {
      const file = runbook(
        'users.md',
        `## Go\n\nAs the service user.\n\n\`\`\`bash {name=mine}\ntrue\n\`\`\`\n\nAs the other user, whose home has no app.\n\n\`\`\`bash {name=theirs user=${other}}\ntrue\n\`\`\`\n\nAs nobody that exists.\n\n\`\`\`bash {name=ghost user=sgnosuchuser}\ntrue\n\`\`\`\n`,
      );
      const r = await ws.run(['preflight', file, ...asFlag]);
      expect(r.code).toBe(2); // a user it cannot become, as run says it
      // ~/app is the other user's home: preflight looked as that user, not as --as.
      expect(r.stdout).toContain(`error preflight-missing-cwd: ${other} cannot enter ~/app, where step theirs and the steps after it run`);
      expect(r.stdout).not.toContain(`${user} cannot enter`);
      expect(r.stdout).toMatch(/error preflight-cannot-run-as: step ghost and the steps after it that run as sgnosuchuser cannot start: cannot run as "sgnosuchuser": no such user/);
    } finally {
      removeUser(other);
    }
  });

  it.skipIf(!isRoot)('refuses to start steps as a user without a home when they have no cwd: they would run in /', async () => {
    // A service user as useradd -r makes them: home /nonexistent.
    const service = createUser('sgnohome', { home: '/nonexistent' });
    try {
      const file = ws.write('homeless.md', '# Homeless\n\n## Go\n\nWhere am I?\n\n```bash {name=where}\npwd\n```\n');
      const r = await ws.run(['preflight', file, '--as', service]);
      expect(r.code).toBe(1);
      expect(r.stdout).toContain(`error preflight-missing-cwd: ${service} has no home directory it can enter, where step where and the steps after it would start: they would run in /.`);
      // With a cwd of its own the home does not matter.
      const placed = ws.write('placed.md', '---\ncwd: /tmp\n---\n# Placed\n\n## Go\n\nWhere am I?\n\n```bash {name=where}\npwd\n```\n');
      expect((await ws.run(['preflight', placed, '--as', service])).stdout).not.toContain('preflight-missing-cwd');
    } finally {
      removeUser(service);
    }
  });

  it('names the front matter line of a user this host lacks, in words and in --json, with the way out', async () => {
    const file = ws.write('ghost-user.md', '---\ntitle: Ghost\nuser: sgnosuchuser\n---\n# Ghost\n\n## Go\n\nSay hi.\n\n```bash {name=hi}\necho hi\n```\n');
    const r = await ws.run(['preflight', file]);
    // Exit 2, as run and the TUI for a run-as user stepgate cannot become (it was 1 here).
    expect(r.code).toBe(2);
    // The step named apart from the sentence (a trial's step `who` read as a word of it).
    expect(r.stdout).toContain(`${file}:3: error preflight-cannot-run-as: user: sgnosuchuser cannot be used here (step "hi" and the steps after it run as it): cannot run as "sgnosuchuser": no such user`);
    expect(r.stdout).toContain('Create the user on this host (useradd), or change user: here (or pass --as USER).');
    // --skip-preflight would not get past it: not offered as the way out.
    expect(r.stdout).toContain('stepgate cannot become the run-as user above; fix that first (--skip-preflight does not get past it)');
    expect(r.stdout).not.toContain('pass --skip-preflight REASON to start anyway');
    const j = await ws.run(['preflight', file, '--json']);
    expect(j.code).toBe(2);
    const doc = JSON.parse(j.stdout) as { findings: Array<{ severity: string; code: string; file: string; line: number; step?: string }> };
    expect(doc.findings).toEqual([expect.objectContaining({ severity: 'error', code: 'cannot-run-as', file, line: 3, step: 'hi' })]);
    // A runbook with no command step still starts its shell as that user: said at the same line.
    const manual = ws.write('ghost-manual.md', '---\nuser: sgnosuchuser\n---\n# Ghost\n\n- [ ] look around\n');
    const m = await ws.run(['preflight', manual]);
    expect(m.code).toBe(2);
    expect(m.stdout).toContain(`${manual}:2: error preflight-cannot-run-as: user: sgnosuchuser cannot be used here (the session's shell runs as it)`);
  });

  it('refuses, as run does, a runbook whose recovery runbook it names is missing (a lint error, not a parse error)', async () => {
    const file = runbook('no-recovery.md', '## Go\n\nSay hi.\n\n```bash {name=hi recover=gone.md#rollback}\necho hi\n```\n');
    const line = `${file}:10:`;
    const pre = await ws.run(['preflight', file, ...asFlag]);
    expect(pre.code).toBe(2);
    expect(pre.stderr).toContain(line);
    expect(pre.stderr).toContain('unresolved-target');
    expect(pre.stderr).toContain('a session of it would not start');
    const run = await ws.run(['run', file, '--yes', ...asFlag]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(line);
  });

  it('says of a step\'s own user= this host lacks that --as does not change it', async () => {
    const file = runbook('own-user.md', '## Go\n\nAs someone else.\n\n```bash {name=other user=sg-no-such-user}\nid -un\n```\n');
    const pre = await ws.run(['preflight', file, ...asFlag]);
    expect(pre.code).toBe(2);
    expect(pre.stdout + pre.stderr).toContain("It is this step's own user= (--as changes only the steps without one)");
    expect(pre.stdout + pre.stderr).not.toContain("Check the runbook's user / --as");
  });

  it('refuses an empty --skip-preflight reason', async () => {
    const file = runbook('empty-reason.md', '## Go\n\nSay hi.\n\n```bash {name=hi}\necho hi\n```\n');
    const r = await ws.run(['run', file, '--yes', '--skip-preflight', ' ']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--skip-preflight wants a reason');
  });
});
