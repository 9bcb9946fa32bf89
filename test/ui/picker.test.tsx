/** The picker: lists runbooks and resumable sessions, filters with `/`, opens with enter, esc comes back. */
import { cleanup, render } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/ui/app.js';
import type { SessionHandle } from '../../src/ui/context.js';
import type { PickerEntry } from '../../src/ui/picker-model.js';
import { fakeSession } from '../fakes/session.js';
import { arrowDown, drive, enter, escape } from './helpers.js';
import { DEPLOY_FILE, FILES } from './runbooks.js';

afterEach(() => cleanup());

const ENTRIES: PickerEntry[] = [
  { kind: 'session', id: '20250101-120000-abcdef', file: DEPLOY_FILE, title: 'Deploy the app', state: 'blocked', at: 'healthz' },
  { kind: 'runbook', file: DEPLOY_FILE, title: 'Deploy the app', description: 'The app redeploy.', steps: 3, checks: 1, errors: 0 },
  { kind: 'runbook', file: '/rb/recovery.md', title: 'Recovery', steps: 1, checks: 0, errors: 0, partOf: 'recovery of deploy.md' },
];

function setup(refusal = 'no such runbook', dir = '/rb', notes?: () => Promise<readonly string[]>) {
  const opened: PickerEntry[] = [];
  let refreshed = 0;
  const t = fakeSession(FILES);
  const ink = render(
    <App
      services={{ now: () => t.clock.now(), color: false }}
      picker={{
        dir,
        entries: ENTRIES,
        open: async (entry): Promise<SessionHandle> => {
          opened.push(entry);
          if (entry.file !== DEPLOY_FILE) throw new Error(refusal);
          await t.actions.start({ file: entry.file });
          return { store: t.store, runAs: 'ubuntu', host: 'test-host' };
        },
        refresh: async () => {
          refreshed += 1;
          return ENTRIES.slice(1);
        },
        ...(notes ? { notes } : {}),
      }}
      onExit={(code) => exits.push(code)}
    />,
  );
  const exits: number[] = [];
  const d = drive(ink, exits);
  d.resize(80, 24);
  return { ...d, opened, refreshed: () => refreshed, t };
}

describe('picker', () => {
  it('shows the notes it is given under the entries once they come, wrapped, never selectable', async () => {
    let give: (lines: readonly string[]) => void = () => undefined;
    const r = setup(undefined, '/rb', () => new Promise((resolve) => (give = resolve)));
    expect(await r.waitForFrame('enter open')).not.toContain('note:');
    const note = 'note: ssm-user left session 20261207-101010-abcdef (/srv/runbooks/deploy.md) blocked at health: it resumes as ssm-user: log in as ssm-user and run stepgate resume 20261207-101010-abcdef';
    give([note]);
    const f = await r.waitForFrame('ssm-user left session');
    const rows = f.split('\n');
    const at = rows.findIndex((row) => row.startsWith('note: ssm-user left'));
    expect(at).toBeGreaterThan(rows.findIndex((row) => row.includes('Recovery')));
    expect(rows.slice(at, at + 3).join(' ').replace(/\s+/g, ' ')).toContain(note);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
    // Moving past the last entry stays on it: the note is not an entry.
    for (let i = 0; i < 5; i++) r.press(arrowDown);
    await r.waitForFrame('> Recovery');
    r.press(enter);
    await r.waitForFrame('cannot open Recovery');
    expect(r.opened.map((e) => e.file)).toEqual(['/rb/recovery.md']);
  });

  it('names a directory under the working directory as ./DIR/, not "runbooks in runbooks"', async () => {
    const r = setup(undefined, `${process.cwd()}/runbooks`);
    expect(await r.waitForFrame('enter open')).toContain('stepgate · runbooks in ./runbooks/');
  });

  it('lists resumable sessions and runbooks with step and check counts', async () => {
    const r = setup();
    const f = await r.waitForFrame('enter open');
    expect(f).toContain('stepgate · runbooks in /rb/');
    expect(f).toContain('> resume Deploy the app · blocked at healthz');
    expect(f).toContain('session 20250101-120000-abcdef');
    expect(f).toContain('  Deploy the app');
    expect(f).toContain('3 steps, 1 check · The app redeploy.');
    expect(f).toContain('  Recovery');
    expect(f).toContain('recovery of deploy.md · 1 step, 0 checks');
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
  });

  it("says a refusal too long for the status line whole above it, the way out included (trial: cut at 'no such user on t…')", async () => {
    const refusal = 'cannot run as "ubuntu": no such user on this host. Check the runbook\'s user / --as, or create the user.';
    const r = setup(refusal);
    await r.waitForFrame('enter open');
    r.press(arrowDown);
    await r.waitForFrame('> Deploy the app');
    r.press(arrowDown);
    await r.waitForFrame('> Recovery');
    r.press(enter);
    await r.waitForFrame('or create the user.');
    const lines = r.frame().split('\n');
    expect(lines.map((l) => l.trim()).join(' ')).toContain(`cannot open Recovery: ${refusal}`);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
    expect(lines.at(-1)).toMatch(/^PICK a runbook/);
  });

  it('filters with / and opens the match with enter; esc returns to a refreshed list', async () => {
    const r = setup();
    await r.waitForFrame('enter open');
    r.press('/');
    await r.waitForFrame('enter keeps');
    r.type('recov');
    await r.waitForFrame('> Recovery');
    expect(r.frame()).not.toContain('Deploy the app');
    r.press(enter);
    await r.waitForFrame('filter: recov');
    r.press(enter);
    await r.waitForFrame('cannot open Recovery: no such runbook');
    expect(r.opened.map((e) => e.title)).toEqual(['Recovery']);
    r.press(escape);
    await r.waitForFrame('3 entries');
    r.press(arrowDown);
    await r.waitForFrame('> Deploy the app');
    r.press(enter);
    await r.waitForFrame('stepgate · Deploy the app');
    await r.waitForFrame('enter run');
    expect(r.frame()).toContain('>[ ] pull');
    r.press(escape);
    await r.waitForFrame('enter open');
    expect(r.refreshed()).toBe(1);
    expect(r.frame()).not.toContain('resume Deploy');
    r.press('q');
    expect(r.exits).toEqual([0]);
  });
});

describe('picker help at 80x24', () => {
  it('scrolls to its last line with j, no further, and esc returns to the list where it was', async () => {
    const r = setup();
    await r.waitForFrame('enter open');
    r.press('?');
    await r.waitForFrame('↑↓ scroll · esc/q close');
    expect(r.frame()).not.toContain('1-9');
    for (let i = 0; i < 40; i++) r.press('j');
    await r.waitForFrame('marks: [ ] pending');
    let f = r.frame();
    expect(f).toContain('1-9         take that numbered choice at a gate');
    expect(f.split('\n').length).toBeLessThanOrEqual(23);
    // At the bottom, not past it: one k shows the line above at once.
    r.press('k');
    await r.waitForNoFrame('[~] overridden');
    r.press(escape);
    f = await r.waitForFrame('enter open');
    // j scrolled the help, not the list behind it.
    expect(f).toContain('> resume Deploy the app');
  });
});
