/**
 * A runbook someone else can write runs as root (issue 13, item 4): a group/other-writable
 * runbook, or one it links to (before:, recover=), is refused, naming the file, its mode,
 * owner and the fix; --allow-untrusted runs it and the journal says which files; lint warns.
 */
import { chmodSync, chownSync, symlinkSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';
import { startTui } from './tui-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const isRoot = process.getuid?.() === 0;

describe('untrusted runbooks', () => {
  it('refuses a group/other-writable runbook, runs it with --allow-untrusted (journaled), lint warns', { timeout: 120_000 }, async () => {
    const file = ws.write('open.md', '# Open\n\n```bash {name=hello}\necho ran-it\n```\n');
    chmodSync(file, 0o666);
    const refused = await ws.run(['run', 'open.md', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/untrusted runbook: open\.md is writable by group and others \(mode 0666\).*chmod go-w open\.md.*--allow-untrusted/);
    expect(refused.stdout).not.toContain('ran-it');
    expect(ws.sessionIds()).toEqual([]);

    const allowed = await ws.run(['run', 'open.md', '--yes', '--allow-untrusted']);
    expect(allowed.code).toBe(0);
    expect(allowed.stdout).toContain('ran-it');
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    expect(ws.events(id)[0]).toMatchObject({ type: 'session-started', options: { allowedUntrusted: [expect.stringMatching(/\/open\.md: is writable by group and others \(mode 0666\)/)] } });

    const lint = await ws.run(['lint', 'open.md']);
    expect(lint.code).toBe(0);
    expect(lint.stdout + lint.stderr).toMatch(/open\.md:1:1: warning.*untrusted runbook/);
  });

  it('export and fleet run refuse it too, saying what to do and naming no flag they do not take', { timeout: 120_000 }, async () => {
    const file = ws.write('open.md', '# Open\n\n## S\n\n```bash {name=hello}\necho ran-it\n```\n');
    chmodSync(file, 0o666);
    for (const [command, ...args] of [['export', '--ssm', 'command', 'open.md'], ['fleet run', 'open.md', '--instance-ids', 'i-0123456789abcdef0']] as const) {
      const refused = await ws.run([...command.split(' '), ...args], { AWS_ENDPOINT_URL_SSM: 'http://127.0.0.1:9', AWS_REGION: 'us-east-1' });
      expect(refused.code, command).toBe(2);
      expect(refused.stderr).toContain(
        `untrusted runbook: open.md is writable by group and others (mode 0666); another user could change what runs: chmod go-w open.md, then run stepgate ${command} again (nothing overrides this for ${command}: what it sends runs as root on every instance; if the file is not yours to fix, copy the runbook and the files it links to into a directory of your own, read them, and give ${command} the copy)`,
      );
      expect(refused.stderr).not.toMatch(/allow-untrusted/);
      expect(refused.stdout).toBe('');
    }
  });

  it('export advises replacing a link out of the runbook\'s directory with a copy, not chown or chmod (which leave the link)', { timeout: 120_000 }, async () => {
    const outside = mkdtempSync(join(tmpdir(), 'stepgate-outside-'));
    try {
      writeFileSync(join(outside, 'far.md'), '# Far\n\n```bash {name=hello}\necho ran-it\n```\n');
      symlinkSync(join(outside, 'far.md'), join(ws.dir, 'near.md'));
      const refused = await ws.run(['export', '--ssm', 'command', 'near.md']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain(`near.md is a symbolic link out of the runbook's directory`);
      expect(refused.stderr).toMatch(/another user could change what runs: cp --remove-destination \S+far\.md near\.md, then run stepgate export again/);
      expect(refused.stderr).not.toMatch(/chown|chmod|allow-untrusted/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('refuses a before: checklist writable by others, naming that file', { timeout: 120_000 }, async () => {
    const checklist = ws.write('checks.md', '# Checks\n\n## Pre\n\n- [ ] looked\n');
    chmodSync(checklist, 0o646);
    ws.write('main.md', '---\nbefore: checks.md#pre\n---\n# Main\n\n```bash {name=hello}\necho ran-it\n```\n');
    const refused = await ws.run(['run', 'main.md', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/untrusted runbook: checks\.md is writable by others \(mode 0646\)/);
    expect(refused.stdout).not.toContain('ran-it');
  });

  it.skipIf(!isRoot)('refuses a runbook owned by another user, and lint reports a link out of the tree', { timeout: 120_000 }, async () => {
    const file = ws.write('theirs.md', '# Theirs\n\n```bash {name=hello}\necho ran-it\n```\n');
    chownSync(file, 65534, 65534);
    const refused = await ws.run(['run', 'theirs.md', '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/theirs\.md is owned by uid 65534, not by you \(uid 0\) or root/);
    const outside = mkdtempSync(join(tmpdir(), 'stepgate-outside-'));
    try {
      writeFileSync(join(outside, 'far.md'), '# Far\n\n- [ ] x\n');
      symlinkSync(join(outside, 'far.md'), join(ws.dir, 'near.md'));
      const plan = await ws.run(['plan', 'near.md']);
      expect(plan.stdout + plan.stderr).toMatch(/near\.md is a symbolic link out of the runbook's directory/);
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  describe('a link out of the runbook\'s directory, in the TUI and on resume (as run refuses it)', () => {
    let outside: string;
    beforeEach(() => {
      outside = mkdtempSync(join(tmpdir(), 'stepgate-outside-'));
      writeFileSync(join(outside, 'far.md'), '# Far\n\n## Pre\n\n- [ ] told the team\n');
    });
    afterEach(() => rmSync(outside, { recursive: true, force: true }));
    const MAIN = '---\nbefore: checks.md#pre\n---\n# Main\n\n```bash {name=boom}\necho ran-it; false\n```\n';

    it('the TUI refuses a runbook whose checklist is a link out of its directory, in run\'s words', { timeout: 120_000 }, async () => {
      ws.write('main.md', MAIN);
      symlinkSync(join(outside, 'far.md'), join(ws.dir, 'checks.md'));
      const tui = startTui(['main.md'], ws.dir, ws.state);
      const screen = await tui.waitFor('allow-untrusted');
      expect(screen.replace(/\n/g, '')).toContain("checks.md is a symbolic link out of the runbook's directory");
      expect(screen).not.toContain('not found');
      expect(await tui.exited).toBe(2);
      expect(ws.sessionIds()).toEqual([]);
    });

    it('resume refuses a session whose checklist became such a link since; --allow-untrusted resumes it', { timeout: 120_000 }, async () => {
      ws.write('main.md', MAIN);
      ws.write('checks.md', '# Checks\n\n## Pre\n\n- [ ] told the team\n');
      const first = await ws.run(['run', 'main.md', '--yes']);
      expect(first.code).toBe(1);
      const [id] = ws.sessionIds();
      if (!id) throw new Error('no session');
      unlinkSync(join(ws.dir, 'checks.md'));
      symlinkSync(join(outside, 'far.md'), join(ws.dir, 'checks.md'));
      const refused = await ws.run(['resume', id, '--plain', '--yes']);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/untrusted runbook: \S*checks\.md is a symbolic link out of the runbook's directory .*--allow-untrusted/);
      expect(refused.stderr).not.toContain('not found');
      expect(ws.events(id).filter((e) => e.type === 'session-resumed')).toEqual([]);
      const allowed = await ws.run(['resume', id, '--plain', '--yes', '--allow-untrusted']);
      expect(allowed.stdout).toContain('resumed');
      expect(ws.events(id).filter((e) => e.type === 'session-resumed')).toHaveLength(1);
    });
  });
});
