/**
 * The file journal, redaction and host facts, against the real file system.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { currentWho, osUser, ssmSessionId } from '../../src/session/host.js';
import { whoText } from '../../src/session/history.js';
import { FileJournal } from '../../src/session/journal.js';
import { SessionBusyError, lockSession, sessionOwner } from '../../src/session/session-lock.js';
import { dropTornTail, parseJournal, readJournal } from '../../src/session/journal-read.js';
import { listSessionIds, newSessionId, stateDir } from '../../src/session/session-paths.js';
import { SecretSet, StreamRedactor, redactDeep } from '../../src/session/redact.js';
import type { SessionEvent } from '../../src/session/types.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-journal-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const resumed = (n: number): SessionEvent => ({ type: 'session-resumed', at: n, who: { user: 'u' }, pid: n, host: 'h' });

describe('FileJournal', () => {
  it('appends one JSON line per event, in order, with 0700 dirs and 0600 files', async () => {
    const sessions = join(dir, 'state', 'sessions');
    const id = newSessionId(Date.UTC(2025, 0, 2, 3, 4, 5));
    expect(id).toMatch(/^20250102-030405-[0-9a-f]{6}$/);
    const journal = await FileJournal.open(sessions, id);
    await Promise.all([1, 2, 3].map((n) => journal.append(resumed(n))));
    const t = await journal.openTranscript('00001-pull/x-1');
    t.write('hello\n');
    await t.close();
    await journal.close();
    expect((await readJournal(journal.path)).events.map((e) => e.at)).toEqual([1, 2, 3]);
    expect(statSync(sessions).mode & 0o777).toBe(0o700);
    expect(statSync(journal.path).mode & 0o777).toBe(0o600);
    expect(t.path).toBe(join(sessions, id, '00001-pull_x-1.log'));
    expect(statSync(join(sessions, id)).mode & 0o777).toBe(0o700);
    expect(statSync(t.path ?? '').mode & 0o777).toBe(0o600);
    expect(readFileSync(t.path ?? '', 'utf8')).toBe('hello\n');
    expect(await listSessionIds(sessions)).toEqual([id]);
    await expect(journal.append(resumed(4))).rejects.toThrow(/closed/);
  });

  it('lists the journals that are files named by a session id, oldest first, and nothing else', async () => {
    const ids = ['20261207-101010-0a0b0c', '20250101-000000-000001', '20261207-101010-0a0b0d'];
    for (const id of ids) writeFileSync(join(dir, `${id}.jsonl`), '');
    mkdirSync(join(dir, '20261207-111111-111111.jsonl')); // a directory named like a journal
    symlinkSync(join(dir, `${ids[0]}.jsonl`), join(dir, '20261207-121212-121212.jsonl'));
    writeFileSync(join(dir, '20261207-131313-131313.key'), '');
    writeFileSync(join(dir, 'notes.jsonl'), '');
    writeFileSync(join(dir, '20261207-1414-14.jsonl'), '');
    expect(await listSessionIds(dir)).toEqual([...ids].sort());
    expect(await listSessionIds(join(dir, 'none'))).toEqual([]);
  });

  it('keeps every byte of a transcript that was fsync\'d in the background as it grew', async () => {
    const journal = await FileJournal.open(dir, newSessionId(0));
    const t = await journal.openTranscript('flood');
    // 40 MB in 4 KB reads, as a flooding step's pty delivers it, over several loop turns.
    const chunk = `${'0123456789abcdef'.repeat(255)}\r\n`.padEnd(4096, '.');
    for (let turn = 0; turn < 40; turn++) {
      for (let i = 0; i < 256; i++) t.write(chunk);
      await new Promise((resolve) => setImmediate(resolve));
    }
    t.write('last line\r\n');
    await t.close();
    t.write('after close\r\n');
    await journal.close();
    const size = statSync(t.path ?? '').size;
    expect(size).toBe(40 * 256 * 4096 + 'last line\r\n'.length);
    expect(readFileSync(t.path ?? '', 'utf8').endsWith('.last line\r\n')).toBe(true);
  });

  it('reports a torn last line and cuts it off before appending', async () => {
    const j = await FileJournal.open(dir, newSessionId(0));
    await j.append(resumed(1));
    await j.close();
    appendFileSync(j.path, '{"type":"step-sta');
    const read = await readJournal(j.path);
    expect(read.events).toHaveLength(1);
    expect(read.torn).toEqual({ line: 2, bytes: 17 });
    expect(await dropTornTail(j.path)).toEqual({ line: 2, bytes: 17 });
    expect(readFileSync(j.path, 'utf8').endsWith('}\n')).toBe(true);
    expect(await dropTornTail(j.path)).toBeUndefined();
  });

  it('keeps a complete last event that only lost its newline', async () => {
    const path = join(dir, 'x.jsonl');
    writeFileSync(path, `${JSON.stringify(resumed(1))}\n${JSON.stringify(resumed(2))}`);
    expect(await dropTornTail(path)).toBeUndefined();
    expect((await readJournal(path)).events).toHaveLength(2);
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
  });

  it('reports (not fails on) a bad line in the middle', () => {
    const read = parseJournal(`${JSON.stringify(resumed(1))}\nnot json\n${JSON.stringify(resumed(2))}\n`);
    expect(read.events).toHaveLength(2);
    expect(read.bad).toEqual([{ line: 2, error: expect.any(String) }]);
    expect(read.torn).toBeUndefined();
  });

  it('locks a session to one live process; the lock goes with the process, SIGKILL included', async () => {
    const id = newSessionId(0);
    const release = await lockSession(dir, id);
    await expect(lockSession(dir, id)).rejects.toThrow(/in use by process \d+/);
    await release();
    // Another process holds it (through the same primitive), then is killed: free at once.
    const holder = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', `
      const { lockSession } = await import(${JSON.stringify(join(import.meta.dirname, '..', '..', 'src', 'session', 'session-lock.ts'))});
      await lockSession(${JSON.stringify(dir)}, ${JSON.stringify(id)});
      console.log('held');
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await once(holder.stdout, 'data');
      expect(await sessionOwner(dir, id)).toBe(holder.pid);
      await expect(lockSession(dir, id)).rejects.toBeInstanceOf(SessionBusyError);
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      expect(await sessionOwner(dir, id)).toBeUndefined();
      const again = await lockSession(dir, id);
      await again();
    } finally {
      holder.kill('SIGKILL');
    }
  });

  it('finds the state dir from STEPGATE_STATE_DIR, XDG_STATE_HOME, then HOME', () => {
    expect(stateDir({ STEPGATE_STATE_DIR: '/s', XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/s');
    expect(stateDir({ XDG_STATE_HOME: '/x', HOME: '/h' })).toBe('/x/stepgate');
    expect(stateDir({ HOME: '/h' })).toBe('/h/.local/state/stepgate');
  });
});

describe('redaction', () => {
  it('redacts secret values, longest first, and secret-looking env names only', () => {
    const set = new SecretSet();
    set.addEnv({ GITHUB_TOKEN: 'ghp_abc123', DB_PASSWORD: 'pw-pw-pw', HOME: '/root', API_KEY: 'ab', AUTHOR: 'Jane Doe', SSH_AUTH_SOCK: '/tmp/ssh-x/agent.7', DB_PASS: 'dbpass-9' });
    set.add('ghp_abc123-long');
    expect(set.redact('t=ghp_abc123-long p=pw-pw-pw home=/root k=ab')).toBe('t=[REDACTED] p=[REDACTED] home=/root k=ab');
    // A short word counts as a whole part only, and a socket's path is not a secret.
    expect(set.redact('by Jane Doe via /tmp/ssh-x/agent.7 with dbpass-9')).toBe('by Jane Doe via /tmp/ssh-x/agent.7 with [REDACTED]');
    expect(redactDeep({ a: ['pw-pw-pw', 3], 'pw-pw-pw': true }, set.redact)).toEqual({ a: ['[REDACTED]', 3], '[REDACTED]': true });
    // Names of things (paths, step keys, digests) are kept: a secret that occurs in one is not told by the hole.
    expect(redactDeep({ file: '/srv/pw-pw-pw/deploy.md', key: '/srv/pw-pw-pw/deploy.md#x', title: 'pw-pw-pw', runbooks: [{ path: '/srv/pw-pw-pw/d.md', sha256: 'ab' }] }, set.redact)).toEqual({
      file: '/srv/pw-pw-pw/deploy.md',
      key: '/srv/pw-pw-pw/deploy.md#x',
      title: '[REDACTED]',
      runbooks: [{ path: '/srv/pw-pw-pw/d.md', sha256: 'ab' }],
    });
  });

  it('catches a secret split across output chunks, holding back only what could start one', () => {
    const set = new SecretSet();
    set.add('hunter2-secret');
    const stream = new StreamRedactor(set);
    expect(stream.push('proceed? ')).toBe('proceed? ');
    expect(stream.push('pass: hun')).toBe('pass: ');
    expect(stream.push('ter2-sec')).toBe('');
    expect(stream.push('ret\nnext hunt')).toBe('[REDACTED]\nnext ');
    expect(stream.push('er2 ok')).toBe('hunter2 ok');
    expect(stream.push(' h')).toBe(' ');
    expect(stream.flush()).toBe('h');
  });
});

describe('host facts', () => {
  it('prefers SUDO_USER, then USER', () => {
    expect(osUser({ SUDO_USER: 'ssm-user', USER: 'root' })).toBe('ssm-user');
    expect(osUser({ USER: 'alice' })).toBe('alice');
  });

  it('journals the account the kernel knows beside a name the environment claims (a review forged SUDO_USER)', () => {
    const account = userInfo().username;
    expect(currentWho({ SUDO_USER: 'cab-approver' })).toEqual({ user: 'cab-approver', account });
    expect(currentWho({ USER: account })).toEqual({ user: account });
    expect(whoText({ user: 'cab-approver', account, ssmSessionId: 's-0abc' })).toBe(`cab-approver (account ${account}, ssm s-0abc)`);
  });

  it('finds the SSM session id in the env, else from an ssm-session-worker ancestor', () => {
    expect(ssmSessionId({ AWS_SSM_SESSION_ID: 'bob-0a1' }, '/nonexistent', 1)).toBe('bob-0a1');
    // A fake /proc: 300 (bash) <- 200 (sh) <- 100 (ssm-session-worker alice-07ab i-0123).
    const proc = join(dir, 'proc');
    const fake = (pid: number, argv: string[], ppid: number): void => {
      mkdirSync(join(proc, String(pid)), { recursive: true });
      writeFileSync(join(proc, String(pid), 'cmdline'), `${argv.join('\0')}\0`);
      writeFileSync(join(proc, String(pid), 'stat'), `${pid} (${argv[0]}) S ${ppid} 1 1 0 -1`);
    };
    fake(300, ['bash'], 200);
    fake(200, ['sh', '-c', 'x (y)'], 100);
    fake(100, ['/usr/bin/ssm-session-worker', 'alice-07ab', 'i-0123'], 1);
    expect(ssmSessionId({}, proc, 300)).toBe('alice-07ab');
    expect(ssmSessionId({}, proc, 200)).toBe('alice-07ab');
    fake(400, ['bash'], 1);
    expect(ssmSessionId({}, proc, 400)).toBeUndefined();
  });
});
