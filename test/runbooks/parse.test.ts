import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { PATTERN_MS, looksSecretName, varValueProblem } from '../../src/runbooks/vars.js';
import { NOT_SECRET_NAMES, SECRET_NAMES } from '../helpers/secret-names.js';
import type { CheckStep, CommandStep, ManualStep } from '../../src/runbooks/index.js';

const md = (strings: TemplateStringsArray, ...values: unknown[]): string =>
  String.raw({ raw: strings }, ...values).replace(/^\n/, '');

describe('steps', () => {
  it('turns shell fences into command steps with the prose before them as description', () => {
    const rb = parseRunbook(
      md`
# Deploy

## Pull

Fetch the latest code.

\`\`\`bash
git pull
\`\`\`

\`\`\`sh
echo second
\`\`\`

\`\`\`yaml
not: run
\`\`\`
`,
      'deploy.md',
    );
    expect(rb.diagnostics).toEqual([]);
    expect(rb.title).toBe('Deploy');
    const [pull, second] = rb.steps as CommandStep[];
    expect(pull).toMatchObject({ kind: 'command', lang: 'bash', script: 'git pull', section: 'pull', description: 'Fetch the latest code.', position: { line: 7, column: 1 } });
    expect(second).toMatchObject({ kind: 'command', lang: 'sh', description: '', id: 'pull-2' });
    expect(rb.steps).toHaveLength(2);
    expect(rb.snippets).toEqual([expect.objectContaining({ lang: 'yaml', code: 'not: run', section: 'pull' })]);
  });

  it('accepts every shell language and runs only the $ lines of console blocks', () => {
    const langs = ['bash', 'sh', 'shell', 'zsh'];
    const text = langs.map((l) => `\`\`\`${l}\necho ${l}\n\`\`\`\n`).join('\n') +
      '\n```console\n$ kubectl get pods \\\n    -n kube-system\nNAME   READY\n$ echo done\ndone\n```\n';
    const rb = parseRunbook(text, 'x.md');
    expect(rb.steps.map((s) => (s as CommandStep).lang)).toEqual([...langs, 'console']);
    expect((rb.steps[4] as CommandStep).script).toBe('kubectl get pods \\\n    -n kube-system\necho done');
  });

  it('reads check blocks (and the health alias) with defaults from the guide', () => {
    const rb = parseRunbook(
      md`
## Health

Both routes must answer.

\`\`\`check
- http: http://localhost:8092/healthz
  name: gateway
- http: http://localhost:8092/api/tech/health
  expect: [200, 3xx, 401-403]
  contains: ok
  timeout: 2s
  retries: 3
  backoff: 500ms
\`\`\`

\`\`\`health {name=db}
tcp: localhost:5432
\`\`\`

\`\`\`check
run: systemctl is-active nginx
\`\`\`
`,
      'h.md',
    );
    expect(rb.diagnostics).toEqual([]);
    const [a, b, c] = rb.steps as CheckStep[];
    expect(a?.checks[0]).toMatchObject({ kind: 'http', name: 'gateway', attempts: 5, backoffMs: 2000, timeoutMs: 5000, expect: [{ min: 200, max: 299 }], position: { line: 6, column: 3 } });
    expect(a?.checks[1]).toMatchObject({ expect: [{ min: 200, max: 200 }, { min: 300, max: 399 }, { min: 401, max: 403 }], contains: 'ok', timeoutMs: 2000, attempts: 3, backoffMs: 500 });
    expect(b).toMatchObject({ kind: 'check', id: 'db', checks: [{ kind: 'tcp', target: 'localhost:5432' }] });
    expect(c?.checks[0]).toMatchObject({ kind: 'run', target: 'systemctl is-active nginx' });
  });

  it('uses fence retries/backoff/timeout as defaults for the checks in the block', () => {
    const rb = parseRunbook('```check {retries=2 backoff=1s timeout=3s}\nhttp: http://a/\n```\n', 'c.md');
    expect((rb.steps[0] as CheckStep).checks[0]).toMatchObject({ attempts: 2, backoffMs: 1000, timeoutMs: 3000 });
  });

  it('makes GFM task items manual steps, keeping nesting and done state', () => {
    const rb = parseRunbook(
      md`
## Pre-deploy

- [ ] Announce in #deploys
  - [x] Ticket approved
  - [ ] Window confirmed
- [X] Backups verified
- plain item, not a step
`,
      'c.md',
    );
    const steps = rb.steps as ManualStep[];
    expect(steps.map((s) => [s.text, s.done, s.depth, s.parent])).toEqual([
      ['Announce in #deploys', false, 0, undefined],
      ['Ticket approved', true, 1, steps[0]?.id],
      ['Window confirmed', false, 1, steps[0]?.id],
      ['Backups verified', true, 0, undefined],
    ]);
    expect(steps[1]?.position).toEqual({ line: 4, column: 3 });
  });
  it('reads the same steps, at the same lines, whatever the line endings (LF, CRLF, old-Mac CR)', () => {
    const lf = '# T\n\nIntro.\n\n```bash {name=a timeout=5s}\necho hi\n```\n\n```check\nhttp: http://localhost:1/h\n```\n\n- [ ] look at it\n';
    const shape = (text: string) =>
      parseRunbook(text, 'eol.md').steps.map((s) => [s.kind, s.position.line, s.position.column, s.kind === 'command' ? s.script : '']);
    const expected = shape(lf);
    expect(expected.map(([kind]) => kind)).toEqual(['command', 'check', 'manual']);
    expect(shape(lf.replace(/\n/g, '\r\n'))).toEqual(expected);
    expect(shape(lf.replace(/\n/g, '\r'))).toEqual(expected);
  });
});

