/**
 * The runbook judged is the runbook read (a security review, session 21): the trust check
 * looked at the name, then the loader opened the name again, and another user swapping the
 * name between root's file and their own had their step run as root 4 times in 80. And a
 * runbook in a directory someone else can write is theirs to replace, whoever owns the file.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readRunbookFileSync } from '../../src/commands/load.js';
import { untrustedReason } from '../../src/commands/trust.js';

const ROOT = process.getuid?.() === 0;
if (!ROOT) process.stderr.write(`${import.meta.filename}: skipped: not root (the other user's file needs chown)\n`);
/** A uid that is neither root nor the tests' (no such user is needed to own a file). */
const OTHER = 54_321;

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-trust-race-'));
  chmodSync(dir, 0o755);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const runbook = (word: string): string => `# Deploy\n\n\`\`\`bash {name=one}\necho ${word}\n\`\`\`\n`;

describe.skipIf(!ROOT)('whose runbook is read', () => {
  it('never reads another user\'s file in place of a trusted one, however the name is swapped meanwhile', async () => {
    const name = join(dir, 'deploy.md');
    const evil = join(dir, 'evil.md');
    writeFileSync(name, runbook('GOOD'), { mode: 0o644 });
    writeFileSync(evil, runbook('PWNED'), { mode: 0o644 });
    chownSync(evil, OTHER, OTHER);
    // Another thread swaps the two names as fast as it can while this one reads.
    const swapper = new Worker(
      `const { renameSync } = require('node:fs'); const { workerData: w } = require('node:worker_threads');
       for (;;) { try { renameSync(w.a, w.t); renameSync(w.b, w.a); renameSync(w.t, w.b); } catch {} }`,
      { eval: true, workerData: { a: name, b: evil, t: join(dir, 'swap.tmp') } },
    );
    const seen = { good: 0, refused: 0, missing: 0, evil: 0 };
    try {
      for (let i = 0; i < 4000; i++) {
        const loaded = readRunbookFileSync(name);
        const codes = loaded.runbook.diagnostics.map((d) => d.code);
        if (loaded.text.includes('PWNED')) seen.evil += 1;
        else if (loaded.text.includes('GOOD')) seen.good += 1;
        else if (codes.includes('untrusted-file')) seen.refused += 1;
        else seen.missing += 1;
      }
    } finally {
      await swapper.terminate();
    }
    // The race was run: both files were met under the name.
    expect(seen.good, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.refused, JSON.stringify(seen)).toBeGreaterThan(0);
    expect(seen.evil, JSON.stringify(seen)).toBe(0);
  }, 60_000);

  it('refuses a runbook in a directory others can write or another user owns, not one in a sticky directory', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeFileSync(join(open, 'deploy.md'), runbook('GOOD'), { mode: 0o644 });
    expect(untrustedReason(join(open, 'deploy.md'))).toBe(
      `${open}/deploy.md is in ${open}, which is writable by group and others (mode 0777); another user could change what runs: chmod go-w ${open} (or pass --allow-untrusted, which is journaled)`,
    );
    const loaded = readRunbookFileSync(join(open, 'deploy.md'));
    expect(loaded.text).toBe('');
    expect(loaded.runbook.diagnostics.map((d) => d.code)).toEqual(['untrusted-file']);

    const theirs = join(dir, 'theirs');
    mkdirSync(theirs);
    writeFileSync(join(theirs, 'deploy.md'), runbook('GOOD'), { mode: 0o644 });
    chownSync(theirs, OTHER, OTHER);
    expect(untrustedReason(join(theirs, 'deploy.md'))).toContain(
      `is in ${theirs}, which is owned by uid ${OTHER}, not by you (uid 0) or root; another user could change what runs: copy the runbook and the files it links to into a directory only you and root can write, and give stepgate the copy`,
    );

    // A link in the middle of the path, in a directory of another user's: they chose which of
    // root's files ran (a re-review: deploy.md -> their hop -> root's wipe-all.md).
    const tree = join(dir, 'tree');
    mkdirSync(tree);
    writeFileSync(join(tree, 'wipe-all.md'), runbook('WIPE'), { mode: 0o644 });
    const hops = join(dir, 'hops');
    mkdirSync(hops);
    symlinkSync(join(tree, 'wipe-all.md'), join(hops, 'hop'));
    chownSync(hops, OTHER, OTHER);
    symlinkSync(join(hops, 'hop'), join(tree, 'deploy.md'));
    expect(untrustedReason(join(tree, 'deploy.md'))).toContain(`is in ${hops}, which is owned by uid ${OTHER}`);
    expect(readRunbookFileSync(join(tree, 'deploy.md')).text).toBe('');
    // The same through a directory link: tree/sub -> their dlink -> a root-owned directory.
    const elsewhere = join(dir, 'elsewhere');
    mkdirSync(elsewhere);
    writeFileSync(join(elsewhere, 'wipe.md'), runbook('OTHER'), { mode: 0o644 });
    symlinkSync(elsewhere, join(hops, 'dlink'));
    symlinkSync(join(hops, 'dlink'), join(tree, 'sub'));
    expect(untrustedReason(join(tree, 'sub', 'wipe.md'))).toContain(`is in ${hops}, which is owned by uid ${OTHER}`);
    // Links through directories of root's only are fine.
    symlinkSync(join(tree, 'wipe-all.md'), join(tree, 'alias.md'));
    expect(untrustedReason(join(tree, 'alias.md'))).toBeUndefined();

    // /tmp's way: others may add files but not rename or remove this one.
    const sticky = join(dir, 'sticky');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    writeFileSync(join(sticky, 'deploy.md'), runbook('GOOD'), { mode: 0o644 });
    expect(untrustedReason(join(sticky, 'deploy.md'))).toBeUndefined();
    expect(readRunbookFileSync(join(sticky, 'deploy.md')).text).toContain('GOOD');
  });
});
