import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../src/commands/plan.js';
import { planRunbook, type Runbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

const plan = (text: string): string => {
  const rb = parseRunbook(text, '/rb/deploy.md');
  const books = new Map<string, Runbook>([[rb.file, rb]]);
  return renderPlan(planRunbook(rb, (file) => books.get(file)));
};

describe('plan text', () => {
  it('says where the steps start: as another user in its home, as yourself where you start stepgate, else the cwd: given', () => {
    const rb = parseRunbook('---\nuser: ubuntu\n---\n# D\n\nGo.\n\n```bash {name=go}\npwd\n```\n', '/rb/deploy.md');
    const books = new Map<string, Runbook>([[rb.file, rb]]);
    const load = (file: string): Runbook | undefined => books.get(file);
    expect(renderPlan(planRunbook(rb, load), 'ssm-user')).toContain('run as: ubuntu   cwd: ~ubuntu (its home: a login shell)\n');
    expect(renderPlan(planRunbook(rb, load), 'ubuntu')).toContain('run as: ubuntu   cwd: (current directory)\n');
    // --as: every step that names no user of its own runs as it, whatever the front matter says.
    const asMe = planRunbook(rb, load, { as: 'ssm-user' });
    expect(asMe.user).toBe('ssm-user');
    expect(renderPlan(asMe, 'ssm-user')).toContain('run as: ssm-user   cwd: (current directory)\n');
    expect(renderPlan(asMe, 'ssm-user')).toContain('command go  (as ssm-user)');
    const withCwd = parseRunbook('---\nuser: ubuntu\ncwd: /srv/app\n---\n# D\n\nGo.\n\n```bash\npwd\n```\n', '/rb/deploy.md');
    expect(renderPlan(planRunbook(withCwd, load), 'ssm-user')).toContain('cwd: /srv/app\n');
  });
  it('keeps a long description whole, wrapped within 80 columns', () => {
    const sentence = 'Restart the service: stop the old http server and start a new one on APP_PORT, then wait until it listens again.';
    const out = plan(`# D\n\nThe redeploy.\n\n## Restart\n\n${sentence}\n\n\`\`\`bash {name=restart}\n./restart.sh\n\`\`\`\n`);
    const lines = out.split('\n');
    const first = lines.findIndex((l) => l.includes('Restart the service'));
    expect(lines.slice(first, first + 2).map((l) => l.trim()).join(' ')).toBe(sentence);
    for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(out).not.toContain('…');
  });
  it('wraps manual items under their text and puts long recovery lists one per line', () => {
    const item = 'The change is merged to main, with its docs in the same commit, and CI is green on every job.';
    const out = plan(`---\nrecovery: "#roll-back-to-the-previous-commit-of-both-services"\n---\n# D\n\n## Pull\n\n- [ ] ${item}\n\nPull.\n\n\`\`\`bash {recover=#scripts-not-executable-after-the-pull-of-the-release}\ngit pull\n\`\`\`\n\n## Scripts not executable after the pull of the release\n\nFix.\n\n\`\`\`bash\nchmod +x s\n\`\`\`\n\n## Roll back to the previous commit of both services\n\nBack.\n\n\`\`\`bash\ngit checkout -\n\`\`\`\n`);
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    expect(out).toMatch(/ {3}1\. \[ \] pull-1: The change is merged .*\n {10}\S.*green on every job\./);
    expect(out).toMatch(/recover: \S+#scripts-not-executable-after-the-pull-of-the-release\n {5} {7}\| \S+#roll-back-to-the-previous-commit-of-both-services/);
  });
  it('lists the front matter env, without the value of a secret-looking name', () => {
    const out = plan('---\nenv:\n  APP_PORT: "18931"\n  API_TOKEN: abc123\n---\n# D\n\nGo.\n\n```bash\ntrue\n```\n');
    expect(out).toContain('env: APP_PORT=18931, API_TOKEN=(secret)');
    expect(out).not.toContain('abc123');
  });
  it('prints a multi-line run check under its step, one $ line each, like a command script', () => {
    const out = plan('# D\n\nGo.\n\n```check {name=clean}\nname: no edits\nretries: 1\nrun: |\n  edited=$(git status --porcelain)\n  [ -z "$edited" ] || exit 1\n```\n');
    expect(out).toContain('     no edits: run\n     $ edited=$(git status --porcelain)\n     $ [ -z "$edited" ] || exit 1\n       1 attempt, timeout 5s\n');
  });
  it('prints each step id (what --skip takes) beside its title, a manual item and an unnamed step too, within 80 columns', () => {
    const out = plan(
      '# D\n\n## Work\n\n- [ ] Tell the team the deploy of the app to every web host of the fleet starts now.\n\n' +
        'Restart the service so that the new configuration is read by every worker, then wait.\n\n```bash {timeout=2m}\nsystemctl restart app\n```\n\n' +
        '```bash\necho hi\n```\n\nThe app answers.\n\n```check {name=healthz}\nhttp: http://127.0.0.1:1/healthz\n```\n',
    );
    expect(out).toContain('Each step id (after its number) is what --skip ID=REASON takes.');
    expect(out).toMatch(/^ {3}1\. \[ \] work-1: Tell the team the deploy of the app to every web host of the$/m);
    expect(out).toMatch(/^ {3}2\. command work-2: Restart the service so that the new…  \(timeout 2m\)$/m);
    expect(out).toMatch(/^ {3}3\. command work-3: echo hi$/m);
    // A name is the step's title: it is not said twice.
    expect(out).toMatch(/^ {3}4\. check healthz$/m);
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
  });
});