describe('fence attributes', () => {
  const attrsOf = (info: string) => {
    const rb = parseRunbook(`Do it.\n\n\`\`\`bash ${info}\ntrue\n\`\`\`\n`, 'a.md');
    return { step: rb.steps[0] as CommandStep, diagnostics: rb.diagnostics };
  };

  it('reads the key=value form', () => {
    const { step, diagnostics } = attrsOf('{name=pull timeout=2m cwd=/srv user=ubuntu retries=3 backoff=500ms recover=recovery.md#git optional confirm=false interactive=true isolated rollback}');
    expect(diagnostics).toEqual([]);
    expect(step.id).toBe('pull');
    expect(step.attrs).toEqual({
      name: 'pull', timeoutMs: 120_000, cwd: '/srv', user: 'ubuntu', retries: 3, backoffMs: 500,
      recover: { raw: 'recovery.md#git', file: 'recovery.md', anchor: 'git', position: { line: 3, column: 76 } },
      optional: true, confirm: false, interactive: true, isolated: true, rollback: true,
    });
  });

  it('reads the JSON form', () => {
    const { step, diagnostics } = attrsOf('{"name":"pull","timeout":"90s","optional":true,"retries":2}');
    expect(diagnostics).toEqual([]);
    expect(step.attrs).toMatchObject({ name: 'pull', timeoutMs: 90_000, optional: true, retries: 2 });
  });

  it('accepts quoted values and bare seconds', () => {
    const { step } = attrsOf('{name="restart" cwd="/opt/my app" timeout=30}');
    expect(step.attrs).toMatchObject({ name: 'restart', cwd: '/opt/my app', timeoutMs: 30_000 });
  });

  it('points each attribute error at the attribute', () => {
    const { diagnostics } = attrsOf('{name=x colour=red timeout=soon}');
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([
      ['unknown-attribute', 3, 17],
      ['bad-duration', 3, 28],
    ]);
  });
});

