/**
 * A state directory stepgate refuses (a parent others can write to) is said once, with the
 * fix, whichever command meets it: the TUI printed the refusal as `stepgate: <message>`, and the
 * message already began with `stepgate: ` (a trial saw `stepgate: stepgate: /tmp/x ...`).
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, startTui } from './tui-harness.js';

let dir: string;
let open: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-unsafe-state-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'one.md'), '# One\n\nDoes nothing.\n\n```bash\ntrue\n```\n', { mode: 0o644 });
  // Writable by anyone and not sticky: someone else could swap the state directory under it.
  open = join(dir, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const refusal = (): RegExp => new RegExp(`^stepgate: ${open} \\(owner uid \\d+, mode 0777\\) on the path of stepgate's state directory is writable by group or others: chmod go-w ${open}`, 'm');

describe('a state directory stepgate refuses', () => {
  it('is said once by a plain run', async () => {
    for (const args of [['run', 'one.md', '--yes']]) {
      const result = await execa(process.execPath, [CLI, ...args], { cwd: dir, reject: false, env: { STEPGATE_STATE_DIR: join(open, 'state'), CI: 'true' } });
      expect(result.exitCode, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(refusal());
      expect(result.stderr, args.join(' ')).not.toContain('stepgate: stepgate:');
    }
  });

  it('is said once by the TUI', async () => {
    const tui = startTui(['one.md'], dir, join(open, 'state'));
    expect(await tui.exited).toBe(2);
    // The terminal wraps the 80-column line: read the bytes, not the screen.
    const said = tui.output().replace(/\r\n/g, '\n');
    expect(said).toMatch(refusal());
    expect(said).not.toContain('stepgate: stepgate:');
  });
});
