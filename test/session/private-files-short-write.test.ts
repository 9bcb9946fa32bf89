/**
 * A private file replaced whole (the parse cache, a session's saved state) by a write that the
 * disk cuts short: the replacement must fail and leave the old file, not rename the cut one
 * over it (test/helpers/file-size-limit.ts makes the kernel cut the write for real).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { underFileSizeLimit } from '../helpers/file-size-limit.js';
import { ROOT } from '../helpers/paths.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-replace-short-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a private file replaced by a write cut short', () => {
  it('fails and keeps the old file, with no temporary left', { timeout: 60_000 }, async () => {
    const path = join(dir, 'state.json');
    writeFileSync(path, '{"good":true}\n', { mode: 0o600 });
    const module = JSON.stringify(join(ROOT, 'src', 'session', 'private-files.ts'));
    const result = await underFileSizeLimit(40, `const { replacePrivateFile } = await import(${module});`, `replacePrivateFile(${JSON.stringify(path)}, 'x'.repeat(300))`);
    expect(result).toEqual({ code: 3, stderr: expect.stringMatching(/EFBIG|file too large/) });
    expect(readFileSync(path, 'utf8')).toBe('{"good":true}\n');
    expect(readdirSync(dir)).toEqual(['state.json']);
  });
});
