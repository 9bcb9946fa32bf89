import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, lstatSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openShell } from '../../src/exec/shell.js';
import type { Shell, ShellEvent, ShellOptions } from '../../src/exec/types.js';
import { describeProcess, processAlive, waitFor, waitForScreen } from './helpers.js';

let dir: string;
let shell: Shell | undefined;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stepgate-shell-test-'));
});

afterEach(async () => {
  await shell?.close();
  shell = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** Everything the open shell sent to its `output` listeners (what the session's transcripts get). */
let outputLog: string[] = [];

async function open(opts: ShellOptions = {}): Promise<Shell> {
  shell = await openShell({ cwd: dir, ...opts });
  outputLog = [];
  const log = outputLog;
  shell.onEvent((e) => {
    if (e.type === 'output') log.push(e.data);
  });
  return shell;
}

function output(): string {
  return outputLog.join('');
}

describe('openShell: exit status', () => {
  it('reports 0, 1, 127 and 130 from the marker', async () => {
    const sh = await open();
    expect((await sh.run({ script: 'true' })).exitCode).toBe(0);
    expect((await sh.run({ script: 'false' })).exitCode).toBe(1);
    const missing = await sh.run({ script: 'no-such-command-xyz' });
    expect(missing.exitCode).toBe(127);
    const killed = await sh.run({ script: "sh -c 'kill -INT $$'" });
    expect(killed.exitCode).toBe(130);
    expect(killed.signal).toBe('SIGINT');
    expect(killed.shellExited).toBe(false);
  });

  it('keeps markers and plumbing off the screen and out of the output events', async () => {
    const sh = await open();
    await sh.run({ script: 'echo visible-output' });
    await sh.run({ script: 'set -x; echo traced' });
    await sh.run({ script: 'echo after-trace' });
    const screen = sh.screen().lines.join('\n');
    expect(screen).toContain('visible-output');
    expect(screen).toContain('+ echo after-trace');
    for (const text of [screen, output()]) {
      expect(text).not.toContain('__sg_');
      expect(text).not.toContain('6973;');
      expect(text).not.toContain('/dev/tty');
    }
  });
});

describe('openShell: state carries across steps', () => {
  it('keeps cwd, exports, shell variables, aliases and functions', async () => {
    const sh = await open();
    await sh.run({
      script: [
        'mkdir -p sub && cd sub',
        'export EXPORTED=exp-value',
        'plain=plain-value',
        "alias greet='echo hello-from-alias'",
        'shout() { echo "fn:$1"; }',
      ].join('\n'),
    });
    const res = await sh.run({ script: 'echo "pwd=$PWD"; echo "$EXPORTED $plain"; greet; shout x; bash -c \'echo child=$EXPORTED\'' });
    expect(res.exitCode).toBe(0);
    const lines = sh.screen().lines;
    expect(lines).toContain(`pwd=${dir}/sub`);
    expect(lines).toContain('exp-value plain-value');
    expect(lines).toContain('hello-from-alias');
    expect(lines).toContain('fn:x');
    expect(lines).toContain('child=exp-value');
  });

  it('runs multi-line scripts, heredocs, and output without a trailing newline', async () => {
    const sh = await open();
    const res = await sh.run({
      script: ['name=world', 'cat <<EOF', 'hello $name', '  indented', 'EOF', "cat <<'RAW'", '$not_expanded', 'RAW', 'printf no-newline'].join('\n'),
    });
    expect(res.exitCode).toBe(0);
    const lines = sh.screen().lines;
    expect(lines).toContain('hello world');
    expect(lines).toContain('  indented');
    expect(lines).toContain('$not_expanded');
    expect(lines.at(-1)).toBe('no-newline');
    expect(output()).toMatch(/no-newline$/);
  });

  it('keeps a background job started in one step running in the next', async () => {
    const sh = await open();
    await sh.run({ script: 'sleep 300 & echo "bg=$!"' });
    const pid = Number(/bg=(\d+)/.exec(sh.screen().lines.join('\n'))?.[1]);
    expect(pid).toBeGreaterThan(0);
    const res = await sh.run({ script: `kill -0 ${pid} && jobs` });
    expect(res.exitCode).toBe(0);
    expect(sh.screen().lines.join('\n')).toMatch(/sleep 300/);
  });

  it('applies per-step cwd and env without changing the session', async () => {
    const sh = await open({ env: { SESSION_VAR: 'from-session' } });
    const res = await sh.run({ script: 'echo "in=$PWD $STEP_VAR $SESSION_VAR"', cwd: '/usr', env: { STEP_VAR: 'from-step' } });
    expect(res.exitCode).toBe(0);
    await sh.run({ script: 'echo "after=$PWD [${STEP_VAR-unset}]"' });
    const lines = sh.screen().lines;
    expect(lines).toContain('in=/usr from-step from-session');
    expect(lines).toContain(`after=${dir} [unset]`);
  });

  it('keeps the session\'s own and secret names out of the saved state after a step tries to unset or retype them (review)', async () => {
    const sh = await open({ env: { SESSION_VAR: 'from-session', API_TOKEN: 'tok-abcdef-123456' }, secretEnvNames: ['API_TOKEN'] });
    await sh.run({ script: 'unset __sg_sess __sg_senv 2>/dev/null; declare -a __sg_sess 2>/dev/null; export COPY="$API_TOKEN" STEP_OWN=1; true' });
    const res = await sh.run({ script: 'echo still-reporting' });
    expect(res.exitCode).toBe(0);
    const names = (await sh.snapshot?.())?.exports.map((e) => e.name) ?? [];
    expect(names).toContain('STEP_OWN');
    expect(names).not.toContain('SESSION_VAR');
    expect(names).not.toContain('API_TOKEN');
    // A copy of the secret's value is kept out too: the secret names still say what to look for.
    expect(names).not.toContain('COPY');
  });

  it('runs an isolated step in a fresh shell that starts from the session cwd and exports', async () => {
    const sh = await open();
    await sh.run({ script: 'cd /usr; export KEEP=kept; hidden=1; myfn() { :; }' });
    const res = await sh.run({ script: 'echo "iso=$PWD $KEEP [${hidden-none}]"; type myfn >/dev/null 2>&1 || echo no-fn; cd /', isolated: true });
    expect(res.exitCode).toBe(0);
    await sh.run({ script: 'echo "main=$PWD $hidden"; type myfn >/dev/null && echo has-fn' });
    const lines = sh.screen().lines;
    expect(lines).toContain('iso=/usr kept [none]');
    expect(lines).toContain('no-fn');
    expect(lines).toContain('main=/usr 1');
    expect(lines).toContain('has-fn');
  });
});

describe('openShell: session environment', () => {
  it('delivers values intact, however odd, without writing them where others could read', async () => {
    const secret = `tok-${randomBytes(8).toString('hex')}`;
    const weird = `it's "q" $HOME \`x\` \\ \n line2 ✓ \u0003\u0004 ${secret}`;
    const long = `${'x'.repeat(5000)}END`;
    const sh = await open({ env: { WEIRD: weird, LONG: long, EMPTY: '' } });
    await sh.run({ script: 'printf %s "$WEIRD" | sha256sum; echo "long=${#LONG} ${LONG: -3}"; declare -p EMPTY' });
    const lines = sh.screen().lines;
    expect(lines[0]).toBe(`${createHash('sha256').update(weird).digest('hex')}  -`);
    expect(lines).toContain('long=5003 END');
    expect(lines).toContain('declare -x EMPTY=""');
    const tmp = os.tmpdir();
    for (const name of readdirSync(tmp).filter((n) => n.startsWith('stepgate-') && !n.startsWith('stepgate-state.'))) {
      let entries: string[] = [];
      try {
        entries = readdirSync(path.join(tmp, name));
      } catch {
        continue;
      }
      for (const entry of entries) {
        const file = path.join(tmp, name, entry);
        try {
          // Other suites leave links (a symlink loop, a FIFO) in their stepgate-* dirs while
          // they run: only regular files can hold what a shell wrote.
          if (!lstatSync(file).isFile()) continue;
          expect(readFileSync(file, 'utf8')).not.toContain(secret);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    }
  });

  it('refuses a working directory that does not exist, naming it', async () => {
    await expect(openShell({ cwd: '/no/such/dir-sg' })).rejects.toThrow(/\/no\/such\/dir-sg/);
  });
});

describe('openShell: steps that end the shell', () => {
  it('finishes `exit N` with N, then restores cwd and exports in a fresh shell and says so', async () => {
    const sh = await open();
    const events: ShellEvent[] = [];
    sh.onEvent((e) => events.push(e));
    await sh.run({ script: 'cd /usr/share; export SURVIVES=yes; doomed=1' });
    const res = await sh.run({ script: 'echo bye; exit 3' });
    expect(res).toMatchObject({ exitCode: 3, shellExited: true });
    expect(res.reason).toMatch(/status 3/);
    const next = await sh.run({ script: 'echo "now=$PWD $SURVIVES [${doomed-gone}]"' });
    expect(next.exitCode).toBe(0);
    expect(sh.screen().lines).toContain('now=/usr/share yes [gone]');
    const reset = events.find((e) => e.type === 'shell-reset');
    expect(reset?.type === 'shell-reset' && reset.reason).toMatch(/status 3.*fresh shell/);
  });

  it('never saves secret-looking or session env values to the restore file, yet restores them', async () => {
    const sh = await open({ env: { GIVEN_BY_STEPGATE: 'session-value-qq7' } });
    await sh.run({
      script: 'export API_TOKEN=tok-zz9 PLAIN=keep-me DB_PASSWORD=pw-xx1 SMTP_PASS=pass-aa1 gh_auth=auth-bb2 SSH_PRIVATE=priv-cc3; GIVEN_BY_STEPGATE=changed-qq8',
    });
    const saved = readdirSync(os.tmpdir())
      .filter((n) => n.startsWith(`stepgate-state-${process.pid}-`))
      .map((n) => path.join(os.tmpdir(), n, 'state'))
      .filter((f) => existsSync(f))
      .map((f) => readFileSync(f, 'utf8'));
    expect(saved.some((text) => text.includes('keep-me'))).toBe(true);
    for (const text of saved) {
      expect(text).not.toMatch(/tok-zz9|pw-xx1|pass-aa1|auth-bb2|priv-cc3|session-value-qq7|changed-qq8/);
    }
    await sh.run({ script: 'exit 4' });
    await sh.run({ script: 'echo "plain=$PLAIN given=$GIVEN_BY_STEPGATE token=${API_TOKEN-unset}"' });
    // The session env comes back from stepgate; a secret a step exported is not kept on disk.
    expect(sh.screen().lines).toContain('plain=keep-me given=session-value-qq7 token=unset');
  });

  it('reads a leading ~ in cwd as the run-as user\'s home', async () => {
    const home = mkdtempSync(path.join(dir, 'home-'));
    const sh = await open({ cwd: '~/sub dir', env: { HOME: home } }).catch((e: unknown) => e);
    // the home has no "sub dir" yet: a clear error naming the path, not a literal "~" directory
    expect(String(sh)).toMatch(/sub dir/);
    const sh2 = await openShell({ cwd: '~', env: { HOME: home } });
    shell = sh2;
    await sh2.run({ script: 'pwd' });
    expect(sh2.screen().lines).toContain(home);
    await sh2.run({ script: 'mkdir -p "x y"' });
    expect((await sh2.run({ script: 'pwd', cwd: '~/x y' })).exitCode).toBe(0);
    expect(sh2.screen().lines).toContain(path.join(home, 'x y'));
  });

  it('keeps reporting and restoring after steps set nounset, noclobber and an odd IFS', async () => {
    const sh = await open();
    expect((await sh.run({ script: 'set -uC; IFS=,; cd /usr; export A=1' })).exitCode).toBe(0);
    expect((await sh.run({ script: 'cd /tmp; false' })).exitCode).toBe(1);
    expect((await sh.run({ script: 'exit 5' })).exitCode).toBe(5);
    await sh.run({ script: 'echo "at=$PWD A=$A"' });
    expect(sh.screen().lines).toContain('at=/tmp A=1');
  });

  it('keeps reporting after a step assigns or unsets PROMPT_COMMAND, with the step\'s own status', async () => {
    const sh = await open();
    expect((await sh.run({ script: 'PROMPT_COMMAND="echo from-prompt-command"; (exit 3)' })).exitCode).toBe(3);
    await sh.run({ script: 'echo next' });
    expect(sh.screen().lines).toContain('next');
    expect(sh.screen().lines).toContain('from-prompt-command'); // the step asked for it: it runs, as bash would
    expect((await sh.run({ script: 'unset PROMPT_COMMAND' })).exitCode).toBe(0);
    expect((await sh.run({ script: 'set -x; PROMPT_COMMAND=; false' })).exitCode).toBe(1);
    expect((await sh.run({ script: 'set +x; echo "still $PWD"' })).exitCode).toBe(0);
    expect(sh.screen().lines).toContain(`still ${dir}`);
    expect(sh.screen().lines.join('\n')).not.toContain('__sg_');
  });

  it('a failing step fires an ERR trap a step set as often as bash does for a script sourced by hand', async () => {
    const sh = await open();
    expect((await sh.run({ script: "trap 'echo ERR-fired' ERR" })).exitCode).toBe(0);
    expect((await sh.run({ script: 'false' })).exitCode).toBe(1);
    await sh.run({ script: 'echo next' });
    const fired = sh.screen().lines.filter((line) => line === 'ERR-fired').length;
    // bash itself: the failing command, and the `.` that ran it.
    const script = path.join(dir, 'fails.sh');
    writeFileSync(script, 'false\n');
    const native = execFileSync('bash', ['-c', `trap 'echo ERR-fired' ERR; . ${script}; true`], { encoding: 'utf8' }).split('\n').filter((line) => line === 'ERR-fired').length;
    expect(native).toBe(2);
    expect(fired).toBe(native);
  });

  it('treats `exit 0` as a pass', async () => {
    const sh = await open();
    expect(await sh.run({ script: 'exit 0' })).toMatchObject({ exitCode: 0, shellExited: true });
    expect((await sh.run({ script: 'true' })).exitCode).toBe(0);
  });

  it('ends the step with the failing status under set -e', async () => {
    const sh = await open();
    const res = await sh.run({ script: 'set -e\necho one\nfalse\necho never' });
    expect(res).toMatchObject({ exitCode: 1, shellExited: true });
    expect(sh.screen().lines).toContain('one');
    expect(sh.screen().lines).not.toContain('never');
    expect((await sh.run({ script: 'false; echo still-here' })).exitCode).toBe(0);
  });

  it('fails the step with a clear reason when the shell is killed with SIGKILL', async () => {
    const sh = await open();
    const events: ShellEvent[] = [];
    sh.onEvent((e) => events.push(e));
    await sh.run({ script: 'echo "shellpid=$$"' });
    const pid = Number(/shellpid=(\d+)/.exec(sh.screen().lines.join('\n'))?.[1]);
    const running = sh.run({ script: 'echo waiting-to-die; sleep 300' });
    await waitForScreen(sh, 'waiting-to-die');
    process.kill(pid, 'SIGKILL');
    const res = await running;
    expect(res.exitCode).toBeNull();
    expect(res.shellExited).toBe(true);
    expect(res.reason).toMatch(/killed from outside \(SIGKILL\)/);
    expect((await sh.run({ script: 'echo alive-again' })).exitCode).toBe(0);
    expect(events.some((e) => e.type === 'shell-reset' && /SIGKILL/.test(e.reason))).toBe(true);
  });
});

describe('openShell: interaction', () => {
  it('forwards typed input to a running step', async () => {
    const sh = await open();
    const running = sh.run({ script: 'read -r -p "Proceed? [y/n] " answer; echo "answer=$answer"' });
    await waitForScreen(sh, 'Proceed? [y/n]');
    sh.write('y\r');
    expect((await running).exitCode).toBe(0);
    expect(sh.screen().lines).toContain('answer=y');
    expect(sh.screen().lines.some((l) => l.startsWith('Proceed? [y/n] y'))).toBe(true);
  });

  it('Ctrl-C interrupts the step only, and the shell keeps its state', async () => {
    const sh = await open();
    await sh.run({ script: 'export KEPT=1' });
    const running = sh.run({ script: 'echo started; sleep 300; echo not-reached' });
    await waitForScreen(sh, 'started');
    sh.interrupt();
    const res = await running;
    expect(res).toMatchObject({ exitCode: 130, interrupted: true, timedOut: false, shellExited: false });
    expect(sh.screen().lines).not.toContain('not-reached');
    expect((await sh.run({ script: 'test "$KEPT" = 1' })).exitCode).toBe(0);
  });

  it('a Ctrl-C landing between two commands of a step ends it with the interrupt\'s own outcome, not the escalation\'s', { timeout: 240_000 }, async () => {
    // The escalation is put out of reach: a lost ctrl-c shows as the step running on to exit 0
    // (or 143 at the SIGTERM), never as 130. The waits only choose different moments to
    // interrupt at: before the first command, during it, between the two, during the second.
    const sh = await open({ killGraceMs: 120_000 });
    const seen: string[] = [];
    const steps = ['sleep 0.2; sleep 5', 'for i in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20; do sleep 0.02; done; sleep 5'];
    for (const [n, script] of steps.entries()) {
      for (let k = 0; k < 14; k++) {
        const ac = new AbortController();
        // Both ways a step is interrupted: the session's abort (ctrl-c, then the escalation) and Shell.interrupt.
        const byAbort = k % 2 === 0;
        const running = sh.run(byAbort ? { script, signal: ac.signal } : { script });
        await new Promise((r) => setTimeout(r, k * (n === 0 ? 19 : 31)));
        if (byAbort) ac.abort();
        else sh.interrupt();
        const res = await running;
        seen.push(`${script.slice(0, 10)} #${k}: ${res.exitCode} ${res.signal ?? ''} ${res.interrupted}`);
      }
    }
    expect(seen.filter((line) => !line.endsWith(': 130 SIGINT true'))).toEqual([]);
    expect((await sh.run({ script: 'echo still-here' })).exitCode).toBe(0);
  });

  it('a Ctrl-C sent as a step is handed to bash waits for the step to begin (at bash\'s prompt it threw the step\'s command line away: no status, the shell killed)', { timeout: 120_000 }, async () => {
    const sh = await open({ killGraceMs: 120_000 });
    for (let k = 0; k < 10; k++) {
      const ac = new AbortController();
      const running = sh.run(k % 2 === 0 ? { script: 'sleep 5', signal: ac.signal } : { script: 'sleep 5' });
      // The step is given to bash on the next turn of the event loop; the ctrl-c follows at once.
      await new Promise((r) => setImmediate(r));
      if (k % 2 === 0) ac.abort();
      else sh.interrupt();
      expect(await running, `#${k}`).toMatchObject({ exitCode: 130, signal: 'SIGINT', interrupted: true, shellExited: false });
    }
    // Stopped in the same turn as it was asked for: it never reaches bash.
    const ac = new AbortController();
    const never = sh.run({ script: `touch ${path.join(dir, 'ran')}`, signal: ac.signal });
    ac.abort();
    expect(await never).toMatchObject({ exitCode: null, interrupted: true, reason: 'cancelled before it started' });
    expect(existsSync(path.join(dir, 'ran'))).toBe(false);
  });

  it('a command that catches Ctrl-C is sent it once: what it does with it is its own', async () => {
    const sh = await open({ killGraceMs: 120_000 });
    const count = path.join(dir, 'caught');
    // Counts the SIGINTs it gets and goes on for ten more short sleeps after the first (new
    // commands taking the terminal meanwhile), then ends by itself.
    writeFileSync(
      path.join(dir, 'catcher.sh'),
      `left=-1\ntrap 'echo int >> ${count}; left=10' INT\necho waiting\nwhile [ "$left" -ne 0 ]; do sleep 0.05; if [ "$left" -gt 0 ]; then left=$((left - 1)); fi; done\nexit 3\n`,
    );
    const running = sh.run({ script: 'bash catcher.sh' });
    await waitForScreen(sh, 'waiting');
    sh.interrupt();
    const res = await running;
    expect(res).toMatchObject({ exitCode: 3, interrupted: true });
    expect(readFileSync(count, 'utf8')).toBe('int\n');
  });

  it('times out: Ctrl-C first', async () => {
    const sh = await open();
    const res = await sh.run({ script: 'sleep 300; echo not-reached', timeoutMs: 300 });
    expect(res).toMatchObject({ exitCode: 130, timedOut: true, shellExited: false });
    expect(res.reason).toMatch(/timed out after 300ms/);
    expect((await sh.run({ script: 'true' })).exitCode).toBe(0);
  });

  it('times out a step that ignores Ctrl-C with SIGTERM/SIGKILL to its process group', async () => {
    const sh = await open({ killGraceMs: 200 });
    const res = await sh.run({ script: "sh -c 'trap \"\" INT TERM; echo stubborn; sleep 300'", timeoutMs: 300 });
    expect(res.timedOut).toBe(true);
    expect(res.exitCode).not.toBe(0);
    expect((await sh.run({ script: 'echo fine' })).exitCode).toBe(0);
  });

  it('kills the shell as a last resort when the step itself ignores everything', async () => {
    const sh = await open({ killGraceMs: 100 });
    await sh.run({ script: 'cd /usr; export KEPT=yes' });
    const res = await sh.run({ script: "trap '' INT; while :; do :; done", timeoutMs: 200 });
    expect(res).toMatchObject({ timedOut: true, shellExited: true, exitCode: null });
    expect(res.reason).toMatch(/^timed out after 200ms; .*its shell was killed$/);
    await sh.run({ script: 'echo "$PWD $KEPT"' });
    // The terminal echoed the Ctrl-C as ^C, as any terminal would.
    expect(sh.screen().lines.at(-1)).toMatch(/\/usr yes$/);
  });

  it('cancels through the AbortSignal', async () => {
    const sh = await open();
    const ac = new AbortController();
    // `go` comes half a second after `sleep 300` went to the foreground: a Ctrl-C sent between
    // `echo go` and sleep's start met bash itself, and only the SIGTERM 2 s later stopped the step (143).
    const running = sh.run({ script: '(sleep 0.5; echo go) & sleep 300', signal: ac.signal });
    await waitForScreen(sh, 'go');
    ac.abort();
    expect(await running).toMatchObject({ exitCode: 130, interrupted: true });
  });

  it('resizes the pty and the screen', async () => {
    const sh = await open({ cols: 80, rows: 24 });
    sh.resize(100, 30);
    await sh.run({ script: 'stty size' });
    expect(sh.screen().lines).toContain('30 100');
    expect(sh.screen()).toMatchObject({ cols: 100, rows: 30 });
  });
});

describe('openShell: output', () => {
  it('renders a \\r progress bar as one line', async () => {
    const sh = await open();
    await sh.run({ script: 'for i in 1 2 3 4 5; do printf "\\rprogress %3d%%" $((i*20)); sleep 0.01; done; echo; echo done' });
    const lines = sh.screen().lines;
    expect(lines.filter((l) => l.includes('progress'))).toEqual(['progress 100%']);
    expect(lines).toContain('done');
  });

  it('clearScreen empties the screen only', async () => {
    const sh = await open();
    await sh.run({ script: 'echo before-clear' });
    sh.clearScreen();
    await sh.run({ script: 'echo after-clear' });
    expect(sh.screen().lines).toEqual(['after-clear']);
    expect(output()).toContain('before-clear');
  });

  it('survives a step printing 2,000,000 lines with a bounded screen', async () => {
    const sh = await open({ scrollback: 500 });
    const res = await sh.run({ script: 'seq 2000000' });
    expect(res.exitCode).toBe(0);
    const { lines } = sh.screen();
    expect(lines.length).toBeLessThanOrEqual(500 + 24);
    expect(lines.at(-1)).toBe('2000000');
    // Every line still reached the output listeners, in order.
    const text = output();
    expect(text.split('\r\n').length - 1).toBe(2_000_000);
    expect(text.endsWith('1999999\r\n2000000\r\n')).toBe(true);
  }, 120_000);
});

describe('openShell: close', () => {
  it('leaves no processes behind, background jobs included', async () => {
    const sh = await open();
    await sh.run({ script: 'sleep 300 & echo "bg=$!"; echo "sh=$$"; (sleep 301 &) ; echo' });
    const text = sh.screen().lines.join('\n');
    const bg = Number(/bg=(\d+)/.exec(text)?.[1]);
    const sh1 = Number(/sh=(\d+)/.exec(text)?.[1]);
    expect(processAlive(bg)).toBe(true);
    await sh.close();
    shell = undefined;
    await waitFor('processes to end', () => !processAlive(bg) && !processAlive(sh1));
  });

  it('closes like a terminal hang-up: jobs end; nohup, disowned and setsid processes keep running; a running step is stopped', async () => {
    // A fraction unique to this run: pgrep must not find another run's sleeps (a concurrent suite).
    const tag = `${process.pid}${Date.now() % 100_000}`;
    const sh = await open();
    await sh.run({
      script: [
        `sleep 310.${tag} & echo "job=$!"`,
        `nohup sleep 311.${tag} >/dev/null 2>&1 & echo "nohup=$!"`,
        `sleep 312.${tag} & echo "disowned=$!"; disown`,
        `setsid -f sleep 313.${tag} >/dev/null 2>&1`,
      ].join('\n'),
    });
    const text = sh.screen().lines.join('\n');
    const pid = (name: string): number => Number(new RegExp(`${name}=(\\d+)`).exec(text)?.[1]);
    const setsid = Number(execFileSync('pgrep', ['-f', `^sleep 313\\.${tag}$`], { encoding: 'utf8' }).trim().split('\n')[0]);
    const survivors = [pid('nohup'), pid('disowned'), setsid];
    try {
      expect(survivors.every((p) => p > 0 && processAlive(p))).toBe(true);
      // A step still in the foreground when the session closes is stopped.
      const running = sh.run({ script: `echo "fg=$$"; sleep 314.${tag}` });
      await waitForScreen(sh, 'fg=');
      const fg = Number(execFileSync('pgrep', ['-f', `^sleep 314\\.${tag}$`], { encoding: 'utf8' }).trim().split('\n')[0]);
      await sh.close();
      shell = undefined;
      await running.catch(() => undefined);
      await waitFor('the job and the foreground step to end', () => !processAlive(pid('job')) && !processAlive(fg)).catch((err) => {
        throw new Error(`${(err as Error).message}: still there: ${[pid('job'), fg].filter(processAlive).map(describeProcess).join('; ')}`);
      });
      for (const p of survivors) expect(processAlive(p), `pid ${p}`).toBe(true);
    } finally {
      for (const p of survivors) if (p > 0) process.kill(p, 'SIGKILL');
    }
  });

  /** Start the fixture in a child node; resolves with the pids it reports and the child. */
  async function fixture(
    mode: 'exit' | 'hang',
  ): Promise<{ bg: number; sh: number; child: ReturnType<typeof spawn>; exited: Promise<unknown> }> {
    const dist = path.resolve('dist');
    if (!existsSync(path.join(dist, 'exec', 'shell.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    const child = spawn(process.execPath, [path.resolve('test/exec/fixtures/exit-without-close.mjs'), dist, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    // Listen before anything else: in 'exit' mode the child may be gone by the time pids arrive.
    const exited = new Promise((resolve) => child.once('exit', resolve));
    let out = '';
    child.stdout?.on('data', (d) => (out += d));
    const pids = await waitFor('fixture to report pids', () => (out.includes('}') ? JSON.parse(out) : undefined), 20_000);
    return { ...pids, child, exited };
  }

  it('ends the shell and its jobs when stepgate exits without close()', async () => {
    const { bg, sh, exited } = await fixture('exit');
    await exited;
    await waitFor('processes to end', () => !processAlive(bg) && !processAlive(sh));
  });

  it('ends a foreground step that ignores SIGTERM and SIGHUP when stepgate exits without close()', async () => {
    const child = spawn(process.execPath, [path.resolve('test/exec/fixtures/exit-without-close.mjs'), path.resolve('dist'), 'exit-running'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    await new Promise((resolve) => child.once('exit', resolve));
    const { sh } = JSON.parse(out) as { sh: number };
    const { fg } = JSON.parse(err) as { fg: number };
    expect(fg).toBeGreaterThan(0);
    await waitFor('the step and the shell to end', () => !processAlive(fg) && !processAlive(sh));
  });

  it('ends the shell and its jobs when stepgate is killed with SIGKILL', async () => {
    const { bg, sh, child } = await fixture('hang');
    expect(processAlive(bg)).toBe(true);
    child.kill('SIGKILL');
    await waitFor('processes to end', () => !processAlive(bg) && !processAlive(sh));
  });

  it('ends background jobs of an isolated step when the step ends (docs/architecture.md, Known limits)', async () => {
    const sh = await open();
    await sh.run({ script: 'sleep 300 & echo "iso-bg=$!"', isolated: true });
    await sh.run({ script: 'sleep 301 & echo "main-bg=$!"' });
    const text = sh.screen().lines.join('\n');
    const isoBg = Number(/iso-bg=(\d+)/.exec(text)?.[1]);
    const mainBg = Number(/main-bg=(\d+)/.exec(text)?.[1]);
    expect(isoBg).toBeGreaterThan(0);
    await waitFor('the isolated step\'s job to end', () => !processAlive(isoBg));
    expect(processAlive(mainBg)).toBe(true);
  });

  it('sweeps directories left by a dead stepgate once per process, not on every shell start', async () => {
    const dist = path.resolve('dist');
    if (!existsSync(path.join(dist, 'exec', 'shell.js'))) throw new Error('dist/ is missing: run `npm run build` first');
    // A pid that belonged to a process that has ended (and been reaped).
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const deadPid = gone.pid ?? 0;
    expect(processAlive(deadPid)).toBe(false);
    // A temporary directory of its own: any other stepgate starting on this machine (another
    // test file, another clone's suite) sweeps the shared one and would remove the planted second
    // directory too.
    const tmp = mkdtempSync(path.join(os.tmpdir(), 'stepgate-sweep-'));
    const out = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, [path.resolve('test/exec/fixtures/sweep-once.mjs'), dist, String(deadPid)], {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: { ...process.env, TMPDIR: tmp },
      });
      let text = '';
      child.stdout.on('data', (d) => (text += d));
      child.once('error', reject);
      child.once('exit', () => resolve(text));
    });
    rmSync(tmp, { recursive: true, force: true });
    // The first shell's start removed the stale directory; the second start did not look again.
    expect(JSON.parse(out.trim().split('\n').at(-1) ?? '{}')).toEqual({ first: false, second: true });
  });
});

describe('the command FIFO, made while the shell starts', () => {
  it('a FIFO that cannot be made fails the start, naming it, and leaves no shell directory', async () => {
    const bin = mkdtempSync(path.join(os.tmpdir(), 'stepgate-nofifo-'));
    execFileSync('sh', ['-c', `printf '#!/bin/sh\\necho "mkfifo: no room here" >&2\\nexit 1\\n' > ${bin}/mkfifo && chmod 755 ${bin}/mkfifo`]);
    const savedPath = process.env['PATH'];
    process.env['PATH'] = `${bin}:${savedPath}`;
    const before = new Set(readdirSync(os.tmpdir()).filter((n) => n.startsWith(`stepgate-sh-${process.pid}-`)));
    try {
      await expect(openShell({ screen: false })).rejects.toThrow(/cannot make the shell's command FIFO: .*mkfifo: no room here/);
    } finally {
      process.env['PATH'] = savedPath;
      rmSync(bin, { recursive: true, force: true });
    }
    const left = readdirSync(os.tmpdir()).filter((n) => n.startsWith(`stepgate-sh-${process.pid}-`) && !before.has(n));
    expect(left).toEqual([]);
  });
});