describe('structure', () => {
  it('gives sections GitHub anchors, parents and positions', () => {
    const rb = parseRunbook('# Ops Guide\n\n## 1. Pull & chmod\n\n### Health\n\n## Health\n', 'g.md');
    expect(rb.sections.map((s) => [s.anchor, s.depth, s.parent, s.position.line])).toEqual([
      ['ops-guide', 1, undefined, 1],
      ['1-pull--chmod', 2, 'ops-guide', 3],
      ['health', 3, '1-pull--chmod', 5],
      ['health-1', 2, 'ops-guide', 7],
    ]);
  });

  it('collects links and .md code spans as cross-references on section and step', () => {
    const rb = parseRunbook(
      md`
## Restart

If it fails see [recovery](recovery.md#restart-failed) or \`RUNBOOK.md\`; docs at [site](https://example.com/x.md).

\`\`\`bash
systemctl restart app
\`\`\`

See [below](#notes) and [ref][r].

[r]: ./OPS.md
`,
      'd.md',
    );
    const step = rb.steps[0]!;
    expect(step.crossRefs.map((r) => [r.target.file, r.target.anchor, r.via])).toEqual([
      ['recovery.md', 'restart-failed', 'link'],
      ['RUNBOOK.md', undefined, 'code'],
    ]);
    expect(rb.sections[0]?.crossRefs.map((r) => r.target.raw)).toEqual(['recovery.md#restart-failed', 'RUNBOOK.md', '#notes', './OPS.md']);
    expect(rb.crossRefs[0]?.target.position).toEqual({ line: 3, column: 17 });
  });

  it('resolves a reference link against a definition inside a list or quote, first definition winning', () => {
    const rb = parseRunbook(
      md`
## Restart

See [the guide][ops] and [checks][chk].

- [ops]: ./OPS.md
- [ops]: ./LATER.md

> [chk]: CHECKLISTS.md#pre-deploy
`,
      'd.md',
    );
    expect(rb.sections[0]?.crossRefs.map((r) => r.target.raw)).toEqual(['./OPS.md', 'CHECKLISTS.md#pre-deploy']);
  });

  it('reads front matter', () => {
    const rb = parseRunbook(
      md`
---
title: Redeploy
description: The canonical redeploy
user: ubuntu
cwd: ~/omneuro
env: {NODE_ENV: production, PORT: 8092}
vars:
  RELEASE: {prompt: Release tag, default: main}
  API_TOKEN: {prompt: Token, secret: true}
  NOTE: Free text
recovery: recovery.md
before: checklists.md#pre-deploy
after: [checklists.md#post-deploy]
rollback: false
---
# Ignored title
`,
      'r.md',
    );
    expect(rb.diagnostics).toEqual([]);
    expect(rb.title).toBe('Redeploy');
    expect(rb.description).toBe('The canonical redeploy');
    const fm = rb.frontMatter;
    expect(fm).toMatchObject({ user: 'ubuntu', cwd: '~/omneuro', env: { NODE_ENV: 'production', PORT: '8092' }, rollback: false });
    expect(fm.vars.map((v) => [v.name, v.prompt, v.default, v.secret])).toEqual([
      ['RELEASE', 'Release tag', 'main', false],
      ['API_TOKEN', 'Token', undefined, true],
      ['NOTE', 'Free text', undefined, false],
    ]);
    expect(fm.recovery?.file).toBe('recovery.md');
    expect(fm.before.map((t) => [t.file, t.anchor])).toEqual([['checklists.md', 'pre-deploy']]);
    expect(fm.after.map((t) => t.raw)).toEqual(['checklists.md#post-deploy']);
  });

  it('treats vars with secret-looking names as secret, and only those', () => {
    const rb = parseRunbook('---\nvars:\n  DB_PASS: Password\n  GITHUB_AUTH: {prompt: Auth}\n  REGION: Region\n  API_KEY: {prompt: Key, secret: false}\n  AUTHOR: Author\n  MONKEY: {prompt: Monkey}\n  SSH_AUTH_SOCK: Socket\n---\n', 'v.md');
    expect(rb.frontMatter.vars.map((v) => [v.name, v.secret])).toEqual([['DB_PASS', true], ['GITHUB_AUTH', true], ['REGION', false], ['API_KEY', true], ['AUTHOR', false], ['MONKEY', false], ['SSH_AUTH_SOCK', false]]);
  });

  it('decides secret names by the documented rule: long words anywhere, short words as whole parts, not a socket', () => {
    for (const name of SECRET_NAMES) expect([name, looksSecretName(name)]).toEqual([name, true]);
    for (const name of NOT_SECRET_NAMES) expect([name, looksSecretName(name)]).toEqual([name, false]);
  });

  it('reads a section recover directive from an HTML comment', () => {
    const rb = parseRunbook('## Restart\n\n<!-- stepgate: recover=recovery.md#port-in-use -->\n', 'x.md');
    expect(rb.sections[0]?.recover).toMatchObject({ file: 'recovery.md', anchor: 'port-in-use', position: { line: 3, column: 1 } });
  });
});

