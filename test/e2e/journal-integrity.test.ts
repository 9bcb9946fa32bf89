/**
 * A hand-edited journal end to end (issue 13, item 6): flipping a failed gate's `"ok":false`
 * to true used to let `resume --yes` walk past it. Now resume refuses and says where, unless
 * --accept-edited-journal, which the journal records; `log` warns.
 */
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const RUNBOOK = `# Gate

\`\`\`bash {name=gate}
echo gate-ran; exit 1
\`\`\`

\`\`\`bash {name=after}
echo after-ran
\`\`\`
`;

describe('an edited journal', () => {
  it('resume refuses it with file:line, and runs past the gate only with --accept-edited-journal (journaled)', { timeout: 120_000 }, async () => {
    ws.write('gate.md', RUNBOOK);
    const first = await ws.run(['run', 'gate.md', '--yes']);
    expect(first.code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    const path = ws.journalPath(id);
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    const at = lines.findIndex((l) => l.includes('"type":"step-finished"') && l.includes('"ok":false'));
    expect(at).toBeGreaterThan(0);
    writeFileSync(path, `${lines.map((l, i) => (i === at ? l.replace('"ok":false', '"ok":true').replace('"exitCode":1', '"exitCode":0') : l)).join('\n')}\n`);

    const refused = await ws.run(['resume', id, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${path}:${at + 1}: does not verify`);
    expect(refused.stderr).toContain('--accept-edited-journal');
    expect(refused.stdout).not.toContain('after-ran');
    expect(readFileSync(path, 'utf8').trimEnd().split('\n')).toHaveLength(lines.length);

    const log = await ws.run(['log', id]);
    expect(log.stderr).toContain(`${path}:${at + 1}: does not verify`);
    const report = await ws.run(['report', id]);
    expect(report.stdout).toMatch(new RegExp(`^> \\*\\*Warning: this session's journal was changed after stepgate wrote it \\(line ${at + 1} do`));

    const accepted = await ws.run(['resume', id, '--yes', '--accept-edited-journal']);
    expect(accepted.stdout).toContain('after-ran');
    expect(accepted.code).toBe(0);
    const resumed = ws.events(id).find((e) => e.type === 'session-resumed');
    expect(resumed).toMatchObject({ acceptedEdits: [{ line: at + 1 }] });
    // Accepted once, the journal verifies again for the next reader.
    const after = await ws.run(['log', id]);
    expect(after.stderr).not.toContain('does not verify');
    expect(after.stdout).toMatch(/accepted an edited journal: line \d+ did not verify/);

    // The accepted line rewritten again, its mac kept (review F5): a new break, not covered.
    const now = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(path, `${now.map((l, i) => (i === at ? l.replace('"durationMs":', '"durationMs":1') : l)).join('\n')}\n`);
    const again = await ws.run(['log', id]);
    expect(again.stderr).toContain(`${path}:${at + 1}: does not verify`);
    const refusedAgain = await ws.run(['resume', id, '--yes']);
    expect(refusedAgain.code).toBe(2);
    expect(refusedAgain.stderr).toContain(`${path}:${at + 1}: does not verify`);
  });

  it('resume refuses a journal whose key and macs were both removed (review F3), and log says so', { timeout: 120_000 }, async () => {
    const marker = ws.write('marker', '');
    unlinkSync(marker);
    ws.write(
      'three.md',
      `# Three\n\n\`\`\`bash {name=one}\necho one\n\`\`\`\n\n\`\`\`bash {name=two}\nexit 3\n\`\`\`\n\n\`\`\`bash {name=three}\ntouch ${marker}\n\`\`\`\n`,
    );
    const first = await ws.run(['run', 'three.md', '--yes']);
    expect(first.code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    const path = ws.journalPath(id);
    // The review's sed: every mac off, step two's failure turned into a pass; then the key removed.
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    writeFileSync(
      path,
      `${lines.map((l) => l.replace(/^\{"mac":"[0-9a-f]*",/, '{')).map((l) => (/"type":"step-finished".*#two"/.test(l) ? l.replace('"ok":false', '"ok":true') : l)).join('\n')}\n`,
    );
    unlinkSync(path.replace(/\.jsonl$/, '.key'));

    const refused = await ws.run(['resume', id, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${path}:1: has no hash chain`);
    expect(refused.stderr).toContain('--accept-edited-journal');
    expect(existsSync(marker)).toBe(false);

    const log = await ws.run(['log', id]);
    expect(log.stderr).toContain(`${path}:1: has no hash chain`);
    expect(log.stderr).toContain('was changed after stepgate wrote it');

    const accepted = await ws.run(['resume', id, '--yes', '--accept-edited-journal']);
    expect(accepted.code).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect(ws.events(id).find((e) => e.type === 'session-resumed')).toMatchObject({ acceptedEdits: [{ line: 1, what: expect.stringContaining('no hash chain') }] });
  });

  it('plain resume decides on the journal read under the lock: one edited after the first check is refused without --accept-edited-journal (review F4)', { timeout: 120_000 }, async () => {
    const marker = ws.write('marker', '');
    unlinkSync(marker);
    ws.write(
      'three.md',
      `# Three\n\n\`\`\`bash {name=one}\necho one\n\`\`\`\n\n\`\`\`bash {name=two}\nexit 3\n\`\`\`\n\n\`\`\`bash {name=three}\ntouch ${marker}\n\`\`\`\n`,
    );
    expect((await ws.run(['run', 'three.md', '--yes'])).code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    const path = ws.journalPath(id);
    // The edit lands as resume asks for the real path of the sessions directory to name its
    // lock: after the first check, before the read under the lock, every time.
    const hook = ws.write(
      'edit-at-lock.mjs',
      `import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
const realpath = fs.promises.realpath;
let done = false;
fs.promises.realpath = function (p, ...rest) {
  if (!done && p === ${JSON.stringify(ws.sessionsDir())}) {
    done = true;
    const journal = ${JSON.stringify(path)};
    const text = fs.readFileSync(journal, 'utf8');
    fs.writeFileSync(journal, text.split('\\n').map((l) => (/"type":"step-finished".*#two"/.test(l) ? l.replace('"ok":false', '"ok":true') : l)).join('\\n'));
  }
  return realpath.call(this, p, ...rest);
};
syncBuiltinESMExports();
`,
    );
    const raced = await ws.run(['resume', id, '--yes'], { NODE_OPTIONS: `--import=${hook}` });
    expect(readFileSync(path, 'utf8')).toMatch(/"type":"step-finished"[^\n]*#two"[^\n]*"ok":true/);
    expect(raced.stderr).not.toContain('--accept-edited-journal: resuming');
    expect(raced.stderr).toMatch(/does not verify[\s\S]*pass --accept-edited-journal/);
    expect(raced.code).toBe(2);
    expect(existsSync(marker)).toBe(false);
    expect(ws.events(id).some((e) => e.type === 'session-resumed')).toBe(false);
  });
  it('a decision appended by hand without its newline or mac is a chain break: log and report warn, resume refuses (security review)', { timeout: 120_000 }, async () => {
    ws.write('gate.md', RUNBOOK);
    expect((await ws.run(['run', 'gate.md', '--yes'])).code).toBe(1);
    const [id] = ws.sessionIds();
    if (!id) throw new Error('no session');
    const path = ws.journalPath(id);
    const before = readFileSync(path, 'utf8');
    const lines = before.trimEnd().split('\n');
    const failed = lines.map((l) => JSON.parse(l) as { type: string; ok?: boolean; key?: string; depth?: number; index?: number }).find((e) => e.type === 'step-finished' && e.ok === false);
    if (!failed) throw new Error('no failed step');
    // The review's printf '%s': no newline, no mac.
    const forged = JSON.stringify({ type: 'decision', at: Date.now(), depth: failed.depth, index: failed.index, key: failed.key, who: { user: 'root' }, decision: { kind: 'override', reason: 'approved by change board' } });
    writeFileSync(path, `${before}${forged}`);
    const line = lines.length + 1;

    const log = await ws.run(['log', id]);
    expect(log.stderr).toContain(`${path}:${line}: has no chain mac`);
    expect(log.stderr).toContain('was changed after stepgate wrote it');
    expect(log.stderr).not.toContain('torn last line');

    const report = await ws.run(['report', id]);
    // Not a plain decision: the report opens with the warning that names the forged line.
    expect(report.stdout).toMatch(new RegExp(`^> \\*\\*Warning: this session's journal was changed after stepgate wrote it \\(line ${line} do`));
    expect(report.stderr).toContain(`${path}:${line}: has no chain mac`);

    const refused = await ws.run(['resume', id, '--yes']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`${path}:${line}: has no chain mac`);
    expect(refused.stdout).not.toContain('after-ran');
  });
});
