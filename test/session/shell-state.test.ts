/**
 * The session shell's state across a crash: kept after every step (minus anything holding a
 * secret), handed to the first shell of a resumed process, forgotten when the session ends,
 * and every replacement of the shell journaled as `shell-reset`.
 */
import { execFileSync } from 'node:child_process';
import { userInfo } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { ShellSnapshot } from '../../src/exec/types.js';
import { auditTrail } from '../../src/session/history.js';
import { replay } from '../../src/session/reducer.js';
import { SecretSet } from '../../src/session/redact.js';
import { declaredValues, withoutSecrets } from '../../src/session/shell-state.js';
import type { SessionEvent } from '../../src/session/types.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

const FILE = '/rb/release.md';
const RELEASE = `---
title: Release
vars:
  API_TOKEN: { prompt: Token, secret: true }
---
# Release

\`\`\`bash {name=prepare}
cd /tmp/x && export RELEASE=abc
\`\`\`

\`\`\`bash {name=ship}
./ship
\`\`\`

\`\`\`bash {name=verify}
echo "$PWD $RELEASE"
\`\`\`
`;

const me = userInfo().username;

function snapshot(extra: ShellSnapshot['exports'] = []): ShellSnapshot {
  return { user: me, cwd: '/tmp/x', exports: [{ name: 'RELEASE', declaration: 'declare -x RELEASE="abc"' }, ...extra] };
}

/** A session that ran `prepare`, then died while `ship` ran. */
async function crashedAtShip(saved: ShellSnapshot): Promise<ReturnType<typeof fakeSession>> {
  const t = fakeSession({ [FILE]: RELEASE });
  t.shell.saved = saved;
  await t.actions.start({ file: FILE });
  await t.actions.answerVar('tok-9f8e7d-secret');
  await t.actions.runStep();
  await t.actions.idle();
  t.shell.reply({ hold: true });
  await t.actions.runStep();
  await new Promise((r) => setTimeout(r, 10));
  expect(t.journal.events.at(-1)).toMatchObject({ type: 'step-started', key: `${FILE}#ship` });
  return t;
}

