/**
 * `stepgate sessions` notes each session another login user runs detached. On an 80-column
 * terminal such a note (user, session id twice, the runbook's path, the attach command) runs to
 * about 170 columns: it is wrapped at words within the terminal, as the table beside it is made
 * to fit, and kept whole for a file or a pipe. Seen when another user's detached TUI was on the
 * host (the attach-other-user e2e of a test run beside this one).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { selfInvocation } from '../../src/commands/attach-other.js';
import { noteLines } from '../../src/commands/sessions.js';

const id = '20261207-030214-ab12cd';
const NOTE = `note: sgown1a2b3c runs session ${id} (/tmp/sg-attach-other-AbCdEf/walk.md) detached on this host: stepgate attach ${id} (or --watch)`;

describe('the notes of sessions about other users\' detached sessions', () => {
  it('fit an 80-column terminal, wrapped at words, later rows indented, nothing lost', () => {
    expect(NOTE.length).toBeGreaterThan(160);
    const rows = noteLines([NOTE], 80);
    expect(rows.length).toBeGreaterThan(1);
    for (const row of rows) expect(row.length).toBeLessThanOrEqual(80);
    expect(rows[0]).toMatch(/^note: sgown1a2b3c runs session /);
    for (const row of rows.slice(1)) expect(row).toMatch(/^ {2}\S/);
    // Broken only at spaces: the rows joined by one give the note back.
    expect(rows.map((r) => r.trim()).join(' ')).toBe(NOTE);
  });

  it('stay one whole line each without a terminal width (a file or a pipe)', () => {
    expect(noteLines([NOTE, NOTE], undefined)).toEqual([NOTE, NOTE]);
  });

  it('say nothing a terminal would obey, nor break a line where the beacon put a newline', () => {
    const rows = noteLines(['note: x runs session 1 (/tmp/a\nb\u001b[2J.md) detached'], undefined);
    expect(rows).toEqual(['note: x runs session 1 (/tmp/a b.md) detached']);
  });
});

describe('the command a note gives for another user', () => {
  it('is the package launcher when this stepgate is the package, else node and the script, quoted only where needed', () => {
    const root = mkdtempSync(join(tmpdir(), 'stepgate-pkg-'));
    try {
      mkdirSync(join(root, 'runtime'));
      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'stepgate'), '#!/bin/sh\n');
      expect(selfInvocation([join(root, 'runtime', 'node'), join(root, 'dist', 'cli.js')])).toBe(join(root, 'stepgate'));
      // A node of the host running a checkout: both paths, as the listing ran them.
      expect(selfInvocation(['/usr/bin/node', join(root, 'dist', 'cli.js')])).toBe(`/usr/bin/node ${join(root, 'dist', 'cli.js')}`);
      expect(selfInvocation(['/usr/bin/node', '/srv/my tools/cli.js'])).toBe(`/usr/bin/node '/srv/my tools/cli.js'`);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
