/**
 * The shell's saved state (cwd and exports, a value that equals a secret under an innocent name
 * among them) is on disk in the temp directory while stepgate runs. A stepgate killed outright
 * leaves it; the next start removes it, as it removes the leftover session directories.
 * Its own file: the sweep runs once per process, at the first shell start.
 */
import { spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openShell } from '../../src/exec/shell.js';
import type { Shell } from '../../src/exec/types.js';

const shells: Shell[] = [];
afterAll(async () => {
  for (const sh of shells) await sh.close();
});

describe('a killed stepgate leaves its shell state', () => {
  it('and the next start removes it, not a live one', async () => {
    // A pid that has certainly ended.
    const dead = spawnSync('true').pid;
    const left = path.join(os.tmpdir(), `stepgate-state-${dead}-leftover1`);
    mkdirSync(left, { recursive: true, mode: 0o700 });
    writeFileSync(path.join(left, 'state'), 'declare -x COPY="tok-secret-value"\n');
    const live = path.join(os.tmpdir(), `stepgate-state-${process.pid}-notmine1`);
    mkdirSync(live, { recursive: true, mode: 0o700 });
    // Another user's (anyone can make one of that name): left alone, not removed as root nor as
    // them (a process of theirs started from here could hold stepgate's start, a review found).
    const others = path.join(os.tmpdir(), `stepgate-state-${dead}-others1`);
    const root = process.getuid?.() === 0;
    if (root) {
      mkdirSync(others, { recursive: true, mode: 0o700 });
      chownSync(others, 65534, 65534);
    }
    try {
      const sh = await openShell({ cwd: os.tmpdir() });
      shells.push(sh);
      expect(existsSync(left)).toBe(false);
      expect(existsSync(live)).toBe(true);
      if (root) expect(existsSync(others)).toBe(true);
      // The shell's own state directory is named so that a later start can tell it is stale.
      await sh.run({ script: 'echo "dir=$__sg_state"' });
      const own = sh.screen().lines.find((l) => l.startsWith('dir='))?.slice(4) ?? '';
      expect(path.basename(own)).toMatch(new RegExp(`^stepgate-state-${process.pid}-`));
    } finally {
      rmSync(left, { recursive: true, force: true });
      rmSync(live, { recursive: true, force: true });
      rmSync(others, { recursive: true, force: true });
    }
  });
});
