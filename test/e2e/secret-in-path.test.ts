/**
 * A secret whose value also occurs in a path (`DB_PASSWORD=omneuro`, the runbook under
 * `.../omneuro/`): the journal held the runbook's path as `.../[REDACTED]/deploy.md`, so the
 * session could not be resumed, and the hole in a path anyone can list gave the secret away (a
 * review). Paths, keys and digests are journaled as they are; what steps print stays redacted.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const SECRET = 'omneuro';
const RUNBOOK = `---\nvars:\n  DB_PASSWORD: { prompt: Database password, secret: true }\n---\n# Deploy\n\n## Work\n\nConnects.\n\n\`\`\`bash {name=connect}\necho "password is $DB_PASSWORD"\ntest -e ready\n\`\`\`\n`;

describe('a secret that occurs in the runbook path', () => {
  it('leaves the path whole in the journal, sessions and resume, and still hides what the step prints', async () => {
    const dir = join(ws.dir, SECRET);
    mkdirSync(dir);
    const file = join(dir, 'deploy.md');
    writeFileSync(file, RUNBOOK);
    const env = { STEPGATE_VAR_DB_PASSWORD: SECRET };
    const first = await ws.run(['run', file, '--yes'], env);
    expect(first.code, first.stderr).toBe(1);
    expect(first.stdout).toContain('password is [REDACTED]');
    const [id] = ws.sessionIds();
    const journal = readFileSync(ws.journalPath(id!), 'utf8');
    expect(journal).not.toContain('[REDACTED]/deploy.md');
    expect(journal).toContain(JSON.stringify(file));
    expect(journal).not.toContain(`password is ${SECRET}`);
    const listed = await ws.run(['sessions']);
    expect(listed.stdout).toContain(`${SECRET}/deploy.md`);
    expect(listed.stdout).not.toContain('[REDACTED]');

    writeFileSync(join(ws.dir, 'ready'), '');
    const resumed = await ws.run(['resume', id!, '--yes', '--retry'], env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toContain('== completed ==');
    expect(resumed.stdout).not.toContain(`password is ${SECRET}`);
    // Where a step went is the step's doing, not a name stepgate made: redacted in the journal
    // (the cwd a new shell is given after a step ended the shell).
    const cd = `# CD\n\n## Go\n\nGoes.\n\n\`\`\`bash {name=go}\nmkdir -p "ws-$DB_PASSWORD" && cd "ws-$DB_PASSWORD"\n\`\`\`\n\nEnds the shell.\n\n\`\`\`bash {name=end}\nexit 0\n\`\`\`\n\nRuns on.\n\n\`\`\`bash {name=last}\ntrue\n\`\`\`\n`;
    writeFileSync(join(dir, 'cd.md'), RUNBOOK.slice(0, RUNBOOK.indexOf('# Deploy')) + cd);
    expect((await ws.run(['run', join(dir, 'cd.md'), '--yes'], env)).code).toBe(0);
    const cdId = ws.sessionIds().find((s) => s !== id)!;
    const cdJournal = readFileSync(ws.journalPath(cdId), 'utf8');
    expect(cdJournal).toContain('"restored":{"cwd":');
    expect(cdJournal).toContain('ws-[REDACTED]');
    expect(cdJournal).not.toContain(`ws-${SECRET}`);
  }, 60_000);
});
