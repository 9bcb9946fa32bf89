/**
 * The runbook view driven by keys over a session wired to the scripted fakes (shell, probes,
 * clock, journal): every assertion is on the rendered frame, plus the journal for decisions.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { fail, pass } from '../fakes/fake-probe.js';
import type { FakeSession } from '../fakes/session.js';
import { arrowDown, arrowUp, ctrlBracket, ctrlC, enter, escape, renderSession, type SessionRender } from './helpers.js';
import { DEPLOY_FILE, FILES, HEALTH_URL, OPS } from './runbooks.js';

afterEach(() => cleanup());

/** Rendered and ready for keys (the hints show once input is subscribed). */
async function deploy(before?: (t: FakeSession) => void): Promise<SessionRender> {
  const r = await renderSession(FILES, DEPLOY_FILE, before ? { before } : {});
  await r.waitForFrame('enter run');
  return r;
}

function decisions(r: SessionRender): unknown[] {
  return r.t.journal.events.filter((e) => e.type === 'decision').map((e) => (e.type === 'decision' ? e.decision : undefined));
}

function frameHeight(frame: string): number {
  return frame.split('\n').length;
}

describe('runbook view', () => {
  it('shows the checklist with marks, the selected step with its code, and a status bar, within 80x24', async () => {
    const r = await deploy();
    const f = r.frame();
    expect(f).toContain('stepgate · Deploy the app');
    expect(f).toContain('ubuntu@test-host');
    expect(f).toContain('depth 0');
    expect(f).toContain('## Pull');
    expect(f).toContain('>[ ] pull: Pull the latest code.');
    expect(f).toContain(' [ ] check healthz: The app must answer on its health route.');
    expect(f).toContain(' [ ] Tell the team the deploy is done.');
    expect(f).toContain('  git pull');
    expect(f).toMatch(/READY 1\/3 pull +enter run/);
    expect(frameHeight(f)).toBeLessThanOrEqual(23);
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('moves the selection with arrows and j/k, and the detail pane follows', async () => {
    const r = await deploy();
    r.press(arrowDown);
    await r.waitForFrame('>[ ] check healthz');
    expect(r.frame()).toContain('http http://127.0.0.1:8081/healthz');
    expect(r.frame()).toMatch(/3 attempts, backoff from 1\.0s, timeout [\d.]+m?s each/);
    r.press('j');
    await r.waitForFrame('>[ ] Tell the team');
    r.press('j');
    await r.waitForFrame('>[ ] Tell the team');
    r.press('k');
    r.press(arrowUp);
    await r.waitForFrame('>[ ] pull');
  });

  it('runs the selected step with enter, shows its output, and moves to the next pending step', async () => {
    const r = await deploy((t) => t.shell.reply({ output: 'Already up to date.\n', exitCode: 0 }));
    r.press(enter);
    await r.waitForFrame('[x] pull');
    await r.waitForFrame('>[ ] check healthz');
    expect(r.frame()).toMatch(/READY 2\/3 healthz/);
    r.press(arrowUp);
    // The pull's own pane (its output was on screen already before the cursor moved on).
    await r.waitForFrame('pull · bash · Pull · /rb/deploy.md:13 · ok 5ms · output');
    expect(r.frame()).toContain('Already up to date.');
  });

  it('shows a running step as [>] with its live output; ctrl-c interrupts it and blocks', async () => {
    const r = await deploy((t) => t.shell.reply({ output: 'Fetching origin\n', hold: true }));
    r.press(enter);
    await r.waitForFrame('>[>] pull');
    await r.waitForFrame('Fetching origin');
    expect(r.frame()).toContain('RUNNING pull');
    expect(r.frame()).toContain('i attach · ctrl-c interrupt');
    r.press(ctrlC);
    await r.waitForFrame('BLOCKED at pull');
    expect(r.frame()).toContain('[!] pull');
    expect(r.frame()).toContain('interrupted');
    // The run's abort is its one ctrl-c (exec writes it); a second one echoed ^C twice.
    expect(r.t.shell.requests[0]?.signal?.aborted).toBe(true);
    expect(r.t.shell.interrupts).toBe(0);
  });

  it('blocks at a failing check, lists every attempt, and retry passes it', async () => {
    const r = await deploy((t) => {
      t.probes.script(HEALTH_URL, fail('connection refused'), fail('connection refused'), fail('status 503', { status: 503 }), pass());
    });
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz (attempt 1)');
    const f = r.frame();
    expect(f).toContain('[!] http http://127.0.0.1:8081/healthz failed after 3 attempts: status 503');
    expect(f).toContain('1/3 connection refused');
    expect(f).toContain('2/3 connection refused');
    expect(f).toContain('3/3 status 503 (3ms)');
    expect(f).toContain('> 1. [r] retry the step');
    expect(f).toContain('2. [c] recover: recovery.md#restart-the-app');
    expect(f).toContain('3. [s] skip, with a reason');
    expect(f).toContain('abort the session');
    expect(f).toMatch(/>\[!\] check healthz.*failed/);
    r.press('r');
    await r.waitForFrame('[x] check healthz');
    await r.waitForFrame('>[ ] Tell the team');
    expect(decisions(r)).toContainEqual({ kind: 'retry' });
  });

  it('an abort at a failing gate says nothing was undone (a trial read only "aborted", the failing release still live)', async () => {
    const r = await deploy((t) => t.probes.script(HEALTH_URL, fail(), fail(), fail()));
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    for (let i = 0; i < 5; i++) r.press(arrowDown);
    await r.waitForFrame(/> \d\. .*abort the session/);
    r.press(enter);
    await r.waitForFrame('enter submits · esc cancels');
    r.press(enter);
    const f = await r.waitForFrame('The session ended: aborted');
    expect(f).toMatch(/^Nothing was undone: the host is as the steps left it, healthz failing\. A\nrecovery runbook runs only when chosen\.$/m);
  });

  it('takes a gate choice with the menu: down, enter', async () => {
    const r = await deploy((t) => t.probes.script(HEALTH_URL, fail(), fail(), fail(), pass()));
    r.press('a');
    await r.waitForFrame('> 1. [r] retry');
    r.press(arrowDown);
    await r.waitForFrame('> 2. [c] recover');
    r.press(enter);
    await r.waitForFrame('depth 1');
    expect(r.frame()).toContain('in recovery: Restart the app (blocked at healthz)');
  });

  it('chooses the recovery path, walks it, returns to the blocked check, which runs again on enter and passes', async () => {
    const r = await deploy((t) => {
      t.probes.script(HEALTH_URL, fail(), fail(), fail(), pass());
      t.shell.reply({ output: 'pulled\n' }, { output: 'app restarted\n' });
    });
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    r.press('c');
    await r.waitForFrame('depth 1');
    let f = r.frame();
    expect(f).toContain('in recovery: Restart the app (blocked at healthz)');
    expect(f).toContain('## Restart the app');
    expect(f).toContain('>[ ] fix: Restart it; stepgate then runs the blocked check again.');
    expect(f).toContain('  ./restart.sh');
    r.press(enter);
    await r.waitForFrame('depth 0');
    // Back at the blocked check, which waits: the path's output first, then enter runs it again.
    await r.waitForFrame('RECOVERY DONE');
    await r.waitForFrame('app restarted');
    f = r.frame();
    expect(f).not.toContain('in recovery:');
    expect(f).toContain('recovery done: Restart the app');
    r.press(enter);
    await r.waitForFrame('[x] check healthz');
    f = r.frame();
    expect(f).not.toContain('recovery done:');
    expect(f).toContain('>[ ] Tell the team');
    const recover = decisions(r).find((d) => (d as { kind: string }).kind === 'recover') as { path: { label: string } };
    expect(recover.path.label).toContain('recovery.md#restart-the-app');
    r.press(' ');
    await r.waitForFrame('ENDED: completed');
    expect(r.frame()).toContain('session completed');
    r.press('q');
    await waitFor(() => r.exits.length === 1);
    expect(r.exits).toEqual([0]);
  });

  it('skips a blocked step only with a reason, which is journaled', async () => {
    const r = await deploy((t) => t.probes.script(HEALTH_URL, fail()));
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    r.press('s');
    await r.waitForFrame('It is required: type why it is safe to skip it.');
    await r.waitForFrame('enter submits');
    r.press(enter);
    await r.waitForFrame('a reason is required');
    r.type('health route is down for maintenance');
    await r.waitForFrame('reason: health route is down for maintenance');
    r.press(enter);
    await r.waitForFrame('[-] check healthz');
    expect(r.frame()).toContain('>[ ] Tell the team');
    expect(decisions(r)).toContainEqual({ kind: 'skip', reason: 'health route is down for maintenance' });
  });

  it('esc cancels a reason prompt and nothing is journaled', async () => {
    const r = await deploy();
    r.press('s');
    await r.waitForFrame('enter submits');
    r.type('oops');
    r.press(escape);
    await r.waitForNoFrame('reason:');
    expect(decisions(r)).toEqual([]);
  });

  it('asks before quitting while a step runs; no keeps it running, yes closes the session resumable', async () => {
    const r = await deploy((t) => t.shell.reply({ output: 'working\n', hold: true }));
    r.press(enter);
    await r.waitForFrame('RUNNING pull');
    r.press('q');
    await r.waitForFrame('Quit interrupts it; the session stays resumable');
    await r.waitForFrame('[y] yes');
    r.press('n');
    await r.waitForNoFrame('Quit interrupts it');
    expect(r.frame()).toContain('RUNNING pull');
    r.press('q');
    await r.waitForFrame('[y] yes');
    r.press('y');
    await waitFor(() => r.exits.length === 1);
    expect(r.exits).toEqual([1]);
    const finished = r.t.journal.events.find((e) => e.type === 'step-finished');
    expect(finished).toMatchObject({ ok: false, interrupted: true });
    expect(r.t.journal.closed).toBe(true);
  });

  it('in stepgate\'s own tmux, quitting while a step runs says how to leave it running instead (ctrl-\\)', async () => {
    const r = await renderSession(FILES, DEPLOY_FILE, { before: (t) => t.shell.reply({ output: 'working\n', hold: true }), services: { detachable: true } });
    await r.waitForFrame('enter run');
    r.press(enter);
    await r.waitForFrame('RUNNING pull');
    r.press('q');
    const f = await r.waitForFrame('Quit interrupts it');
    expect(f.replace(/\s+/g, ' ')).toContain('To leave it running instead, n then ctrl-\\ (stepgate attach returns).');
    // The question shows its keys once it listens: an n before that was lost.
    await r.waitForFrame('[y] yes');
    r.press('n');
    await r.waitForNoFrame('Quit interrupts it');
  });

  it('in place, the quit question does not offer ctrl-\\ (it does not detach there)', async () => {
    const r = await deploy((t) => t.shell.reply({ output: 'working\n', hold: true }));
    r.press(enter);
    await r.waitForFrame('RUNNING pull');
    r.press('q');
    const f = await r.waitForFrame('Quit interrupts it');
    expect(f).not.toContain('ctrl-\\');
  });

  it('an i in the middle of typing does not attach (the TUI taken for a shell); i again, or an i on its own, does', async () => {
    const r = await deploy((t) => t.shell.reply({ output: 'working\n', hold: true }));
    r.press(enter);
    await r.waitForFrame('RUNNING pull');
    // "ping" typed as into a shell: p, then i.
    for (const key of ['p', 'i']) r.press(key);
    await r.waitForFrame('this is not a shell: i again attaches');
    r.type('ng -c1 db');
    expect(r.t.shell.input.join('')).toBe('');
    r.press('i');
    await r.waitForFrame('this is not a shell');
    r.press('i');
    await r.waitForFrame('ATTACHED to pull');
    r.type('y');
    await waitFor(() => r.t.shell.input.join('') === 'y');
    r.press(ctrlBracket);
    await r.waitForFrame('RUNNING pull');
    // A deliberate i, a moment after the last key, attaches at once.
    r.press('l');
    r.t.clock.advance(1500);
    r.press('i');
    await r.waitForFrame('ATTACHED to pull');
  });

  it('a key that means nothing while a step runs says where keys go (a trial typed yes at a prompt, unattached, and saw nothing)', async () => {
    const r = await deploy((t) => t.shell.reply({ output: 'Continue? [y/N] ', hold: true }));
    r.press(enter);
    await r.waitForFrame('RUNNING pull');
    r.press('y');
    await r.waitForFrame('keys go to stepgate, not the step: i attaches (then they go to it)');
    expect(r.t.shell.input.join('')).toBe('');
    // Moving around says nothing of the kind, and retires the notice.
    r.press(arrowDown);
    await r.waitForNoFrame('keys go to stepgate');
    // A step that looks to be waiting for an answer says so over a stray key's notice (a trial:
    // one x hid the prompt's hint for as long as the step waited).
    r.t.store.setState({ waitingForInput: 'Continue? [y/N]' });
    await r.waitForFrame('the step may be waiting for input: "Continue? [y/N]"');
    r.press('x');
    await r.waitForFrame('the step may be waiting for input: "Continue? [y/N]"');
    expect(r.frame()).not.toContain('keys go to stepgate');
  });

  it('quits at once with q when nothing runs', async () => {
    const r = await deploy();
    r.press('q');
    await waitFor(() => r.exits.length === 1);
    expect(r.exits).toEqual([1]);
  });

  it('q in the help closes it, as in a pager, and does not quit; q then quits', async () => {
    const r = await deploy();
    r.press('?');
    await r.waitForFrame('esc/q close');
    r.press('q');
    await r.waitForFrame(/q quit$/m);
    expect(r.exits).toEqual([]);
    r.press('q');
    await waitFor(() => r.exits.length === 1);
    expect(r.exits).toEqual([1]);
  });

  it('a second ctrl-c within 2s asks to quit', async () => {
    const r = await deploy();
    r.press(ctrlC);
    await r.waitForFrame('nothing is running; ctrl-c again within 2s asks to quit');
    r.press(ctrlC);
    await r.waitForFrame('Quit now?');
  });

  it('ctrl-c twice but more than 2s apart does not ask to quit', async () => {
    const r = await deploy();
    r.press(ctrlC);
    await r.waitForFrame('ctrl-c again within 2s');
    r.t.clock.advance(2500);
    r.press(ctrlC);
    await r.waitForFrame('ctrl-c again within 2s');
    expect(r.frame()).not.toContain('Quit now?');
  });

  it('running a later step first asks a reason and journals it', async () => {
    const r = await deploy();
    r.press(arrowDown);
    await r.waitForFrame('>[ ] check healthz');
    r.press(enter);
    await r.waitForFrame('out of order');
    await r.waitForFrame('enter submits');
    r.type('pull already done by hand');
    r.press(enter);
    await r.waitForFrame('[x] check healthz');
    expect(decisions(r)).toContainEqual({ kind: 'jump', index: 1, reason: 'pull already done by hand' });
    // Back to the first open step.
    await r.waitForFrame('>[ ] pull');
  });

  it('refuses to run past a gate', async () => {
    const r = await deploy((t) => t.probes.script(HEALTH_URL, fail()));
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    r.press(escape);
    await r.waitForFrame('enter gate');
    r.press(arrowDown);
    await r.waitForFrame('>[ ] Tell the team');
    r.press(enter);
    await r.waitForFrame('blocked at healthz: resolve the gate first');
  });

  it('shows every key in the help overlay and closes it with esc', async () => {
    const r = await deploy();
    r.press('?');
    await r.waitForFrame('keys (esc or ? closes');
    const f = r.frame();
    for (const key of ['enter', 'space', 'ctrl-c', 'ctrl-]', 'PgUp']) expect(f).toContain(key);
    r.press(escape);
    await r.waitForNoFrame('keys (esc');
  });

  it('o opens a cross-referenced runbook read-only, esc returns', async () => {
    const r = await deploy();
    r.press('o');
    await r.waitForFrame('Observability (/rb/observability.md, read-only)');
    expect(r.frame()).toContain('echo dashboards');
    r.press(escape);
    await r.waitForFrame('>[ ] pull');
  });

  it('uses a compact layout below 60 columns or 16 rows that still fits, and resizes the pty', async () => {
    const r = await deploy();
    r.press(enter);
    await r.waitForFrame('[x] pull');
    r.resize(50, 14);
    await r.waitForFrame(/\? help\s*$/m);
    const f = r.frame();
    expect(frameHeight(f)).toBeLessThanOrEqual(13);
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(50);
    expect(f).toContain('[x] pull');
    expect(f).toContain('READY 2/3');
    await waitFor(() => r.t.shell.size.cols === 50);
    r.resize(80, 24);
    await r.waitForFrame('enter run');
    await waitFor(() => r.t.shell.size.cols === 80 && r.t.shell.size.rows === 12);
  });
});

describe('prompts', () => {
  async function ops(): Promise<SessionRender> {
    const r = await renderSession({ '/rb/ops.md': OPS }, '/rb/ops.md');
    await r.waitForFrame('variable REGION');
    await r.waitForFrame('enter submits');
    return r;
  }

  it('asks vars at the start, the default on enter, a secret masked and never journaled', async () => {
    const r = await ops();
    expect(r.frame()).toContain('REGION [us-east-2]:');
    // The prompt holds the keys: the status line offers what they do there (q would be typed).
    expect(r.frame().split('\n').at(-1)).toMatch(/^VARS: REGION +enter submits · esc quit$/);
    r.press(enter);
    await r.waitForFrame('variable API_TOKEN (secret, not shown)');
    await r.waitForFrame('enter submits');
    r.type('hunter2-secret');
    await r.waitForFrame('API_TOKEN: **************');
    expect(r.frame()).not.toContain('hunter2');
    r.press(enter);
    await r.waitForFrame('READY 1/4 first');
    expect(r.t.journal.dump()).not.toContain('hunter2-secret');
    expect(r.t.journal.events).toContainEqual(expect.objectContaining({ type: 'var-answered', name: 'REGION', value: 'us-east-2' }));
  });

  it("says a refused var value whole in the prompt at 80 columns, not cut on the status line; a secret's value is not repeated", async () => {
    const pattern = 'ghp_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}';
    const runbook = `---\ntitle: Token\nvars:\n  GITHUB_DEPLOY_TOKEN:\n    prompt: The deploy token\n    secret: true\n    pattern: "${pattern}"\n---\n# Token\n\n\`\`\`bash\ntrue\n\`\`\`\n`;
    const r = await renderSession({ '/rb/token.md': runbook }, '/rb/token.md');
    await r.waitForFrame('variable GITHUB_DEPLOY_TOKEN');
    await r.waitForFrame('enter submits');
    r.type('not-a-token');
    r.press(enter);
    await r.waitForFrame('does not match');
    const frame = r.frame();
    const lines = frame.split('\n');
    // Read whole across the prompt's rows, the pattern's end included.
    expect(lines.map((l) => l.trim()).join(' ')).toContain(`GITHUB_DEPLOY_TOKEN: the value given does not match its pattern ${pattern}`);
    expect(frame).not.toContain('not-a-token');
    expect(lines.at(-1)).toMatch(/^VARS: GITHUB_DEPLOY_TOKEN +enter submits · esc quit$/);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    // The refused value is gone from the field: the next answer is not appended to it (a trial's
    // right token, typed after a wrong one into a masked field, was refused without a visible reason).
    expect(lines.find((l) => l.startsWith('GITHUB_DEPLOY_TOKEN:') && !l.includes('does not match'))).not.toContain('*');
    r.type(`ghp_${'a'.repeat(36)}`);
    await r.waitForFrame(`GITHUB_DEPLOY_TOKEN: ${'*'.repeat(40)}`);
    r.press(enter);
    await r.waitForFrame('READY 1/1');
  });

  it('confirms a confirm step before running it; n declines', async () => {
    const r = await ops();
    r.press(enter);
    await r.waitForFrame('API_TOKEN');
    await r.waitForFrame('enter submits');
    r.type('x');
    r.press(enter);
    await r.waitForFrame('READY 1/4');
    r.press(enter);
    await r.waitForFrame('READY 2/4 drop');
    r.press(enter);
    await r.waitForFrame('drop asks for confirmation before it runs');
    await r.waitForFrame('[y] yes');
    expect(r.frame().split('\n').at(-1)).toMatch(/^CONFIRM drop +y yes · n no$/);
    r.press('n');
    await r.waitForFrame('READY 2/4 drop');
    expect(r.t.shell.requests).toHaveLength(1);
    r.press(enter);
    await r.waitForFrame('[y] yes');
    r.press('y');
    await r.waitForFrame('[x] drop');
    expect(r.t.shell.requests.map((q) => q.script.trim())).toEqual(['echo first', 'echo dropping']);
  });

  it('skips an optional step without a reason; an interactive step attaches by itself, ctrl-] detaches', async () => {
    const r = await ops();
    r.press(enter);
    await r.waitForFrame('API_TOKEN');
    await r.waitForFrame('enter submits');
    r.type('x');
    r.press(enter);
    await r.waitForFrame('READY 1/4');
    r.t.shell.reply({}, {}, { output: 'continue? ', hold: true });
    r.press('a');
    await r.waitForFrame('CONFIRM drop');
    await r.waitForFrame('[y] yes');
    r.press('y');
    await r.waitForFrame('READY 3/4 extra');
    r.press('s');
    await r.waitForFrame('It is optional');
    await r.waitForFrame('enter submits');
    r.press(enter);
    await r.waitForFrame('[-] extra');
    r.press(enter);
    await r.waitForFrame('ATTACHED to ask');
    r.type('yes\r');
    await waitFor(() => r.t.shell.input.join('') === 'yes\r');
    r.press(ctrlBracket);
    await r.waitForFrame('RUNNING ask');
    // Detached: keys are the TUI's again, not the step's.
    r.press('i');
    await r.waitForFrame('ATTACHED to ask');
    r.press(ctrlBracket);
    await r.waitForFrame('RUNNING ask');
    r.press('?');
    await r.waitForFrame('keys (esc');
    expect(r.t.shell.input.join('')).toBe('yes\r');
    r.t.shell.release('\n');
    await r.waitForFrame('ENDED: completed');
  });
});

async function waitFor(ok: () => boolean, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
