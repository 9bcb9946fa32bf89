import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { editDistance, nearMiss } from '../../src/runbooks/near-miss.js';

const found = (text: string): string[] => parseRunbook(text, 'r.md').diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}:${d.column} ${d.message}`);

describe('nearMiss', () => {
  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('chekc', 'check')).toBe(1);
    expect(editDistance('timeuot', 'timeout')).toBe(1);
    expect(editDistance('bash', 'bash')).toBe(0);
    expect(editDistance('', 'abc')).toBe(3);
  });
  it('allows one edit from a short word, two from a longer one, and none for a known word', () => {
    expect(nearMiss('chek', ['bash', 'check'])).toBe('check');
    expect(nearMiss('chk', ['check'])).toBeUndefined();
    expect(nearMiss('helth', ['health'])).toBe('health');
    expect(nearMiss('hlth', ['health'])).toBe('health');
    expect(nearMiss('check', ['check'])).toBeUndefined();
    expect(nearMiss('Timeout', ['timeout'])).toBe('timeout');
    expect(nearMiss('weight', ['title', 'user', 'cwd'])).toBeUndefined();
  });
});

describe('lint: did you mean', () => {
  it('names the attribute a typo was meant to be, and lists the known ones otherwise', () => {
    expect(found('Do.\n\n```bash {name=a timeuot=30s confrim colour=red}\ntrue\n```\n')).toEqual([
      'error unknown-attribute 3:17 unknown attribute "timeuot": did you mean "timeout"?',
      'error unknown-attribute 3:29 unknown attribute "confrim": did you mean "confirm"?',
      'error unknown-attribute 3:37 unknown attribute "colour" (known: name, timeout, cwd, user, retries, backoff, recover, capture, confirm, interactive, optional, isolated, rollback)',
    ]);
  });
  it('names the check field a typo was meant to be', () => {
    expect(found('Gate.\n\n```check\nhttp: http://a/healthz\nexpcet: 200\nmethod: GET\n```\n')).toEqual([
      'error unknown-attribute 5:1 unknown check field "expcet": did you mean "expect"?',
      'error unknown-attribute 6:1 unknown check field "method" (known: http, tcp, run, expect, contains, timeout, retries, backoff, name, follow)',
    ]);
  });
  it('stops on a fence language one typo from a runnable one: the gate or step would only be shown', () => {
    const rb = parseRunbook('Gate.\n\n```chek\nhttp: http://a/healthz\n```\n\nStep.\n\n```bsh {name=x}\n./deploy.sh\n```\n\n```helth\ntcp: a:1\n```\n', 'r.md');
    expect(rb.steps).toEqual([]);
    expect(rb.diagnostics.map((d) => `${d.severity} ${d.code} ${d.line} ${d.message}`)).toEqual([
      'error unknown-language 3 a "chek" block is shown, never run: did you mean "check"?',
      'error unknown-language 9 a "bsh" block is shown, never run: did you mean "bash"?',
      'error unknown-language 13 a "helth" block is shown, never run: did you mean "health"?',
    ]);
  });
  it('leaves real languages close to a runnable one alone', () => {
    for (const lang of ['ash', 'csh', 'ksh', 'dash', 'ssh', 'fish', 'js', 'ts', 'json', 'yaml', 'text', 'diff', 'ini', 'sql']) {
      expect(found(`Shown.\n\n\`\`\`${lang}\nx\n\`\`\`\n`), lang).toEqual([]);
    }
  });
});

describe('lint: values that read wrong', () => {
  it('says a run: that YAML reads as a boolean needs quotes', () => {
    expect(found('Gate.\n\n```check\nrun: true\n```\n')).toEqual(['error check-no-target 4:1 run: true is a YAML boolean, not a command: quote it (run: "true")']);
    expect(found('Gate.\n\n```check\nrun: "true"\n```\n')).toEqual([]);
  });
  it('says a zero timeout is too short rather than not a duration', () => {
    expect(found('Do.\n\n```bash {timeout=0}\ntrue\n```\n')).toEqual(['error bad-duration 3:10 timeout=0: a timeout must be longer than 0 (leave timeout= out for none)']);
    expect(found('Gate.\n\n```check\nrun: "true"\ntimeout: 0\n```\n')).toEqual(["error bad-duration 5:1 timeout: 0: a check's timeout must be longer than 0"]);
    expect(found('Do.\n\n```bash {timeout=soon}\ntrue\n```\n')).toEqual(['error bad-duration 3:10 timeout=soon is not a duration (use 500ms, 2s, 3m, 1h or seconds)']);
  });
});

describe('lint: YAML slips', () => {
  it('reports one error per line of a check body, not the cascade after it', () => {
    const errors = found('Gate.\n\n```check\nhttp: http://localhost/healthz\n  expect: 200\n - tcp: x\n```\n');
    expect(errors.length).toBeGreaterThan(0);
    const lines = errors.map((e) => e.split(' ')[2]?.split(':')[0]);
    expect(new Set(lines).size).toBe(lines.length);
    for (const e of errors) expect(e).toMatch(/^error bad-yaml \d+:\d+ check block: /);
  });
});
