import { mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSTEM_DIRS, systemProgram } from '../../src/exec/system-programs.js';

describe('systemProgram', () => {
  it('finds a program in the system directories whatever PATH says', () => {
    const planted = mkdtempSync(path.join(os.tmpdir(), 'sg-sys-'));
    writeFileSync(path.join(planted, 'sh'), '#!/bin/sh\nexit 1\n');
    chmodSync(path.join(planted, 'sh'), 0o755);
    const before = process.env.PATH;
    process.env.PATH = `${planted}:${before ?? ''}`;
    try {
      const sh = systemProgram('sh');
      expect(sh).toBeDefined();
      expect(SYSTEM_DIRS.some((dir) => sh?.startsWith(`${dir}/`))).toBe(true);
    } finally {
      process.env.PATH = before;
      rmSync(planted, { recursive: true, force: true });
    }
  });

  it('says undefined for a program no system directory holds', () => {
    expect(systemProgram(`no-such-program-${process.pid}`)).toBeUndefined();
  });
});
