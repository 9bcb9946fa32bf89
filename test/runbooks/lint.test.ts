import { describe, expect, it } from 'vitest';
import { lintRunbook, type Runbook } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

/** A set of runbook files in memory: the lint context's `load` boundary. */
function workspace(files: Record<string, string>, env: Record<string, string> = {}) {
  const parsed = new Map<string, Runbook>(Object.entries(files).map(([f, t]) => [f, parseRunbook(t, f)]));
  return (file: string) =>
    lintRunbook(parsed.get(file)!, { load: (f) => parsed.get(f), env }).map((d) => `${d.file}:${d.line}:${d.column} ${d.severity} ${d.code}`);
}

const recovery = '# Recovery\n\n## Rollback\n\nRoll back.\n\n```bash\ngit checkout HEAD~1\n```\n';

describe('lint', () => {
  it('passes a runbook whose targets all resolve', () => {
    const lint = workspace({
      'rb/deploy.md': '---\nbefore: checklists.md#pre-deploy\nafter: checklists.md#post\nrecovery: recovery.md\n---\n## Pull\n\n<!-- stepgate: recover=recovery.md#rollback -->\n\nPull.\n\n```bash {recover=#pull}\ngit pull\n```\n\nSee [recovery](recovery.md#rollback).\n',
      'rb/checklists.md': '## Pre-deploy\n\n- [ ] a\n\n## Post\n\n- [ ] b\n',
      'rb/recovery.md': recovery,
    });
    expect(lint('rb/deploy.md')).toEqual([]);
  });

  it('errors on recover=, before, after, recovery and section targets that do not resolve', () => {
    const lint = workspace({
      'deploy.md': '---\nbefore: checklists.md#nope\nafter: missing.md\nrecovery: recovery.md#gone\n---\n## Pull\n\n<!-- stepgate: recover=#nowhere -->\n\nPull.\n\n```bash {recover=recovery.md#typo}\ngit pull\n```\n',
      'checklists.md': '## Pre-deploy\n',
      'recovery.md': recovery,
    });
    expect(lint('deploy.md')).toEqual([
      'deploy.md:2:1 error unresolved-target',
      'deploy.md:3:1 error unresolved-target',
      'deploy.md:4:1 error unresolved-target',
      'deploy.md:8:1 error unresolved-target',
      'deploy.md:12:10 error unresolved-target',
    ]);
  });

  it('warns on cross-references that do not resolve', () => {
    const lint = workspace({ 'a.md': '## A\n\nSee [b](b.md), [c](#c) and `OPS.md`.\n' });
    expect(lint('a.md')).toEqual(['a.md:3:5 warning unresolved-link', 'a.md:3:16 warning unresolved-link', 'a.md:3:28 warning unresolved-link']);
  });

  it('warns on user switching, curl retry loops and steps without description', () => {
    const lint = workspace({
      'a.md': [
        'Become ubuntu.', '', '```bash', 'sudo -i -u ubuntu', '```', '',
        'Root shell.', '', '```sh', 'su - root', '```', '',
        'Retry.', '', '```bash', 'for i in 1 2 3; do curl -fsS http://x && break; sleep 2; done', '```', '',
        '```bash', 'echo undocumented', '```', '',
        'Fine.', '', '```bash', 'sudo systemctl restart app', '```', '',
      ].join('\n'),
    });
    expect(lint('a.md')).toEqual([
      'a.md:3:1 warning sudo-in-step',
      'a.md:9:1 warning sudo-in-step',
      'a.md:15:1 warning curl-retry-loop',
      'a.md:19:1 warning no-description',
    ]);
  });

  it('warns on ${NAME} in checks that nothing defines', () => {
    const text = '---\nenv: {PORT: "80"}\nvars: {HOST: Host}\n---\nCheck.\n\n```check\nhttp: http://${HOST}:${PORT}/${PATH_PART}\ncontains: ${FROM_ENV}\n```\n';
    expect(workspace({ 'a.md': text })('a.md')).toEqual(['a.md:8:1 warning unknown-variable', 'a.md:8:1 warning unknown-variable']);
    expect(workspace({ 'a.md': text }, { PATH_PART: 'x' })('a.md')).toEqual(['a.md:8:1 warning unknown-variable']);
    expect(workspace({ 'a.md': text }, { PATH_PART: 'x', FROM_ENV: 'y' })('a.md')).toEqual([]);
  });

  it('warns on ${NAME} nothing defines in a check refused for another field, with that error', () => {
    // The trial's `${PROT}` was said only once the check's other error was fixed.
    const text = '---\nvars: {PORT: Port}\n---\nCheck.\n\n```check\n- http: ${PROT}://localhost:${PORT}/\n  retires: 5\n- tcp: localhost:${PORTT}\n  timeout: soon\n```\n';
    expect(workspace({ 'a.md': text })('a.md')).toEqual([
      'a.md:7:3 warning unknown-variable',
      'a.md:8:3 error unknown-attribute',
      'a.md:9:3 warning unknown-variable',
      'a.md:10:3 error bad-duration',
    ]);
  });

  it('says every field error of a check without a usable target at once (a trial saw retries: five only after fixing htp:)', () => {
    const text = 'Check.\n\n```check\n- htp: http://localhost/\n  retries: five\n  timeout: soon\n- run: true\n  backoff: never\n```\n';
    expect(workspace({ 'a.md': text })('a.md')).toEqual([
      'a.md:4:3 error unknown-attribute',
      'a.md:4:3 error check-no-target',
      'a.md:5:3 error bad-check',
      'a.md:6:3 error bad-duration',
      'a.md:7:3 error check-no-target',
      'a.md:8:3 error bad-duration',
    ]);
  });

  it('warns about a task item ticked in the file: every session passes it unconfirmed (a trial: a pasted checklist skipped "backup taken")', () => {
    const lint = workspace({ 'a.md': '# A\n\n- [x] The database backup was taken and verified.\n- [ ] Announce it\n' });
    expect(lint('a.md')).toEqual(['a.md:3:1 warning pre-ticked']);
  });

  it('warns that retries and backoff do nothing on a command step', () => {
    expect(workspace({ 'a.md': 'Pull.\n\n```bash {retries=3 backoff=1s}\ngit pull\n```\n\nUp.\n\n```check {retries=3}\ntcp: localhost:22\n```\n' })('a.md')).toEqual([
      'a.md:3:1 warning ignored-attribute',
    ]);
  });

  it("says yes and no are flags too when a flag's value is neither (a trial: confirm=yes passed, optional=maybe was told 'true or false')", () => {
    const rb = parseRunbook('Do.\n\n```bash {confirm=yes optional=maybe}\ntrue\n```\n', 'a.md');
    expect(rb.diagnostics.map((d) => d.message)).toContain('optional=maybe: want true or false (yes and no too), or just optional');
    expect(rb.steps[0]?.kind === 'command' && rb.steps[0].attrs.confirm).toBe(true);
  });

  it('keeps the parser errors in its output', () => {
    expect(workspace({ 'a.md': 'Do.\n\n```bash {bogus}\ntrue\n```\n' })('a.md')).toEqual(['a.md:3:10 error unknown-attribute']);
  });
});