describe('bad input becomes diagnostics', () => {
  const codes = (text: string) => parseRunbook(text, 'bad.md').diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column}`);

  it('reports bad YAML in a check with the line inside the block', () => {
    expect(codes('Check.\n\n```check\nhttp: [unclosed\n```\n')).toEqual(['error bad-yaml 4:16']);
  });
  it('reports a check with no target, an unknown field, a bad expect and a bad timeout', () => {
    expect(codes('```check\nname: x\n```\n')).toEqual(['error check-no-target 2:1']);
    expect(codes('```check\nhttp: http://a/\nmethod: POST\n```\n')).toEqual(['error unknown-attribute 3:1']);
    expect(codes('```check\nhttp: http://a/\nexpect: 2xy\n```\n')).toEqual(['error bad-expect 3:1']);
    expect(codes('```check\nhttp: http://a/\ntimeout: -1s\n```\n')).toEqual(['error bad-duration 3:1']);
    expect(codes('```check\ntcp: nohost\n```\n')).toEqual(['error bad-check 2:1']);
  });
  it('reports duplicate step names', () => {
    expect(codes('```bash {name=a}\ntrue\n```\n\n```sh {name=a}\ntrue\n```\n')).toEqual(['error duplicate-step-name 5:8']);
  });
  it('reports an unclosed fence instead of running the rest of the file', () => {
    const rb = parseRunbook('# T\n\n```bash\necho hi\n\n## Later\n', 'u.md');
    expect(rb.diagnostics.map((d) => [d.code, d.line])).toEqual([['unclosed-fence', 3]]);
    expect(rb.steps).toEqual([]);
  });
  it('reports bad front matter YAML and wrong types', () => {
    expect(codes('---\ntitle: [x\n---\n# A\n')).toEqual(['error bad-yaml 2:10']);
    expect(codes('---\nvars: 3\nbefore: 4\nlevel: 2\n---\n')).toEqual([
      'error bad-front-matter 2:1',
      'error bad-front-matter 3:1',
      'warning unknown-attribute 4:1',
    ]);
  });
  it("positions each var and env entry, and what is wrong with one, at the entry's own line", () => {
    const rb = parseRunbook('---\ntitle: T\nvars:\n  RELEASE: Release\n  PORT: { prompt: Port, colour: red }\n  1BAD: x\nenv:\n  MODE: prod\n  2BAD: y\n  NESTED: { a: 1 }\n---\n', 'p.md');
    expect(rb.frontMatter.vars.map((v) => [v.name, v.position])).toEqual([['RELEASE', { line: 4, column: 3 }], ['PORT', { line: 5, column: 3 }]]);
    expect(rb.frontMatter.envPositions).toEqual({ MODE: { line: 8, column: 3 } });
    expect(rb.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`)).toEqual([
      '5:25 vars: PORT: unknown field "colour" (known: prompt, default, secret, pattern, hint)',
      '6:3 vars: "1BAD" is not a valid variable name',
      '9:3 env: "2BAD" is not a valid variable name',
      '10:3 env: NESTED: want a plain value',
    ]);
  });
  it("reads a var's pattern, and refuses one that is no regular expression or that its default does not match", () => {
    const rb = parseRunbook(
      "---\nvars:\n  PORT: { prompt: Port, default: '8080', pattern: '[0-9]+' }\n  TAG: { pattern: 'v(' }\n  MODE: { default: fast, pattern: 'slow|safe' }\n  PIN: { default: '1234', pattern: '[0-9]{6}', secret: true }\n---\n# T\n",
      'p.md',
    );
    expect(rb.frontMatter.vars.map((v) => [v.name, v.pattern])).toEqual([['PORT', '[0-9]+'], ['TAG', undefined], ['MODE', 'slow|safe'], ['PIN', '[0-9]{6}']]);
    const said = rb.diagnostics.map((d) => `${d.severity} ${d.line}:${d.column} ${d.message}`);
    expect(said[0]).toMatch(/^error 4:3 vars: TAG: pattern: .*: want a regular expression the whole value must match, such as '\[0-9\]\+'$/);
    // The whole default must match (the pattern is anchored at both ends), and a secret's is not repeated.
    expect(said.slice(1)).toEqual(['error 5:3 vars: MODE: the default "fast" does not match the pattern slow|safe', 'error 6:3 vars: PIN: the default does not match the pattern [0-9]{6}']);
  });
  it("says a var's hint instead of its pattern when a value is refused, and warns about a hint with no pattern to explain", () => {
    const pattern = '(102[4-9]|10[3-9][0-9]|1[1-9][0-9]{2}|[2-9][0-9]{3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])';
    const rb = parseRunbook(`---\nvars:\n  PORT: { pattern: '${pattern}', hint: ' a port from 1024 to 65535 ' }\n  NAME: { hint: letters }\n  TAG: { pattern: 'v[0-9]+', hint: 3 }\n---\n# T\n`, 'h.md');
    const [port, name, tag] = rb.frontMatter.vars;
    expect(port?.hint).toBe('a port from 1024 to 65535');
    expect(name?.hint).toBeUndefined();
    expect(tag?.hint).toBeUndefined();
    expect(rb.diagnostics.map((d) => `${d.severity} ${d.line} ${d.message}`)).toEqual([
      'warning 4 vars: NAME: hint: is said when the pattern refuses a value, and NAME has no pattern: add one, or drop the hint',
      "error 5 vars: TAG: hint: want the words for what the pattern takes, such as 'a port from 1024 to 65535'",
    ]);
    expect(varValueProblem({ ...(port as NonNullable<typeof port>) }, '99999')).toBe('PORT: "99999" is refused: want a port from 1024 to 65535');
    expect(varValueProblem({ ...(port as NonNullable<typeof port>), secret: true }, '99999')).toBe('PORT: the value given is refused: want a port from 1024 to 65535');
    expect(varValueProblem({ ...(port as NonNullable<typeof port>) }, '18080')).toBeUndefined();
  });
  it('refuses a pattern that repeats a group made of repeats (exponential time on a near match), not one whose repetitions have a fixed part', () => {
    const patterns = (p: string): string[] => parseRunbook(`---\nvars:\n  HOST: { pattern: '${p}' }\n---\n# T\n`, 'p.md').diagnostics.map((d) => d.message);
    expect(patterns('([a-z0-9]+-?)+')).toEqual([
      "vars: HOST: pattern: ([a-z0-9]+-?)+ repeats a group made of repeats, which can take minutes on a value that almost matches (the session would hang at its prompt): give each repetition a part that must appear, as ([a-z0-9]+-)*[a-z0-9]+ does: want a regular expression the whole value must match, such as '[0-9]+'",
    ]);
    for (const bad of ['(a+)+', '(?:a*)*', '(a+|b)+', 'x(y(a+)+)', '(a{2,})*']) expect(patterns(bad), bad).toHaveLength(1);
    for (const fine of ['([a-z0-9]+-)*[a-z0-9]+', 'v[0-9]+(\\.[0-9]+)*', '(ab)+', '(a{2,3})*', '\\(a+\\)+', '[(]a+[)]+']) expect(patterns(fine), fine).toEqual([]);
  });
  it('gives up testing a value against a pattern after a while, refusing it, instead of hanging (overlapping alternatives lint cannot tell)', () => {
    const slow = '([a-z]|[a-z0-9])+';
    const value = `${'a'.repeat(34)}!`;
    expect(varValueProblem({ name: 'HOST', pattern: slow, secret: false }, value)).toBe(`HOST: its pattern ${slow} took more than ${PATTERN_MS} ms to test "${value}", which is refused: the runbook's pattern needs simplifying`);
    expect(varValueProblem({ name: 'HOST', pattern: slow, secret: false }, 'db-1')).toBe(`HOST: "db-1" does not match its pattern ${slow}`);
    expect(varValueProblem({ name: 'HOST', pattern: slow, secret: false }, 'db1')).toBeUndefined();
    const rb = parseRunbook(`---\nvars:\n  HOST: { default: '${value}', pattern: '${slow}' }\n---\n# T\n`, 'p.md');
    expect(rb.diagnostics.map((d) => d.message)).toEqual([`vars: HOST: the default "${value}" took more than ${PATTERN_MS} ms to test against the pattern ${slow}`]);
  });
  it('stops on a front-matter key that is a near miss of a known one, warns on others', () => {
    expect(parseRunbook('---\nbefor: a.md\nrecovry: b.md\nUser: x\nweight: 20\ntags: [a]\n---\n', 'f.md').diagnostics.map((d) => `${d.severity} ${d.line} ${d.message}`)).toEqual([
      'error 2 front matter key "befor" is not known: did you mean "before"?',
      'error 3 front matter key "recovry" is not known: did you mean "recovery"?',
      'error 4 front matter key "User" is not known: did you mean "user"?',
      'warning 5 front matter key "weight" is not used by stepgate (known: title, description, user, cwd, env, vars, recovery, before, after, rollback, lock)',
      'warning 6 front matter key "tags" is not used by stepgate (known: title, description, user, cwd, env, vars, recovery, before, after, rollback, lock)',
    ]);
  });

  it('warns about attributes on a fence that never runs', () => {
    expect(codes('```yaml {name=x}\na: 1\n```\n')).toEqual(['warning unknown-language 1:1']);
  });
  it('handles binary, empty and huge input without throwing', () => {
    expect(codes('abc\u0000def')).toEqual(['error binary-file 1:1']);
    expect(codes('')).toEqual(['warning empty-file 1:1']);
    expect(codes('x'.repeat(5 * 1024 * 1024))).toEqual(['error file-too-large 1:1']);
  });
});

