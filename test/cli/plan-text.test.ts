import { describe, expect, it } from 'vitest';
import { renderPlan } from '../../src/commands/plan.js';
import { planRunbook, type Runbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

const plan = (text: string, columns?: number): string => {
  const rb = parseRunbook(text, '/rb/deploy.md');
  const books = new Map<string, Runbook>([[rb.file, rb]]);
  return renderPlan(planRunbook(rb, (file) => books.get(file)), columns);
};

describe('plan text', () => {
  it('says where the steps start: as another user in its home, as yourself where you start stepgate, else the cwd: given', () => {
    const rb = parseRunbook('---\nuser: ubuntu\n---\n# D\n\nGo.\n\n```bash {name=go}\npwd\n```\n', '/rb/deploy.md');
    const books = new Map<string, Runbook>([[rb.file, rb]]);
    const load = (file: string): Runbook | undefined => books.get(file);
    expect(renderPlan(planRunbook(rb, load), undefined, 'ssm-user')).toContain('run as: ubuntu   cwd: ~ubuntu (its home: a login shell)\n');
    expect(renderPlan(planRunbook(rb, load), undefined, 'ubuntu')).toContain('run as: ubuntu   cwd: (current directory)\n');
    // --as: every step that names no user of its own runs as it, whatever the front matter says.
    const asMe = planRunbook(rb, load, { as: 'ssm-user' });
    expect(asMe.user).toBe('ssm-user');
    expect(renderPlan(asMe, undefined, 'ssm-user')).toContain('run as: ssm-user   cwd: (current directory)\n');
    expect(renderPlan(asMe, undefined, 'ssm-user')).toContain('command go  (as ssm-user)');
    const withCwd = parseRunbook('---\nuser: ubuntu\ncwd: /srv/app\n---\n# D\n\nGo.\n\n```bash\npwd\n```\n', '/rb/deploy.md');
    expect(renderPlan(planRunbook(withCwd, load), undefined, 'ssm-user')).toContain('cwd: /srv/app\n');
  });
  it('quotes a contains: text so that its own quotes read as its own', () => {
    const out = plan('# D\n\nUp.\n\n```check\n- http: http://127.0.0.1:8080/a\n  contains: \'"status": "ok"\'\n- http: http://127.0.0.1:8080/b\n  contains: ready\n- http: http://127.0.0.1:8080/c\n  contains: \'say "it\'\'s up"\'\n```\n');
    expect(out).toContain('http http://127.0.0.1:8080/a contains \'"status": "ok"\'');
    expect(out).toContain('http http://127.0.0.1:8080/b contains "ready"');
    expect(out).toContain('http http://127.0.0.1:8080/c contains "say \\"it\'s up\\""');
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

describe('plan text on a terminal', () => {
  const LONG = 'curl -fsS --retry 5 --retry-delay 2 -H "Authorization: Bearer $TOKEN" https://deploy.example.internal/api/v2/releases/current?include=checksums';
  const URL_ONLY = `https://deploy.example.internal/${'x'.repeat(150)}`;
  const RUNBOOK = `# D\n\n## Pull\n\nFetch.\n\n\`\`\`bash {name=fetch}\ncd /srv/app\n${LONG}\n${URL_ONLY}\n\`\`\`\n\nClean.\n\n\`\`\`check {name=clean}\nretries: 1\nrun: |\n  ${LONG}\n  true\n\`\`\`\n`;
  /** The rows of the code line that starts with `start`: its $ row and the hanging rows under it. */
  const rowsOf = (out: string, start: string): string[] => {
    const lines = out.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`     $ ${start}`));
    const rows = [lines[at] ?? ''];
    for (const l of lines.slice(at + 1)) if (l.startsWith(' '.repeat(11)) && !l.startsWith(`${' '.repeat(11)}1 attempt`)) rows.push(l); else break;
    return rows;
  };
  const joined = (rows: string[]): string => rows.map((r, i) => (i === 0 ? r.slice(7) : r.slice(11))).join('');

  it('wraps a code line longer than the terminal, rows hanging under its $, nothing lost, and says so once', () => {
    const out = plan(RUNBOOK, 80);
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(80);
    for (const start of ['curl', 'https']) {
      const rows = rowsOf(out, start);
      expect(rows.length).toBeGreaterThan(1);
      expect(joined(rows)).toBe(start === 'curl' ? LONG : URL_ONLY);
    }
    // At a space when there is one: a word is not cut in two.
    expect(rowsOf(out, 'curl')[0]).toMatch(/ $/);
    // The multi-line run check's lines too, above its attempts line.
    expect(out).toMatch(/ {5}\$ curl -fsS .*(\n {11}\S.*)+\n {5}\$ true\n {7}1 attempt/);
    expect(out).toContain('     $ cd /srv/app\n');
    expect(out.match(/Long code lines wrap, indented under their \$; piped \(\| cat\) each is one line\./g)).toHaveLength(1);
  });

  it('fits a wider terminal without wrapping what fits, and a narrow one with rows of at least 20', () => {
    const wide = plan(RUNBOOK, 200);
    expect(wide).toContain(`     $ ${LONG}\n`);
    expect(rowsOf(wide, 'https')).toHaveLength(1);
    expect(wide).not.toContain('Long code lines wrap');
    const narrow = plan(RUNBOOK, 24);
    const rows = rowsOf(narrow, 'curl');
    expect(joined(rows)).toBe(LONG);
    for (const row of rows) expect(row.trimStart().length).toBeGreaterThanOrEqual(1);
  });

  it('measures a tab as the terminal shows it', () => {
    const out = plan(`# D\n\nGo.\n\n\`\`\`bash\nprintf '%s\\n'\t${'a'.repeat(60)}\t${'b'.repeat(20)}\n\`\`\`\n`, 80);
    for (const line of out.split('\n')) expect(line.replace(/\t/g, ' '.repeat(8)).length, line).toBeLessThanOrEqual(80);
    expect(out).toContain('Long code lines wrap');
  });

  it('without a terminal (a pipe, a file, a ticket) keeps every code line whole and unchanged', () => {
    const out = plan(RUNBOOK);
    expect(out).toContain(`     $ ${LONG}\n`);
    expect(out).toContain(`     $ ${URL_ONLY}\n`);
    expect(out).toContain(`     $ ${LONG}\n     $ true\n`);
    expect(out).not.toContain('Long code lines wrap');
  });
});