describe('the main flow', () => {
  it('leaves out sections that only recovery paths lead to, the same way plan and the session do', async () => {
    const { mainFlowSteps, recoveryOnlyAnchors } = await import('../../src/runbooks/index.js');
    const rb = parseRunbook(
      '# D\n\n## Deploy\n\nIf it fails, [roll back](#roll-back).\n\n```bash {name=go}\ntrue\n```\n\n## Roll back\n\nUndo.\n\n```bash {name=undo}\ntrue\n```\n\n### Verify\n\n```bash {name=verify}\ntrue\n```\n\n## Notes\n\nSee [notes](#deploy).\n\n```bash {name=after}\ntrue\n```\n',
      'd.md',
    );
    expect([...recoveryOnlyAnchors(rb)]).toEqual(['roll-back', 'verify']);
    expect(mainFlowSteps(rb).map((s) => s.id)).toEqual(['go', 'after']);
  });

  it('capture=: a shell variable name on a command step, not a secret, not a var; a second capture of a name warns', () => {
    const lint = workspace({
      'c.md':
        '---\nvars:\n  REGION: { prompt: Region }\n---\n## A\n\nOne.\n\n```bash {capture=PREVIOUS}\ngit rev-parse HEAD\n```\n\nTwo.\n\n```bash {capture=PREVIOUS}\ngit rev-parse HEAD\n```\n\nThree.\n\n```bash {capture=API_TOKEN}\ncat token\n```\n\nFour.\n\n```bash {capture=REGION}\necho x\n```\n\nFive.\n\n```check {capture=X}\nhttp: http://h/${PREVIOUS}\n```\n\nSix.\n\n```bash {capture=1bad}\necho\n```\n',
    });
    expect(lint('c.md')).toEqual([
      'c.md:15:1 warning bad-attribute',
      'c.md:21:1 error bad-attribute',
      'c.md:27:1 error bad-attribute',
      'c.md:33:1 error bad-attribute',
      'c.md:39:10 error bad-attribute',
    ]);
  });
  it('errors on var and env names that start like stepgate\'s own shell variables (__sg_), at each entry', () => {
    const lint = workspace({ 'a.md': '---\nvars:\n  __sg_id: The id\n  RELEASE: Release\nenv:\n  MODE: x\n  __sg_l: y\n---\n## A\n\nGo.\n\n```bash\ntrue\n```\n' });
    expect(lint('a.md')).toEqual(['a.md:3:3 error reserved-name', 'a.md:7:3 error reserved-name']);
  });

  it('warns on a secret-looking env entry whose value is written in the runbook, not on an empty one, one a var overrides, or a name that only looks alike', () => {
    const text = '---\nvars:\n  DB_PASSWORD: {prompt: Password, secret: true}\nenv:\n  GITHUB_TOKEN: ghp_in_clear\n  API_KEY: ""\n  DB_PASSWORD: local-default\n  AUTHOR: Jane\n  SSH_AUTH_SOCK: /tmp/agent.sock\n---\n## A\n\nGo.\n\n```bash\ntrue\n```\n';
    const rb = parseRunbook(text, 'a.md');
    const found = lintRunbook(rb, { load: () => rb, env: {} }).filter((d) => d.code === 'secret-in-runbook');
    expect(found.map((d) => `${d.line}:${d.column} ${d.severity}`)).toEqual(['5:3 warning']);
    expect(found[0]?.message).toContain('env GITHUB_TOKEN looks like a secret\'s name');
    expect(found[0]?.message).toContain('GITHUB_TOKEN: {prompt: ..., secret: true}');
    expect(found[0]?.message).not.toContain('ghp_in_clear');
  });
});