describe('a runbook saved with Windows line endings', () => {
  const lf = `---
title: CRLF
vars:
  PORT: {default: "8080"}
---
# Deploy

Restart it.

\`\`\`bash {name=restart}
touch file
systemctl restart app
\`\`\`

\`\`\`check {name=up}
- http: http://127.0.0.1:\${PORT}/healthz
  contains: ok
\`\`\`
`;

  it('runs its commands without the CRs (bash would run `touch file\\r`) and reads checks and lines as the LF file', () => {
    for (const ending of ['\r\n']) {
      const crlf = parseRunbook(lf.replace(/\n/g, ending), '/rb/crlf.md');
      const plain = parseRunbook(lf, '/rb/crlf.md');
      expect(crlf.diagnostics).toEqual(plain.diagnostics);
      const step = crlf.steps[0] as CommandStep;
      expect(step.script).toBe('touch file\nsystemctl restart app');
      expect(step.script).not.toContain('\r');
      expect(crlf.steps.map((s) => s.position)).toEqual(plain.steps.map((s) => s.position));
      expect((crlf.steps[1] as CheckStep).checks).toEqual((plain.steps[1] as CheckStep).checks);
      expect(crlf.title).toBe('CRLF');
    }
  });
});

describe('a health check fenced as YAML', () => {
  it('is warned about (it gates nothing), while YAML that is no check is shown without a word', () => {
    const rb = parseRunbook(
      md`
# Deploy

The service must answer.

\`\`\`yaml
- tcp: localhost:5432
  timeout: 2s
\`\`\`

\`\`\`
http: http://127.0.0.1:8080/healthz
\`\`\`

The compose file, for reference.

\`\`\`yaml
services:
  web:
    image: app:1.2
jobs:
  test:
    steps:
      - run: npm test
\`\`\`
`,
      '/rb/yaml-check.md',
    );
    expect(rb.steps).toEqual([]);
    expect(rb.diagnostics.map((d) => [d.line, d.severity, d.code, d.message])).toEqual([
      [5, 'warning', 'unknown-language', 'this "yaml" block reads like a health check (http:, tcp: or run:) but is only shown, never run: fence it as ```check to gate the run on it'],
      [10, 'warning', 'unknown-language', 'this fence without a language reads like a health check (http:, tcp: or run:) but is only shown, never run: fence it as ```check to gate the run on it'],
    ]);
  });
});