describe('the kept shell state', () => {
  it('is written after a step, without variables whose value holds a secret, raw or escaped', async () => {
    const t = await crashedAtShip(
      snapshot([
        { name: 'COPY', declaration: 'declare -x COPY="tok-9f8e7d-secret"' },
        { name: 'QUOTED', declaration: 'declare -x QUOTED="x\\$y"' },
      ]),
    );
    // The secret var's value is known to the session; a value with "$" is matched as declare -p escapes it.
    expect(t.journal.shell).toBeDefined();
    const kept = JSON.parse(t.journal.shell ?? '{}') as ShellSnapshot;
    expect(kept.cwd).toBe('/tmp/x');
    expect(kept.exports.map((e) => e.name)).toEqual(['RELEASE', 'QUOTED']);
    expect(t.journal.dump()).not.toContain('tok-9f8e7d-secret');

    const u = fakeSession({ [FILE]: RELEASE });
    u.journal.shell = t.journal.shell;
    await u.actions.resume(t.journal.events);
    await u.actions.answerVar('p$ss-w0rd');
    await u.actions.skip('shipped by hand');
    u.shell.saved = { ...kept, exports: [...kept.exports, { name: 'DOLLAR', declaration: 'declare -x DOLLAR="p\\$ss-w0rd"' }] };
    u.shell.reply({ exitCode: 1 });
    await u.actions.runStep();
    await u.actions.idle();
    expect(u.state().status.kind).toBe('blocked');
    // The next kept state drops the variable that now holds the re-asked secret (written escaped).
    const after = JSON.parse(u.journal.shell ?? '{}') as ShellSnapshot;
    expect(after.exports.map((e) => e.name)).toEqual(['RELEASE', 'QUOTED']);
  });

  it('starts the first shell of a resumed session, journals the reset, and is forgotten when the session completes', async () => {
    const t = await crashedAtShip(snapshot());
    const u = fakeSession({ [FILE]: RELEASE });
    u.journal.shell = t.journal.shell;
    const report = await u.actions.resume(t.journal.events);
    expect(report.shell).toEqual({ cwd: '/tmp/x', exported: 1 });
    expect(report.shellNotRestored).toBeUndefined();
    // Nothing is journaled before a shell is really replaced.
    expect(u.journal.events.some((e) => e.type === 'shell-reset')).toBe(false);

    await u.actions.answerVar('tok-9f8e7d-secret');
    u.shell.saved = snapshot();
    await u.actions.retry();
    await runToNextBlock(u.store);
    expect(u.state().status).toEqual({ kind: 'ended', outcome: 'completed' });
    expect(u.shell.opened).toHaveLength(1);
    expect(u.shell.opened[0]?.restore).toEqual(snapshot());
    const resets = u.journal.events.filter((e) => e.type === 'shell-reset');
    expect(resets).toEqual([expect.objectContaining({ cause: 'resumed', restored: { cwd: '/tmp/x', exported: 1 } })]);
    const types = u.journal.events.map((e) => e.type);
    expect(types.indexOf('shell-reset')).toBe(types.indexOf('step-started') + 1);
    await u.actions.close();
    expect(u.journal.shell).toBeUndefined();
    expect(replay([...t.journal.events, ...u.journal.events])).toEqual(u.state());
  });

  it('journals what the shell really took over when the kept directory is gone, and says so', async () => {
    const t = await crashedAtShip(snapshot());
    const u = fakeSession({ [FILE]: RELEASE });
    u.journal.shell = t.journal.shell;
    const said: string[] = [];
    u.actions.onOutput((text) => said.push(text));
    await u.actions.resume(t.journal.events);
    await u.actions.answerVar('x');
    u.shell.restored = { exported: 1 };
    await u.actions.retry();
    await runToNextBlock(u.store);
    const reset = u.journal.events.find((e) => e.type === 'shell-reset');
    expect(reset).toMatchObject({ restored: { exported: 1 }, reason: expect.stringContaining('the kept directory /tmp/x cannot be entered any more') });
    expect(said.join('')).toContain('[stepgate] the kept directory /tmp/x cannot be entered any more, so the shell starts in its default directory');
  });

  it('is not restored when steps now run as another user, and the operator is told why', async () => {
    const t = await crashedAtShip({ ...snapshot(), user: 'somebody-else-sg' });
    const u = fakeSession({ [FILE]: RELEASE });
    u.journal.shell = t.journal.shell;
    const report = await u.actions.resume(t.journal.events);
    expect(report.shell).toBeUndefined();
    expect(report.shellNotRestored).toBe(`the kept shell state is somebody-else-sg's and steps now run as ${me}`);
    await u.actions.answerVar('x');
    await u.actions.retry();
    await runToNextBlock(u.store);
    expect(u.shell.opened[0]?.restore).toBeUndefined();
    const reset = u.journal.events.find((e) => e.type === 'shell-reset');
    expect(reset).toMatchObject({ cause: 'resumed', reason: expect.stringContaining('so nothing was restored') });
    expect(reset && 'restored' in reset).toBe(false);
  });

  it('a resumed session whose journal already ended forgets a leftover state', async () => {
    const t = fakeSession({ [FILE]: RELEASE });
    await t.actions.start({ file: FILE });
    await t.actions.answerVar('tok-9f8e7d-secret');
    await t.actions.abort('not today');
    const u = fakeSession({ [FILE]: RELEASE });
    u.journal.shell = JSON.stringify(snapshot());
    const report = await u.actions.resume(t.journal.events);
    expect(report.shell).toBeUndefined();
    expect(u.journal.shell).toBeUndefined();
  });
});

