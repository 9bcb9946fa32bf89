/**
 * The state directory against a user who can write where stepgate writes (issue 13, item 1):
 * planted symbolic links, foreign owners, loose modes. Run as root, as stepgate often is.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileJournal } from '../../src/session/journal.js';
import { newSessionId, shellStatePath } from '../../src/session/session-paths.js';
import { UnsafeStateError, ensurePrivateDir } from '../../src/session/private-files.js';

const isRoot = process.getuid?.() === 0;
const NOBODY = 65534;

let dir: string;
let victim: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-private-'));
  victim = join(dir, 'victim');
  writeFileSync(victim, 'root-owned precious\n', { mode: 0o644 });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const snapshot = { user: 'root', cwd: '/srv', exports: [] };

describe('state directory StrictModes', () => {
  it('refuses a state dir writable by others, naming it, its owner, mode and fix, without chmod', async () => {
    const state = join(dir, 'state');
    mkdirSync(state);
    chmodSync(state, 0o777);
    const err = await FileJournal.open(join(state, 'sessions'), newSessionId(0)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsafeStateError);
    expect(String((err as Error).message)).toMatch(new RegExp(`${state} \\(owner uid \\d+, mode 0777\\).*chmod go-w ${state}`));
    expect(statSync(state).mode & 0o777).toBe(0o777);
    expect(existsSync(join(state, 'sessions'))).toBe(false);
  });

  it('refuses a sessions dir that is group-writable and never tightens it', async () => {
    const sessions = join(dir, 'sessions');
    mkdirSync(sessions);
    chmodSync(sessions, 0o770);
    await expect(FileJournal.open(sessions, newSessionId(0))).rejects.toThrow(/writable by group or others.*chmod go-w/);
    expect(statSync(sessions).mode & 0o777).toBe(0o770);
  });

  it('accepts an existing private-enough dir (0755, ours) as it is: no chmod', async () => {
    const sessions = join(dir, 'open');
    mkdirSync(sessions);
    chmodSync(sessions, 0o755);
    const j = await FileJournal.open(sessions, newSessionId(0));
    await j.close();
    expect(statSync(sessions).mode & 0o777).toBe(0o755);
    expect(statSync(j.path).mode & 0o777).toBe(0o600);
  });

  it('creates missing directories 0700', () => {
    const leaf = join(dir, 'a', 'b', 'sessions');
    ensurePrivateDir(leaf, join(dir, 'a'));
    for (const p of [join(dir, 'a'), join(dir, 'a', 'b'), leaf]) expect(statSync(p).mode & 0o777).toBe(0o700);
  });

  it('refuses a sessions directory that is a symbolic link (planted to a foreign dir)', async () => {
    const foreign = join(dir, 'foreign');
    mkdirSync(foreign, { mode: 0o755 });
    symlinkSync(foreign, join(dir, 'sessions'));
    await expect(FileJournal.open(join(dir, 'sessions'), newSessionId(0))).rejects.toThrow(/symbolic link/);
    expect(statSync(foreign).mode & 0o777).toBe(0o755);
  });

  it.skipIf(!isRoot)('refuses a state dir owned by another user (root must not write where they can plant links)', async () => {
    const state = join(dir, 'theirs');
    mkdirSync(state, { mode: 0o700 });
    chownSync(state, NOBODY, NOBODY);
    await expect(FileJournal.open(join(state, 'sessions'), newSessionId(0))).rejects.toThrow(`${state} (owner uid ${NOBODY}, mode 0700) on the path of stepgate's state directory is owned by another user`);
  });
});

describe('state files are opened without following links, and must be ours', () => {
  it('a planted <id>.shell.json.tmp link does not redirect the write', async () => {
    const sessions = join(dir, 'sessions');
    const id = newSessionId(0);
    const j = await FileJournal.open(sessions, id);
    symlinkSync(victim, `${shellStatePath(sessions, id)}.tmp`);
    await j.saveShell(snapshot);
    expect(readFileSync(victim, 'utf8')).toBe('root-owned precious\n');
    expect(statSync(victim).mode & 0o777).toBe(0o644);
    expect(await j.loadShell()).toEqual(snapshot);
    expect(statSync(shellStatePath(sessions, id)).mode & 0o777).toBe(0o600);
    await j.close();
  });

  it('a journal planted as a link is refused, and its target untouched', async () => {
    const sessions = join(dir, 'sessions');
    mkdirSync(sessions, { mode: 0o700 });
    const id = newSessionId(0);
    symlinkSync(victim, join(sessions, `${id}.jsonl`));
    await expect(FileJournal.open(sessions, id)).rejects.toThrow(/symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('root-owned precious\n');
  });

  it('a transcript planted as a link is refused', async () => {
    const sessions = join(dir, 'sessions');
    const id = newSessionId(0);
    const j = await FileJournal.open(sessions, id);
    mkdirSync(join(sessions, id), { mode: 0o700 });
    symlinkSync(victim, join(sessions, id, 'step.log'));
    await expect(j.openTranscript('step')).rejects.toThrow(/symbolic link/);
    expect(readFileSync(victim, 'utf8')).toBe('root-owned precious\n');
    await j.close();
  });

  it('a kept shell state planted as a link is not read', async () => {
    const sessions = join(dir, 'sessions');
    const id = newSessionId(0);
    const j = await FileJournal.open(sessions, id);
    symlinkSync(victim, shellStatePath(sessions, id));
    await expect(j.loadShell()).rejects.toThrow(/symbolic link/);
    expect(lstatSync(shellStatePath(sessions, id)).isSymbolicLink()).toBe(true);
    await j.close();
  });

  it.skipIf(!isRoot)('a journal owned by another user is refused', async () => {
    const sessions = join(dir, 'sessions');
    mkdirSync(sessions, { mode: 0o700 });
    const id = newSessionId(0);
    writeFileSync(join(sessions, `${id}.jsonl`), '');
    chownSync(join(sessions, `${id}.jsonl`), NOBODY, NOBODY);
    await expect(FileJournal.open(sessions, id)).rejects.toThrow(/owner uid 65534.*not owned by you/);
  });
});
