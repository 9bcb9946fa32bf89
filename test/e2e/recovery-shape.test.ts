/**
 * A recovery path's row says what it walks: how many steps, the whole file when the link names
 * no section, and whether it ends the session rolled back (a trial took "recover: recovery.md"
 * from its intro's link and walked every section of it, ending rolled back).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
});

afterEach(() => {
  ws.remove();
});

describe('the recovery paths of a blocked step', () => {
  it('say how many steps each walks, the whole file, and a roll back', async () => {
    ws.write('deploy.md', '---\nrecovery: recovery.md\n---\n# Deploy\n\nRestart it.\n\n```bash {name=restart recover=recovery.md#service-down}\nexit 3\n```\n');
    ws.write('recovery.md', '# Recovery\n\n## Service down\n\nLook.\n\n```bash {name=look}\necho look\n```\n\nStart.\n\n```bash {name=start}\necho start\n```\n\n## Roll back\n\nBack.\n\n```bash {name=back rollback}\necho back\n```\n');
    const run = await ws.run(['run', 'deploy.md', '--yes']);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('  1. recovery.md#service-down (step) (2 steps)');
    expect(run.stdout).toContain('  2. recovery.md (front-matter) (whole file: 3 steps, rolls back)');
  });
});
