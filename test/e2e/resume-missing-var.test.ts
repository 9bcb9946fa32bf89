/**
 * A plain resume without a terminal cannot ask for a secret var again: it stops before it
 * resumes anything (no shell as the run-as user, no resume in the journal) and says what to pass.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => {
  ws.remove();
});

const BOOK = `---
vars:
  DEPLOY_TOKEN: { prompt: Deploy token, secret: true }
---
# Deploy

## Migrate

Run the migration, which fails.

\`\`\`bash {name=migrate}
test -f migrated
\`\`\`
`;

it('stops before resuming when a secret var is not given again, and the session stays blocked; given, --retry retries', async () => {
  ws.write('deploy.md', BOOK);
  const first = await ws.run(['run', 'deploy.md', '--yes'], { STEPGATE_VAR_DEPLOY_TOKEN: 'tok-1' });
  expect(first.code).toBe(1);
  const [id = ''] = ws.sessionIds();
  const before = ws.events(id).length;

  const again = await ws.run(['resume', id, '--yes']);
  expect(again.code).toBe(2);
  expect(again.stderr).toContain('stepgate: var DEPLOY_TOKEN (Deploy token) needs a value: pass --var DEPLOY_TOKEN=VALUE or set STEPGATE_VAR_DEPLOY_TOKEN');
  expect(again.stdout).not.toContain('resumed in a new shell');
  expect(ws.events(id)).toHaveLength(before);
  expect((await ws.run(['sessions'])).stdout).toMatch(new RegExp(`${id}.*blocked at migrate`));

  ws.write('migrated', '');
  const done = await ws.run(['resume', id, '--yes', '--retry', '--var', 'DEPLOY_TOKEN=tok-1']);
  expect(done.stdout).toContain('retrying blocked step migrate');
  expect(done.code).toBe(0);
});

it('a secret with a default that was given before is not replaced by its default: refused before anything, until given again (a review)', async () => {
  ws.write('deploy.md', BOOK.replace('secret: true }', 'secret: true, default: changeme }'));
  expect((await ws.run(['run', 'deploy.md', '--var', 'DEPLOY_TOKEN=typed-token'])).code).toBe(1);
  const [id] = ws.sessionIds();
  const before = ws.events(id!).length;
  const refused = await ws.run(['resume', id!, '--yes', '--retry']);
  expect(refused.code).toBe(2);
  expect(refused.stderr).toContain('var DEPLOY_TOKEN (Deploy token) is a secret, never kept: it was given before (flag)');
  expect(ws.events(id!).length).toBe(before);
  ws.write('migrated', '');
  const given = await ws.run(['resume', id!, '--yes', '--retry', '--var', 'DEPLOY_TOKEN=typed-token']);
  expect(given.code, given.stderr).toBe(0);
});
