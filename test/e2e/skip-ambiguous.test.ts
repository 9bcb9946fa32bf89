/**
 * A `--skip ID` that steps in two runbooks of a session are called (a checklist's `who` and
 * the deploy's): a skip is used once, by whichever comes first, so the bare id is refused
 * before anything runs and `FILE#ID` (FILE as typed, relative to here) names the one meant.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Workspace } from './plain-harness.js';

let ws: Workspace;

beforeEach(() => {
  ws = new Workspace();
  mkdirSync(join(ws.dir, 'checks'));
  ws.write('deploy.md', '---\nbefore: [checks/pre.md]\n---\n# Deploy\n\nSay who deploys.\n\n```bash {name=who}\necho "deploy-who"\n```\n');
  ws.write('checks/pre.md', '# Pre\n\nSay who checks.\n\n```bash {name=who}\necho "pre-who"\n```\n');
});

afterEach(() => {
  ws.remove();
});

describe('a --skip id two runbooks of the session use', () => {
  it('is refused with each file#id to give, and the one given by its file is the one skipped', async () => {
    const bare = await ws.run(['run', 'deploy.md', '--yes', '--skip', 'who=done by hand']);
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('--skip who names a step in 2 runbooks, so nothing was run');
    expect(bare.stderr).toMatch(/--skip 'checks\/pre\.md#who=REASON' +\(checks\/pre\.md:5\)/);
    expect(bare.stderr).toMatch(/--skip 'deploy\.md#who=REASON' +\(deploy\.md:8\)/);
    expect(bare.stdout).not.toContain('-who');
    expect(ws.sessionIds()).toEqual([]);

    const named = await ws.run(['run', 'deploy.md', '--yes', '--skip', 'deploy.md#who=done by hand']);
    expect(named.code).toBe(0);
    expect(named.stdout).toContain('pre-who');
    expect(named.stdout).not.toContain('deploy-who');
  });
});