describe('shell-reset in the journal', () => {
  it('is journaled when a step ended the shell mid-session, and `log` shows it', async () => {
    const t = fakeSession({ [FILE]: RELEASE });
    await t.actions.start({ file: FILE });
    await t.actions.answerVar('tok-9f8e7d-secret');
    t.shell.reply({ exitCode: 3, shellExited: true, reason: 'the shell exited with status 3 during the step' });
    await t.actions.runStep();
    await t.actions.idle();
    t.shell.reply({ hold: true });
    await t.actions.retry();
    await new Promise((r) => setTimeout(r, 10));
    // What exec reports when it starts the replacement for the next run.
    t.shell.reset('the shell exited with status 3; started a fresh shell as ops in /tmp/x with 4 exported variables restored', { cwd: '/tmp/x', exported: 4 });
    t.shell.release();
    await t.actions.idle();
    const reset = t.journal.events.find((e) => e.type === 'shell-reset');
    expect(reset).toMatchObject({ cause: 'shell-ended', restored: { cwd: '/tmp/x', exported: 4 }, reason: expect.stringContaining('status 3') });
    expect(replay(t.journal.events)).toEqual(t.state());
    const trail = auditTrail(t.journal.events).join('\n');
    expect(trail).toMatch(/shell replaced \(the shell ended\): restored cwd \/tmp\/x and 4 exported variables\n\s+the shell exited with status 3/);
  });

  it('old journals without it replay as before, and one with it replays to the same walk', () => {
    const started = {
      type: 'session-started',
      at: 1,
      v: 1,
      id: '20250101-120000-abcdef',
      version: '0.1.0',
      who: { user: 'alice' },
      host: 'h',
      pid: 1,
      cwd: '/rb',
      runbooks: [],
      frame: { source: { file: FILE }, title: 'T', rollback: false, items: [] },
      vars: [],
      options: {},
    } as unknown as SessionEvent;
    const plain = replay([started]);
    const withReset = replay([started, { type: 'shell-reset', at: 2, cause: 'resumed', reason: 'stepgate was resumed' }]);
    expect(withReset.status).toEqual(plain.status);
    expect(withReset.frames).toEqual(plain.frames);
    expect(auditTrail([started, { type: 'shell-reset', at: 2, cause: 'resumed', reason: 'r' }]).join('\n')).toContain('shell replaced (resume): nothing restored');
  });
});

describe('withoutSecrets on what bash really writes', () => {
  /** `declare -p` of `vars`, exported by a real bash in `locale`, as the session shell's snapshot. */
  function declared(vars: Record<string, string>, locale: string): ShellSnapshot {
    const names = Object.keys(vars);
    const out = execFileSync('bash', ['--norc', '--noprofile', '-c', 'declare -p -- "$@"', 'bash', ...names], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: locale, ...vars },
      encoding: 'utf8',
    });
    const exports = out.trimEnd().split('\n').map((declaration, i) => ({ name: names[i] ?? '', declaration }));
    return { user: me, cwd: '/tmp', exports };
  }

  // bash writes $'...' for a value with a control character (and, in the C locale, any
  // non-ASCII byte): a secret holding a newline, a quote, a backslash or an accent is then
  // escaped in the line and never appears in it as it is.
  it.each([
    ['a multi-line key', '-----BEGIN KEY-----\nMIIEvQIBADANBg\n-----END KEY-----', 'C.UTF-8'],
    ["a quote and a backslash, next to a newline", "it's\\x-9f8e", 'C.UTF-8'],
    ['an accent in the C locale', 'pässwort-9f8e', 'C'],
    ['a tab', 'tab\tsecret-9f8e', 'C.UTF-8'],
  ])('drops an innocent name holding a secret with %s', (_what, secret, locale) => {
    const secrets = new SecretSet();
    secrets.add(secret);
    const snap = declared({ CERT: secret, NOTE: `before ${secret}\nafter`, PLAIN: 'nothing to hide' }, locale);
    const kept = withoutSecrets(snap, secrets);
    expect(kept.exports.map((e) => e.name)).toEqual(['PLAIN']);
  });

  it('reads back the value bash declared, in either quoting and locale', () => {
    const values = ['plain', 'q"u`o$t\\e', "it's", 'two\nlines', 'tab\t\u0001\u007f', 'pässwort €', '\\x41\\101'];
    for (const locale of ['C', 'C.UTF-8']) {
      const vars = Object.fromEntries(values.map((v, i) => [`V${i}`, v]));
      expect(declared(vars, locale).exports.map((e) => declaredValues(e.declaration))).toEqual(values.map((v) => [v]));
    }
  });
});
