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