describe('a shell $NAME one typo from a var of the runbook', () => {
  const messages = (text: string, env: Record<string, string> = {}): string[] =>
    lintRunbook(parseRunbook(text, 'a.md'), { load: () => undefined, env }).filter((d) => d.code === 'unknown-variable').map((d) => `${d.line} ${d.message}`);
  const head = '---\nvars:\n  APP_PORT: {default: "8080"}\nenv:\n  RELEASE_DIR: /srv/app\n---\n# Deploy\n\n';

  it('is warned about in a command step and a run: check, once each, with the name meant', () => {
    expect(messages(`${head}Start it.\n\n\`\`\`bash\nserve --port "$APP_PROT" --dir \${RELEASE_DIRS} # $APP_PROT\n\`\`\`\n\nIt answers.\n\n\`\`\`check\n- run: curl -fsS http://127.0.0.1:$APP_PROT/healthz\n\`\`\`\n`)).toEqual([
      '11 $APP_PROT is not a var or env entry of this runbook, nor set in this step: did you mean $APP_PORT?',
      '11 $RELEASE_DIRS is not a var or env entry of this runbook, nor set in this step: did you mean $RELEASE_DIR?',
      '17 $APP_PROT is not a var or env entry of this runbook, nor set in this check: did you mean $APP_PORT?',
    ]);
  });

  it('is not warned about when the step sets it, the environment has it, or no var is near', () => {
    const set = ['APP_PROT=9090; echo "$APP_PROT"', 'export APP_PROT=1\necho $APP_PROT', 'read -r APP_PROT < port.txt; echo $APP_PROT', 'for APP_PROT in 1 2; do echo $APP_PROT; done', 'local APP_PROT=3; echo $APP_PROT'];
    for (const script of set) expect(messages(`${head}Start it.\n\n\`\`\`bash\n${script}\n\`\`\`\n`), script).toEqual([]);
    expect(messages(`${head}Start it.\n\n\`\`\`bash\necho $APP_PROT\n\`\`\`\n`, { APP_PROT: '1' })).toEqual([]);
    expect(messages(`${head}Start it.\n\n\`\`\`bash\necho "$HOME $PATH $APP_PORT $SOMETHING_ELSE"\n\`\`\`\n`)).toEqual([]);
  });
});
