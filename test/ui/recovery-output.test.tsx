/**
 * What a recovery path printed stays readable after it returns (new-operator trial: `a` in a
 * recovery path went straight back to the blocked check and re-ran it, and the output of the
 * path's steps, the `tail service.log` it exists for, was never on screen). The path's steps
 * stay listed under the blocked step, dimmed, until the operator moves on; the walk stops
 * there before the check runs again, with the last step's output in view; `↓` selects an
 * earlier step and shows its output (from its transcript), `t` shows it whole. A session
 * resumed at that point shows the same.
 */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import type { TranscriptSink } from '../../src/session/journal.js';
import { DEFAULT_POLICY } from '../../src/session/next-move.js';
import { walk } from '../../src/session/walk.js';
import { App } from '../../src/ui/app.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { MemoryJournal } from '../fakes/memory-journal.js';
import { fakeSession, type FakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';
import { arrowDown, arrowUp, drive, enter, escape, type Driver } from './helpers.js';

afterEach(() => cleanup());

const DEPLOY_FILE = '/rb/deploy.md';
const HEALTH_URL = 'http://127.0.0.1:8081/healthz';
const STATE = '/state/sessions/20250101-120000-abcdef';

const DEPLOY = `---
title: Deploy the app
recovery: recovery.md#health-check-failing
---
# Deploy the app

## Pull

\`\`\`bash {name=pull}
git pull
\`\`\`

## Health

\`\`\`check {name=healthz}
http: ${HEALTH_URL}
retries: 3
backoff: 1s
\`\`\`

## Tell

- [ ] Tell the team the deploy is done.
`;

const RECOVERY = `# Recovery

## Health check failing

Look first: the service log says why.

\`\`\`bash {name=failing-log}
tail -n 20 service.log
\`\`\`

Which release runs.

\`\`\`bash {name=failing-release}
readlink current
\`\`\`

Restart it once; stepgate then runs the blocked check again.

\`\`\`bash {name=failing-restart}
./restart.sh
\`\`\`
`;

const FILES = { [DEPLOY_FILE]: DEPLOY, '/rb/recovery.md': RECOVERY };

/** The memory journal, with transcript paths as the file journal gives them (so `t` and the pane can read them). */
class PathJournal extends MemoryJournal {
  override async openTranscript(name: string): Promise<TranscriptSink> {
    const sink = await super.openTranscript(name);
    return { ...sink, path: `${STATE}/${name}.log` };
  }

  read(path: string): string {
    const text = this.transcripts.get(path.slice(STATE.length + 1, -'.log'.length));
    if (text === undefined) throw new Error(`no transcript ${path}`);
    return text;
  }
}

/** The session over the fakes: the check fails three times (one run), then passes; the steps print what a host would. */
function session(journal: PathJournal): FakeSession {
  const t = fakeSession(FILES, { journal });
  t.probes.script(HEALTH_URL, fail('status 503'), fail('status 503'), fail('status 503'), pass());
  t.shell.reply(
    { output: 'Already up to date.\n' },
    { output: 'app 1.1.0: listening\napp 1.1.0: db: connection refused by 10.0.3.7:5432\n' },
    { output: 'releases/1.1.0\n' },
    { output: 'stopped pid 41\nstarted 1.1.0 as pid 42\n' },
  );
  return t;
}

async function show(t: FakeSession, journal: PathJournal): Promise<Driver> {
  const exits: number[] = [];
  const ink = render(
    <App
      services={{ now: () => t.clock.now(), color: false, readTranscript: async (path) => journal.read(path) }}
      session={{ store: t.store, runAs: 'ubuntu', host: 'test-host' }}
      onExit={(code) => exits.push(code)}
    />,
  );
  const d = drive(ink, exits);
  d.resize(80, 24);
  // The first frame is drawn at the testing library's 100 columns: wait for the resized one with
  // its key hints (the keys are listened to; a notice may leave room for the first hint only).
  while (!d.frame().split('\n').every((line) => line.length <= 80) || !/\? help|enter rerun/.test(d.frame())) await new Promise((resolve) => setTimeout(resolve, 5));
  return d;
}

/** Waits until a key pressed now is read apart from the one before (escape then a letter reads as meta). */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('a recovery path walked with a', () => {
  it('stops back at the blocked check before it runs again, with the path steps listed and the last one output in view; ↓ and t show an earlier step output', async () => {
    const journal = new PathJournal();
    const t = session(journal);
    await t.actions.start({ file: DEPLOY_FILE });
    const r = await show(t, journal);
    r.press('a');
    await r.waitForFrame('BLOCKED at healthz');
    r.press('c');
    await r.waitForFrame('depth 1');
    r.press('a');
    await r.waitForFrame('RECOVERY DONE');
    await r.waitForFrame('started 1.1.0 as pid 42');
    let f = r.frame();
    // The check has not run again: its one run of three attempts is all.
    expect(t.probes.calls).toHaveLength(3);
    expect(f).toContain('depth 0');
    expect(f).toMatch(/>\[ \] check healthz/);
    expect(f).toContain('   recovery done: Health check failing');
    expect(f).toMatch(/ {3}\[x\] failing-log: Look first: the service log says why\. +ok/);
    expect(f).toMatch(/ {3}\[x\] failing-release/);
    expect(f).toMatch(/ {3}\[x\] failing-restart/);
    expect(f).toContain('recovery Health check failing finished.');
    expect(f).toContain('output of failing-restart:');
    expect(f).toContain('enter rerun');
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(80);

    // The log the path exists for: its step selected, its output from the transcript.
    r.press(arrowDown);
    await r.waitForFrame('db: connection refused by 10.0.3.7:5432');
    f = r.frame();
    expect(f).toMatch(/> {2}\[x\] failing-log/);
    expect(f).toContain('[x] failing-log · bash · Health check failing · ok 5ms · output');
    expect(f).toContain('t output');
    // enter there runs nothing: the step ran in the path.
    r.press(enter);
    await r.waitForFrame('failing-log ran in recovery Health check failing');
    expect(t.shell.requests).toHaveLength(4);
    r.press('t');
    await r.waitForFrame('transcript of failing-log');
    expect(r.frame()).toContain('app 1.1.0: db: connection refused by 10.0.3.7:5432');
    r.press(escape);
    await r.waitForNoFrame('transcript of failing-log');
    await settle();

    // Back on the check, enter runs it again; once it passes, the path's rows give way.
    r.press(arrowUp);
    await r.waitForFrame(/>\[ \] check healthz/);
    r.press(enter);
    await r.waitForFrame('[x] check healthz');
    await r.waitForFrame('>[ ] Tell the team');
    expect(r.frame()).not.toContain('recovery done:');
    expect(t.probes.calls).toHaveLength(4);
  });
});

describe('a session resumed after a recovery path returned', () => {
  it('shows the same: the check waiting to run again, the path steps under it, an earlier step output from its transcript', async () => {
    const journal = new PathJournal();
    const before = session(journal);
    await before.actions.start({ file: DEPLOY_FILE });
    await runToNextBlock(before.store);
    await before.actions.chooseRecovery(0);
    const end = await walk(before.store, { ...DEFAULT_POLICY, stopOnReturn: true });
    expect(end.reason).toMatchObject({ kind: 'returned', step: 'healthz' });
    // The crash: the process is gone, its journal stays.
    const after = fakeSession(FILES, { journal: new PathJournal() });
    after.probes.script(HEALTH_URL, pass());
    await after.actions.resume(journal.events);
    const r = await show(after, journal);
    await r.waitForFrame('RECOVERY DONE');
    const f = r.frame();
    expect(f).toContain('recovery done: Health check failing');
    expect(f).toMatch(/ {3}\[x\] failing-restart/);
    // No screen survives a resume: the step's own text stands under the line.
    expect(f).toContain('recovery Health check failing finished.');
    r.press(arrowDown);
    await r.waitForFrame('db: connection refused by 10.0.3.7:5432');
    r.press(arrowUp);
    await r.waitForFrame(/>\[ \] check healthz/);
    r.press(enter);
    await r.waitForFrame('>[ ] Tell the team');
    expect(after.probes.calls).toHaveLength(1);
  });
});
