/**
 * A session stopped inside a recovery runbook, whose recovery section was then removed (or
 * renamed) before the resume: the resume went on with the steps as the journal had them, and
 * under --yes ran text the operator had deleted (a review). It is refused now, before anything
 * is journaled or run, saying what changed and what to do.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const MAIN = '# Main\n\n## Deploy\n\nDeploys.\n\n```bash {name=deploy recover=recovery.md#undo}\nexit 1\n```\n';
const RECOVERY = '# Recovery\n\n## Undo\n\nFirst.\n\n```bash {name=r1}\necho r1 >> ran.txt\n```\n\nThen this fails.\n\n```bash {name=r2}\nexit 3\n```\n\nAnd the last.\n\n```bash {name=r3}\necho r3-deleted >> ran.txt\n```\n';
const REVERT = '# Recovery\n\n## Revert\n\nReverts.\n\n```bash {name=rv}\necho rv >> ran.txt\n```\n';

describe('a resume whose recovery section is gone', () => {
  it('is refused, exit 2, with the journal untouched and none of the deleted steps run', async () => {
    ws.write('main.md', MAIN);
    ws.write('recovery.md', RECOVERY);
    const first = await ws.run(['run', 'main.md', '--yes', '--recover']);
    expect(first.code, first.stderr).toBe(1);
    const [id] = ws.sessionIds();
    const journal = readFileSync(ws.journalPath(id!), 'utf8');
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8')).toBe('r1\n');

    ws.write('recovery.md', REVERT);
    writeFileSync(join(ws.dir, 'main.md'), MAIN.replace('#undo', '#revert'));
    const r = await ws.run(['resume', id!, '--yes', '--skip', 'r2=fixed by hand']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`stepgate: cannot resume ${id}: the recovery it is in, `);
    expect(r.stderr).toContain('changed since the session stopped and cannot be planned again: ');
    expect(r.stderr).toContain(`stepgate discard ${id}`);
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8')).toBe('r1\n');
    expect(readFileSync(ws.journalPath(id!), 'utf8')).toBe(journal);
    expect(existsSync(join(ws.dir, 'ran.txt'))).toBe(true);
  }, 60_000);

  it('goes on when the recovery is unchanged and only its link left the main runbook (a review: refused though nothing it runs changed)', async () => {
    ws.write('main.md', MAIN);
    ws.write('recovery.md', RECOVERY);
    expect((await ws.run(['run', 'main.md', '--yes', '--recover'])).code).toBe(1);
    const [id] = ws.sessionIds();
    // The deploy step is fixed and its recover= dropped; recovery.md is as it was.
    writeFileSync(join(ws.dir, 'main.md'), MAIN.replace(' recover=recovery.md#undo', '').replace('exit 1', 'true'));
    const r = await ws.run(['resume', id!, '--yes', '--skip', 'r2=fixed by hand']);
    expect(r.stderr).not.toContain('cannot resume');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8')).toBe('r1\nr3-deleted\n');
  }, 60_000);

  it('an unlinked recovery is linted and trusted as a linked one would be before it runs on (a review ran its timeout=0 step)', async () => {
    ws.write('main.md', MAIN);
    ws.write('recovery.md', RECOVERY);
    expect((await ws.run(['run', 'main.md', '--yes', '--recover'])).code).toBe(1);
    const [id] = ws.sessionIds();
    const journal = readFileSync(ws.journalPath(id!), 'utf8');
    writeFileSync(join(ws.dir, 'main.md'), MAIN.replace(' recover=recovery.md#undo', '').replace('exit 1', 'true'));
    writeFileSync(join(ws.dir, 'recovery.md'), RECOVERY.replace('{name=r3}', '{name=r3 timeout=0}'));
    const linted = await ws.run(['resume', id!, '--yes', '--skip', 'r2=fixed by hand']);
    expect(linted.code).toBe(2);
    expect(linted.stderr).toMatch(/^recovery\.md:\d+:\d+: error bad-duration: timeout=0/m);
    expect(linted.stderr).toContain('(stepgate lint main.md recovery.md)');
    writeFileSync(join(ws.dir, 'recovery.md'), RECOVERY);
    chmodSync(join(ws.dir, 'recovery.md'), 0o646);
    const untrusted = await ws.run(['resume', id!, '--yes', '--skip', 'r2=fixed by hand']);
    expect(untrusted.code).toBe(2);
    expect(untrusted.stderr).toContain('recovery.md is writable by others');
    expect(readFileSync(join(ws.dir, 'ran.txt'), 'utf8')).toBe('r1\n');
    expect(readFileSync(ws.journalPath(id!), 'utf8')).toBe(journal);
  }, 60_000);
});
