/**
 * Slips a newcomer's trial made in a first runbook, and what lint says about each: the fix, at
 * the place to make it, once (not the YAML parser's token names and their cascade).
 */
import { describe, expect, it } from 'vitest';
import { lintRunbook, parseDuration } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';

const said = (text: string): string[] => parseRunbook(text, 'r.md').diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column} ${d.message}`);
const linted = (text: string): string[] => {
  const rb = parseRunbook(text, 'r.md');
  return lintRunbook(rb, { load: () => undefined, env: {} }).map((d) => `${d.severity} ${d.code} ${d.line}:${d.column} ${d.message}`);
};
const check = (body: string): string => `Gate.\n\n\`\`\`check\n${body}\n\`\`\`\n`;

describe('a check value YAML cannot read as written', () => {
  it('says to quote a run: or contains: holding ": ", naming the field, at its value', () => {
    expect(said(check('run: curl -fsS -H "Authorization: Bearer $T" http://x'))).toEqual([
      `error bad-yaml 4:6 check block: run: the value holds ": ", which YAML reads as a nested key: quote the whole value, as in run: 'curl -fsS -H "Authorization: Bearer $T" http://x'`,
    ]);
    expect(said(check('- http: http://x/healthz\n  contains: status: ok\n- run: "true"'))).toEqual([
      `error bad-yaml 5:13 check block: contains: the value holds ": ", which YAML reads as a nested key: quote the whole value, as in contains: 'status: ok'`,
    ]);
  });
  it("says how to write a ' inside the quotes, and shortens a long value", () => {
    const [one] = said(check(`run: echo 'a: b' | grep -q "b: c" /var/log/some/rather/long/path/to/a/file.log`));
    expect(one).toMatch(/^error bad-yaml 4:6 check block: run: the value holds ": ", which YAML reads as a nested key: quote the whole value, as in run: '\.\.\.' \(a ' inside single quotes is written ''\)$/);
  });
  it('says to quote a value whose opening quote closes before its end', () => {
    expect(said(check('run: "systemctl is-active" nginx: x'))[0]).toBe(
      `error bad-yaml 4:6 check block: run: the value starts with a quote that closes before the value ends: quote the whole value, as in run: '"systemctl is-active" nginx: x'`,
    );
  });
});

describe('a check value cut short by a YAML comment', () => {
  it('warns when " #" ends a run: inside shell quotes, or a contains:/name: at a word', () => {
    expect(said(check('- run: grep -q " #include" /etc/x\n- http: http://x/\n  contains: Build #42\n  name: db #1'))).toEqual([
      `warning bad-check 4:18 run: YAML takes " #" for the start of a comment, so the command stops there, inside quotes: if the rest of the line belongs to it, quote the whole value, as in run: 'grep -q " #include" /etc/x' (a comment goes on a line of its own)`,
      `warning bad-check 6:19 contains: YAML takes " #" for the start of a comment, so the check looks for "Build" only: if the rest of the line belongs to it, quote the whole value, as in contains: 'Build #42' (a comment goes on a line of its own)`,
      `warning bad-check 7:12 name: YAML takes " #" for the start of a comment, so the check is named "db" only: if the rest of the line belongs to it, quote the whole value, as in name: 'db #1' (a comment goes on a line of its own)`,
    ]);
  });
  it('leaves a comment that reads as one alone: the shell would drop it too, or it has a space after #', () => {
    expect(said(check('- run: systemctl is-active nginx  # must be up\n- http: http://x/\n  contains: ok # the body says ok\n  name: web # the tier\n- run: "grep -q \' #x\' f" # quoted'))).toEqual([]);
  });
});

describe('a front matter value cut short by a YAML comment', () => {
  const runbook = (front: string): string => `---\n${front}\n---\n# T\n\nSay which.\n\n\`\`\`bash {name=a}\necho "$TICKET $PORT"\n\`\`\`\n`;
  it('warns at the # of a value, a var field and an env value when a word follows # at once, naming the keys and the quoted value', () => {
    expect(linted(runbook('title: Deploy #2 of the week\nenv:\n  PORT: 8092 #http\nvars:\n  TICKET:\n    prompt: Ticket #1 of the day\n    default: CHG-1 #usual\n  ZONE: Zone #eu'))).toEqual([
      `warning bad-front-matter 2:15 title: YAML takes " #" for the start of a comment, so the value is "Deploy" only: if the rest of the line belongs to it, quote the whole value, as in title: 'Deploy #2 of the week' (a comment goes on a line of its own)`,
      `warning bad-front-matter 4:14 env: PORT: YAML takes " #" for the start of a comment, so the value is "8092" only: if the rest of the line belongs to it, quote the whole value, as in PORT: '8092 #http' (a comment goes on a line of its own)`,
      `warning bad-front-matter 7:20 vars: TICKET: prompt: YAML takes " #" for the start of a comment, so the value is "Ticket" only: if the rest of the line belongs to it, quote the whole value, as in prompt: 'Ticket #1 of the day' (a comment goes on a line of its own)`,
      `warning bad-front-matter 8:20 vars: TICKET: default: YAML takes " #" for the start of a comment, so the value is "CHG-1" only: if the rest of the line belongs to it, quote the whole value, as in default: 'CHG-1 #usual' (a comment goes on a line of its own)`,
      `warning bad-front-matter 9:14 vars: ZONE: YAML takes " #" for the start of a comment, so the value is "Zone" only: if the rest of the line belongs to it, quote the whole value, as in ZONE: 'Zone #eu' (a comment goes on a line of its own)`,
    ]);
  });
  // A review: `recovery: #roll-back` (how a same-file target is written) read as no recovery at all.
  it('warns when the whole value is taken for a comment: a same-file recovery target, a colour, a check looking for #42', () => {
    const front = linted(runbook('title: T\nrecovery: #roll-back\nenv:\n  COLOR: #fff'));
    expect(front).toContain(`warning bad-front-matter 3:11 recovery: YAML takes " #" for the start of a comment, so the value is empty: if the rest of the line belongs to it, quote the whole value, as in recovery: '#roll-back' (a comment goes on a line of its own)`);
    expect(front).toContain(`warning bad-front-matter 5:10 env: COLOR: YAML takes " #" for the start of a comment, so the value is empty: if the rest of the line belongs to it, quote the whole value, as in COLOR: '#fff' (a comment goes on a line of its own)`);
    expect(said(check('- run: echo build 42\n  contains: #42'))).toEqual([
      `warning bad-check 5:13 contains: YAML takes " #" for the start of a comment, so the check's contains is empty: if the rest of the line belongs to it, quote the whole value, as in contains: '#42' (a comment goes on a line of its own)`,
    ]);
    // A comment in place of a value, with a space after #, is one.
    expect(linted(runbook('title: T\nuser: # set per host')).filter((d) => d.includes('YAML takes'))).toEqual([]);
  });

  it('leaves a comment with a space after #, a quoted value, and the keys of other tools alone', () => {
    expect(linted(runbook("title: Deploy # the weekly one\nuser: ubuntu  # the service user\nvars:\n  TICKET: {prompt: 'Ticket #1 of the day'}\n  PORT:\n    prompt: \"Port #1\" # quoted\ntags: ops #team"))).toEqual([
      'warning unknown-attribute 8:1 front matter key "tags" is not used by stepgate (known: title, description, user, cwd, env, vars, recovery, before, after, rollback, lock)',
    ]);
  });
});

describe('a tab in the indentation', () => {
  it('is one error at the tab in a list of checks, not the parser\'s cascade', () => {
    expect(said(check('- http: http://x/healthz\n\ttimeout: 3s\n- run: "true"\n  retries: 2'))).toEqual([
      'error bad-yaml 5:1 check block: a tab indents this line, and YAML allows only spaces as indentation: replace the tab with spaces',
    ]);
  });
  it('keeps an error on a line before the tab, and says the same in a single check and in front matter', () => {
    expect(said(check('- run: a: b\n- http: http://x/\n  \ttimeout: 3s\n- run: "true"')).map((d) => d.split(' ').slice(0, 3).join(' '))).toEqual([
      'error bad-yaml 4:8',
      'error bad-yaml 6:3',
    ]);
    expect(said(check('http: http://x\n\ttimeout: 3s'))).toEqual([
      'error bad-yaml 5:1 check block: a tab indents this line, and YAML allows only spaces as indentation: replace the tab with spaces',
    ]);
  });
  it('in front matter is one error, and no unknown-variable warnings for the vars it could not read', () => {
    const text = '---\ntitle: x\nvars:\n  PORT: {prompt: p}\n\tHOST: {prompt: h}\n  NAME: x\n  ZONE: y\n---\n# T\n\nGate.\n\n```check\nhttp: http://${HOST}:${PORT}/${NAME}\n```\n';
    expect(linted(text)).toEqual([
      'error bad-yaml 5:1 front matter: a tab indents this line, and YAML allows only spaces as indentation: replace the tab with spaces',
    ]);
    // The warning stays for a front matter that was read.
    expect(linted(text.replace('\tHOST', '  HOST').replace('${NAME}', '${MISSING}')).map((d) => d.split(' ').slice(0, 2).join(' '))).toEqual(['warning unknown-variable']);
  });
});

describe('durations', () => {
  it('says a duration has no space, for timeout=30 s, rather than "unknown attribute s"', () => {
    expect(said('Do.\n\n```bash {timeout=30 s name=x}\ntrue\n```\n')).toEqual(['error bad-duration 3:10 timeout=30 s: a duration has no space: write timeout=30s']);
    expect(said('Do.\n\n```bash {backoff=2 seconds}\ntrue\n```\n')[0]).toBe('error bad-duration 3:10 backoff=2 seconds: a duration is a number then ms, s, m or h, with no space: write backoff=2s');
  });
  it('takes a duration spelt one way wherever it is written: a space or a word is refused quoted and in a check too', () => {
    expect(said('Do.\n\n```bash {timeout="30 s"}\ntrue\n```\n')).toEqual(['error bad-duration 3:10 timeout=30 s: a duration has no space: write timeout=30s']);
    expect(said('Do.\n\n```bash {"timeout": "30 s"}\ntrue\n```\n')).toEqual(['error bad-duration 3:10 timeout=30 s: a duration has no space: write timeout=30s']);
    expect(said(check('run: "true"\ntimeout: 3 s'))).toEqual(['error bad-duration 5:1 timeout: 3 s: a duration has no space: write timeout: 3s']);
    expect(said(check('run: "true"\ntimeout: 3 seconds'))).toEqual(['error bad-duration 5:1 timeout: 3 seconds: a duration is a number then ms, s, m or h, with no space: write timeout: 3s']);
    expect(said(check('run: "true"\nbackoff: 2secs'))).toEqual(['error bad-duration 5:1 backoff: 2secs: a duration is a number then ms, s, m or h, with no space: write backoff: 2s']);
    expect(parseDuration('30 s')).toBeUndefined();
    expect(parseDuration(' 30s ')).toBe(30_000);
    expect(said('Do.\n\n```bash {timeout=30s}\ntrue\n```\n\nGate.\n\n```check\nrun: "true"\ntimeout: 1.5m\n```\n')).toEqual([]);
  });
  it('warns about a bare number of 1000 seconds or more, naming it in words and asking for a unit', () => {
    expect(said(check('run: "true"\ntimeout: 3000'))).toEqual([
      'warning bad-duration 5:1 timeout: 3000 is 50 minutes per attempt, as a bare number counts seconds: write timeout: 3000s if that is meant, 3s or 3000ms otherwise',
    ]);
    expect(said(check('run: "true"\nbackoff: "1450"'))).toEqual([
      'warning bad-duration 5:1 backoff: 1450 is 24 minutes 10 seconds, as a bare number counts seconds: write backoff: 1450s if that is meant, 1450ms otherwise',
    ]);
    expect(said('Do.\n\n```bash {timeout=3725}\ntrue\n```\n')).toEqual([
      'warning bad-duration 3:10 timeout=3725 is 1 hour 2 minutes 5 seconds, as a bare number counts seconds: write timeout=3725s if that is meant, timeout=3725ms otherwise',
    ]);
    // The bare number keeps its meaning.
    expect(parseRunbook(check('run: "true"\ntimeout: 3000'), 'r.md').steps[0]).toMatchObject({ checks: [{ timeoutMs: 3_000_000 }] });
    // A ten-minute step is as often meant as not (a review: 300 warned about ordinary timeouts).
    for (const ok of ['600', '999', '3000s', '3000ms', '50m']) expect(said(check(`run: "true"\ntimeout: ${ok}`)), ok).toEqual([]);
    expect(said('Do.\n\n```bash {timeout=600}\ntrue\n```\n')).toEqual([]);
  });
});

describe('a var field typo', () => {
  it("is said at the field's own line and column, with the field it was meant to be", () => {
    expect(said('---\nvars:\n  TOKEN:\n    prompt: t\n    secert: true\n  PORT: {defualt: 80, patern: "[0-9]+", colour: red}\n---\n# T\n')).toEqual([
      'error unknown-attribute 5:5 vars: TOKEN: unknown field "secert": did you mean "secret"?',
      'error unknown-attribute 6:10 vars: PORT: unknown field "defualt": did you mean "default"?',
      'error unknown-attribute 6:23 vars: PORT: unknown field "patern": did you mean "pattern"?',
      'error unknown-attribute 6:41 vars: PORT: unknown field "colour" (known: prompt, default, secret, pattern, hint)',
    ]);
  });
});
