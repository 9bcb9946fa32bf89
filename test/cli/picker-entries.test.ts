/**
 * What the picker lists for a directory of real runbook files: a checklist or recovery runbook
 * is said to be part of the runbook that reaches it, and listed after the runbooks that are not.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { listEntries } from '../../src/commands/picker-entries.js';

let dir = '';
let savedState: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'stepgate-picker-entries-'));
  savedState = process.env.STEPGATE_STATE_DIR;
  process.env.STEPGATE_STATE_DIR = path.join(dir, 'state');
});
afterEach(() => {
  if (savedState === undefined) delete process.env.STEPGATE_STATE_DIR;
  else process.env.STEPGATE_STATE_DIR = savedState;
  rmSync(dir, { recursive: true, force: true });
});

it('says which runbook reaches a checklist or recovery runbook, and lists those last', async () => {
  const books = path.join(dir, 'runbooks');
  mkdirSync(books);
  writeFileSync(path.join(books, 'checklists.md'), '# Checklists\n\n## Pre\n\n- [ ] CI is green\n');
  writeFileSync(path.join(books, 'recovery.md'), '# Recovery\n\n## Roll back\n\n```bash {name=back}\ntrue\n```\n');
  writeFileSync(
    path.join(books, 'deploy.md'),
    '---\nbefore: checklists.md#pre\n---\n# Deploy\n\n## Go\n\n```bash {name=go recover=recovery.md#roll-back}\ntrue\n```\n',
  );
  writeFileSync(path.join(books, 'other.md'), '# Other\n\n```bash\ntrue\n```\n');
  const entries = await listEntries(books);
  const shown = entries.map((e) => (e.kind === 'runbook' ? `${path.basename(e.file)}${e.partOf ? ` (${e.partOf})` : ''}` : e.kind));
  expect(shown).toEqual(['deploy.md', 'other.md', 'checklists.md (checklist of deploy.md)', 'recovery.md (recovery of deploy.md)']);
});
