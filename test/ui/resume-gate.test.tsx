/**
 * A session rebuilt from its journal, in the TUI: the gate shows the check attempts the journal
 * recorded (status, error, the response body's head), a step a crash cut short points to its
 * transcript and shows its end, `t` shows a transcript whole, and what resume found (a torn
 * line, a changed runbook) is said before anything else. The first session runs on the fakes
 * until its "crash"; a second store over fresh fakes resumes from the first one's journal.
 */
import { render, cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/ui/app.js';
import { transcriptPathLines } from '../../src/ui/components/gate-panel.js';
import type { TranscriptSink } from '../../src/session/journal.js';
import type { UiServices } from '../../src/ui/context.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { MemoryJournal } from '../fakes/memory-journal.js';
import { fakeSession, type FakeSession } from '../fakes/session.js';
import { drive, escape, type Driver } from './helpers.js';
import { DEPLOY, DEPLOY_FILE, FILES, HEALTH_URL, OPS } from './runbooks.js';
import { runToNextBlock } from '../fakes/walk.js';

afterEach(() => cleanup());

// Under the home directory, which the TUI shows as `~`.
const STATE = `${process.env['HOME'] ?? '/root'}/.local/state/stepgate/sessions/20250101-120000-abcdef`;

/** The memory journal, with transcript paths as the file journal gives them. */
class PathJournal extends MemoryJournal {
  override async openTranscript(name: string): Promise<TranscriptSink> {
    const sink = await super.openTranscript(name);
    return { ...sink, path: `${STATE}/${name}.log` };
  }

  /** A transcript's text by the path a `step-finished` names. */
  read(path: string): string {
    const name = path.slice(STATE.length + 1, -'.log'.length);
    const text = this.transcripts.get(name);
    if (text === undefined) throw new Error(`no transcript ${path}`);
    return text;
  }
}

/** A session over the fakes; `disk` holds the transcripts a resume finds (the crashed run's). */
function session(journal: PathJournal, disk: PathJournal = journal): FakeSession {
  return fakeSession(FILES, {
    journal,
    findTranscript: async (stepId, attempt) => [...disk.transcripts.keys()].filter((n) => n.endsWith(`-${stepId}-${attempt}`)).map((n) => `${STATE}/${n}.log`).pop(),
  });
}

/** The TUI over `t`'s store at 80x24 without colour, transcripts read from `journal`. */
async function show(t: FakeSession, journal: PathJournal, services: Partial<UiServices> = {}): Promise<Driver> {
  const exits: number[] = [];
  const ink = render(
    <App
      services={{ now: () => t.clock.now(), color: false, readTranscript: async (path) => journal.read(path), ...services }}
      session={{ store: t.store, runAs: 'ubuntu', host: 'test-host' }}
      onExit={(code) => exits.push(code)}
    />,
  );
  const d = drive(ink, exits);
  d.resize(80, 24);
  // The first frame is drawn at the testing library's 100 columns: wait for the resized one,
  // with the key hints (the keys are listened to).
  while (!d.frame().split('\n').every((line) => line.length <= 80) || !/\? help/.test(d.frame())) await new Promise((resolve) => setTimeout(resolve, 5));
  return d;
}

/** A 503 whose body says why, as exec's probe quotes it in the error (the body's first bytes). */
const BODY = '{"status":"degraded","checks":{"db":"connection refused by 10.0.3.7:5432","queue":"ok","cache":"ok"},"release":"2025.01.02-7","hint":"see /var/log/app/db.log"}';
const bad = fail(`bad status 503 (expected 200-399): ${BODY}`, { status: 503, output: `${BODY}\n` });

/** A run blocked at healthz by three 503s, resumed in a new session and shown at the gate. */
async function resumedAtFailingHealthz(): Promise<Driver> {
  const journal = new PathJournal();
  const before = session(journal);
  before.probes.script(HEALTH_URL, bad);
  await before.actions.start({ file: DEPLOY_FILE });
  await runToNextBlock(before.store);
  const after = session(new PathJournal());
  await after.actions.resume(journal.events);
  const r = await show(after, journal);
  await r.waitForFrame('BLOCKED at healthz');
  return r;
}

describe('a session resumed in the TUI', () => {
  it('shows the gate with the attempts recorded in the journal, the last one whole, and retry passes it', async () => {
    const journal = new PathJournal();
    const before = session(journal);
    before.probes.script(HEALTH_URL, fail('connection refused'), fail('connection refused'), bad);
    await before.actions.start({ file: DEPLOY_FILE });
    await runToNextBlock(before.store);
    expect(before.state().status.kind).toBe('blocked');
    // The crash: the process is gone; its journal stays.
    const events = journal.events;

    const written = new PathJournal();
    const after = session(written);
    after.probes.script(HEALTH_URL, pass());
    await after.actions.resume(events);
    const r = await show(after, journal);
    const f = await r.waitForFrame('BLOCKED at healthz (attempt 1)');
    expect(f).toContain('1/3 connection refused (3ms)');
    expect(f).toContain('2/3 connection refused (3ms)');
    // What explains it leads: the body's status, then the error quoting the body.
    expect(f).toContain('3/3 degraded · bad status 503 (expected 200-399):');
    // The body is wrapped (at word boundaries; a word longer than a row is cut), not cut off:
    // its end is on the screen.
    expect(f.replace(/\s+/g, '')).toContain(`${BODY.replace(/\s+/g, '')}(3ms)`);
    for (const line of f.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
    expect(f).toContain('t output');

    r.press('r');
    await r.waitForFrame('[x] check healthz');
    expect(written.events.filter((e) => e.type === 'decision').map((e) => (e.type === 'decision' ? e.decision.kind : ''))).toEqual(['retry']);
  });

  it('a failure whose error does not quote the body (contains, run:) shows the body\'s head from the journal', async () => {
    const journal = new PathJournal();
    const before = session(journal);
    before.probes.script(HEALTH_URL, fail('response does not contain "ok"', { status: 200, output: '{\n  "status": "starting",\n  "migrations": "3 pending"\n}\n' }));
    await before.actions.start({ file: DEPLOY_FILE });
    await runToNextBlock(before.store);
    const after = session(new PathJournal());
    await after.actions.resume(journal.events);
    const r = await show(after, journal);
    const f = await r.waitForFrame('BLOCKED at healthz');
    expect(f.replace(/\n\s*/g, ' ')).toContain('3/3 starting · status 200: response does not contain "ok": { "status": "starting", "migrations": "3 pending" } (3ms)');
  });

  it('t shows the whole transcript of the blocked check: each attempt with the response body', async () => {
    const r = await resumedAtFailingHealthz();
    r.press('t');
    const f = await r.waitForFrame('transcript of healthz (esc or q closes)');
    expect(f).toContain('attempt 3/3: bad status 503');
    // The body as the probe kept it, on lines of its own, wrapped at its spaces (the frame
    // drops the space a row ends with, so the rows are compared without spaces).
    expect(f.replace(/\s/g, '')).toContain(BODY.replace(/\s/g, ''));
    expect(f).toMatch(/^http http:\/\/127\.0\.0\.1:8081\/healthz attempt 1\/3: bad status 503 \(expected$/m);
    expect(f).toMatch(/^\{"status":"degraded","checks":\{"db":"connection refused by$/m);
    r.press(escape);
    await r.waitForFrame('1. [r] retry the step');
  });

  it('an open transcript is laid out again when the terminal narrows, nothing cut off', async () => {
    const r = await resumedAtFailingHealthz();
    r.press('t');
    await r.waitForFrame('transcript of healthz (esc or q closes)');
    r.resize(50, 24);
    // The body, wrapped at 50 columns, still reads whole once the rows are joined (a page kept
    // at its 80-column layout would show each row cut short with an ellipsis instead).
    const head = BODY.slice(0, 90).replace(/\s/g, '');
    const rewrapped = (frame: string): boolean => frame.split('\n').every((line) => line.length <= 50) && frame.replace(/\s/g, '').includes(head);
    const until = Date.now() + 5000;
    while (!rewrapped(r.frame()) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 5));
    const f = r.frame();
    expect(f.replace(/\s/g, '')).toContain(head);
    expect(f).toMatch(/^.{41,50}$/m); // the text fills the new width rather than keeping 80-column breaks cut short
  });

  it('the gate of a step a crash cut short points to its transcript and shows how it ended', async () => {
    const journal = new PathJournal();
    const before = session(journal);
    before.shell.reply({ output: ['Fetching origin\n', 'remote: Counting objects: 100% (12/12)\n', 'Updating 1a2b3c..4d5e6f\n'], hold: true });
    await before.actions.start({ file: DEPLOY_FILE });
    void before.actions.runStep();
    while (before.state().status.kind !== 'running' || !(journal.transcripts.get('00002-pull-1') ?? '').includes('Updating')) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // SIGKILL here: no step-finished ever reaches the journal.
    const events = journal.events;
    expect(events.map((e) => e.type)).toEqual(['session-started', 'step-started']);

    const after = session(new PathJournal(), journal);
    after.shell.reply({ output: 'Already up to date.\n', exitCode: 0 });
    const report = await after.actions.resume(events);
    expect(report.interrupted).toEqual({ key: `${DEPLOY_FILE}#pull`, title: 'pull', transcript: `${STATE}/00002-pull-1.log` });
    const r = await show(after, journal);
    let f = await r.waitForFrame('BLOCKED at pull');
    expect(f).toContain('[!] stepgate stopped while this step ran');
    // The path is on one row, whole: a path broken across rows copies as two pieces.
    expect(f).toMatch(/its output until then \(t shows it\):\n {2}~\/\.local\/state\/stepgate\/sessions\/20250101-120000-abcdef\/00002-pull-1\.log\n/);
    f = await r.waitForFrame('Updating 1a2b3c..4d5e6f');
    expect(f).toContain('remote: Counting objects');

    r.press('t');
    f = await r.waitForFrame('transcript of pull (esc or q closes)');
    expect(f).toContain('Fetching origin');
    r.press(escape);
    await r.waitForFrame('1. [r] retry the step');
    r.press('r');
    await r.waitForFrame('[x] pull');
  });

  it('a second resume (the operator quit at that gate) still finds the interrupted run\'s transcript', async () => {
    const journal = new PathJournal();
    const before = session(journal);
    before.shell.reply({ output: 'Fetching origin\n', hold: true });
    await before.actions.start({ file: DEPLOY_FILE });
    void before.actions.runStep();
    while (!(journal.transcripts.get('00002-pull-1') ?? '').includes('Fetching')) await new Promise((resolve) => setTimeout(resolve, 5));
    const crashed = journal.events;
    const written = new PathJournal();
    const first = session(written, journal);
    await first.actions.resume(crashed);
    await first.actions.close();
    // The journal now says the step was interrupted, by `session-resumed`; still no step-finished.
    const events = [...crashed, ...written.events];
    const again = session(new PathJournal(), journal);
    const report = await again.actions.resume(events);
    expect(report.interrupted).toBeUndefined();
    const r = await show(again, journal);
    const f = await r.waitForFrame('Fetching origin');
    expect(f).toMatch(/its output until then \(t shows it\):\n {2}~\/\.local\/state\/stepgate\/sessions\/20250101-120000-abcdef\/00002-pull-1\.log\n/);
  });

  it('says first what resume found: a torn last line and a runbook changed since the crash', async () => {
    const journal = new PathJournal();
    const before = session(journal);
    before.probes.script(HEALTH_URL, fail('connection refused'));
    await before.actions.start({ file: DEPLOY_FILE });
    await runToNextBlock(before.store);
    const after = session(new PathJournal());
    after.runbooks.files.set(DEPLOY_FILE, DEPLOY.replace('git pull\n', 'git pull --ff-only\n'));
    await after.actions.resume(journal.events, { torn: { line: 9, bytes: 37 } });
    const r = await show(after, journal);
    await r.waitForFrame('resumed: read this first (esc or q closes)');
    // Wrapped at the pane's width: the words may sit on two rows, but none is cut.
    let f = await r.waitForFrame(/torn line\s+\(line\s+9,\s+37\s+bytes,\s+cut\s+off\s+by\s+a\s+crash\s+mid-write\)/);
    expect(f).not.toContain('…');
    expect(f).toContain('deploy.md changed since the session started:');
    expect(f).toContain(`~ edited  ${DEPLOY_FILE}#pull (will run again)`);
    r.press(escape);
    // The edited step runs again first, as the report said.
    f = await r.waitForNoFrame('read this first');
    expect(f).toContain('READY 1/3 pull');
    expect(f).toContain('git pull --ff-only');
  });

  it('does not ask a secret again when only a manual item is left; a step run again out of order asks it first', async () => {
    const file = '/rb/tell.md';
    const book = `---
title: Token then tell
vars:
  API_TOKEN: { prompt: API token, secret: true }
---
# Token then tell

## Work

Use the token.

\`\`\`bash {name=use-token}
echo using it
\`\`\`

- [ ] Tell the team the token was rotated.
`;
    const journal = new PathJournal();
    const before = fakeSession({ [file]: book }, { journal });
    await before.actions.start({ file });
    await before.actions.answerVar('tok-3f9a7c-secret');
    await before.actions.runStep();
    await before.actions.idle();
    expect(before.state().status.kind).toBe('ready');
    const after = fakeSession({ [file]: book }, { journal: new PathJournal() });
    await after.actions.resume(journal.events);
    expect(after.state().status.kind).toBe('ready');
    const r = await show(after, journal);
    const f = await r.waitForFrame('MANUAL 2/2');
    expect(f).toContain('>[ ] Tell the team the token was rotated.');
    expect(f).not.toContain('API_TOKEN');
    // The step that read the token, run again: the token is owed again, and asked before it runs.
    await after.actions.runStepAt(0, 'check the new token');
    await r.waitForFrame('variable API_TOKEN');
    expect(after.shell.requests).toHaveLength(0);
  });

  it('what resume found closes with esc when a secret var is asked again under it', async () => {
    const file = '/rb/ops.md';
    const journal = new PathJournal();
    const before = fakeSession({ [file]: OPS }, { journal });
    await before.actions.start({ file });
    await before.actions.answerVar('');
    await before.actions.answerVar('tok-3f9a7c-secret');
    await before.actions.runStep();
    await before.actions.idle();
    // The crash left a torn line; secrets are not journaled, so the resume asks for the token again.
    const after = fakeSession({ [file]: OPS }, { journal: new PathJournal() });
    await after.actions.resume(journal.events, { torn: { line: 5, bytes: 12 } });
    expect(after.state().status.kind).toBe('vars');
    const r = await show(after, journal);
    await r.waitForFrame('resumed: read this first (esc or q closes)');
    r.press(escape);
    const f = await r.waitForFrame('variable API_TOKEN');
    expect(f).not.toContain('read this first');
  });
});

describe('where an interrupted run\'s output is, in the gate', () => {
  const path = '~/.local/state/stepgate/sessions/20261207-031540-1df017/00012-slow-1.log';
  it('keeps the path on one row: after the words when it fits, else on a row of its own', () => {
    expect(transcriptPathLines('~/x/1.log', 80)).toEqual(['its output until then (t shows it): ~/x/1.log']);
    expect(transcriptPathLines(path, 80)).toEqual(['its output until then (t shows it):', `  ${path}`]);
  });
  it('breaks it only when it is wider than the pane, and loses nothing', () => {
    const rows = transcriptPathLines(path, 40);
    expect(rows[0]).toBe('its output until then (t shows it):');
    expect(rows.slice(1).join('')).toBe(path);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(40);
  });
});
