/**
 * The forms of a secret that SecretSet hides, checked against what real programs print: bash's
 * `declare -p`, `set`, `printf %q` and `${X@Q}` in a UTF-8 and in the C locale, coreutils'
 * base64 (wrapped and not, the value with and without the newline echo adds), a Basic header,
 * and percent-encoding as Python and JavaScript write it.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REDACTED, SecretSet, StreamRedactor } from '../../src/session/redact.js';

const VALUES = [
  'tok-4f9a1c77-secret',
  `it's a "pass" $HOME \`x\` !&;<>|*?[]{}^,~#=\\ end`,
  'multi-line-one\nline-two-of-it\n\tthird line é',
  '-----BEGIN KEY-----\nMIIBOgIBAAJBAKj34GkxFhD90vcNLYLInFEX6Ppy1tPf9Cnzj4p4WGeKLs1Pt8Qu\nKUpRKfFLfRYC9AIKjbJTWit+CqvjWYzvQwECAwEAAQJAIJLixBy2qpFoS4DSmoEm\n-----END KEY-----',
  `esc\u001b[1m-bold-\u0007-bell`,
];

function bash(script: string, env: Record<string, string>): string {
  return execFileSync('bash', ['--norc', '--noprofile', '-c', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, encoding: 'utf8' });
}

function secretsOf(value: string): SecretSet {
  const set = new SecretSet();
  set.add(value);
  return set;
}

/** Nothing of the value is left: no line of it, and no 6-character piece of a line. */
function expectHidden(text: string, value: string): void {
  for (const line of value.split('\n').map((l) => l.trim()).filter((l) => l.length >= 4)) {
    for (let at = 0; at + 6 <= line.length; at += 3) expect(text, `${JSON.stringify(line.slice(at, at + 6))} of ${JSON.stringify(value)}`).not.toContain(line.slice(at, at + 6));
  }
}

describe('a secret as bash quotes it', () => {
  for (const locale of ['C.UTF-8', 'C']) {
    it(`declare -p, set, printf %q and \${X@Q} (LC_ALL=${locale}) print it redacted`, () => {
      for (const value of VALUES) {
        const out = bash(`export X; declare -p X; set | grep -a '^X='; printf '%q\\n' "$X"; echo "\${X@Q}"`, { X: value, LC_ALL: locale });
        const lines = secretsOf(value).redact(out).split('\n').filter(Boolean);
        expect(lines, JSON.stringify(out)).toEqual([expect.stringMatching(/^declare -x X=("?)\[REDACTED\]\1$/), expect.stringMatching(/^X='?\[REDACTED\]'?$/), REDACTED, expect.stringMatching(/^'?\[REDACTED\]'?$/)]);
      }
    });
  }

  it('hides a multi-line value whole and line by line, as a pty prints it (CR LF) and as written', () => {
    const value = VALUES[2] ?? '';
    const set = secretsOf(value);
    expect(set.redact(`raw: ${value.replace(/\n/g, '\r\n')}\r\n`)).toBe(`raw: ${REDACTED}\r\n`);
    expect(set.redact(`first: ${value.split('\n')[0]} | second: ${value.split('\n')[1]}`)).toBe(`first: ${REDACTED} | second: ${REDACTED}`);
    expect(set.redact(JSON.stringify({ value }))).toBe(`{"value":"${REDACTED}"}`);
  });
});

describe('a secret in a URL, as Node serialises it (a check target, a redirect, a host)', () => {
  // What a check's error, a refused redirect or a preflight finding quotes: url.href, url.hostname.
  const values = ['hunter2 @home', `it's "q" <a> {b} ^c \`d\` |e| [f] é~!*()`, 'Zq9SecretValue'];
  const placements: Array<[string, (v: string) => string]> = [
    ['path', (v) => new URL(`http://h:8080/a/${v}/b`).href],
    ['query', (v) => new URL(`http://h:8080/health?token=${v}&x=1`).href],
    ['fragment', (v) => new URL(`http://h:8080/#${v}`).href],
    ['user info', (v) => {
      const u = new URL('http://h/');
      u.username = v;
      u.password = v;
      return u.href;
    }],
    ['query, through searchParams', (v) => {
      const u = new URL('http://h/');
      u.searchParams.set('t', v);
      return u.href;
    }],
  ];
  for (const [where, place] of placements) {
    it(`in the ${where}`, () => {
      for (const value of values) {
        const href = place(value);
        expect(secretsOf(value).redact(href), href).toBe(place('PLACEHOLDER').replaceAll('PLACEHOLDER', REDACTED));
      }
    });
  }

  it('in a host name, which the URL parser writes in lower case', () => {
    const url = new URL('http://t-Zq9SecretValue.invalid:5432/');
    expect(url.hostname).toBe('t-zq9secretvalue.invalid');
    expect(secretsOf('Zq9SecretValue').redact(`the host ${url.hostname} does not resolve`)).toBe(`the host t-${REDACTED}.invalid does not resolve`);
  });
});

describe('a secret in its common accidental encodings', () => {
  it('base64 as coreutils writes it (wrapped at 76, with and without the newline echo adds), base64url', () => {
    for (const value of VALUES) {
      const set = secretsOf(value);
      const out = bash('printf %s "$X" | base64; echo "$X" | base64; printf %s "$X" | base64 -w0; echo; printf %s "$X" | basenc --base64url -w0; echo', { X: value });
      const redacted = set.redact(out);
      for (const line of redacted.split('\n').filter(Boolean)) expect(line, `${JSON.stringify(value)}: ${out}`).toMatch(/^(\[REDACTED\]|[A-Za-z0-9+/=_-]{0,3})*$/);
    }
  });

  it('a Basic header, whose base64 starts the password one or two bytes into a group of three', () => {
    const password = 'hunter2-sekret-pw';
    const set = secretsOf(password);
    for (const user of ['a', 'ab', 'abc', 'deploy']) {
      const header = `Authorization: Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
      const redacted = set.redact(header);
      expect(redacted).toContain(REDACTED);
      // What is left of the encoding around [REDACTED] is at most the two characters that mix in the user name, and padding.
      expect(redacted.replace(/^Authorization: Basic /, '').replace(REDACTED, '').replace(/=+$/, '').length).toBeLessThanOrEqual(Buffer.from(`${user}:`).toString('base64').length + 2);
    }
  });

  it('percent-encoded as JavaScript, Python (quote, quote_plus) and curl write it, in either case of hex', () => {
    const value = 'p@ss w/rd!(x)*&=é';
    const set = secretsOf(value);
    const py = execFileSync('python3', ['-c', 'import sys,urllib.parse as u;v=sys.argv[1];print(u.quote(v));print(u.quote(v,safe=""));print(u.quote_plus(v))', value], { encoding: 'utf8' });
    const forms = [encodeURIComponent(value), encodeURIComponent(value).toLowerCase(), ...py.split('\n').filter(Boolean)];
    for (const form of forms) expect(set.redact(`https://h/x?pw=${form}&n=1`), form).toBe(`https://h/x?pw=${REDACTED}&n=1`);
  });

  it('every form is caught however the output is cut into chunks', () => {
    const value = VALUES[3] ?? '';
    const set = secretsOf(value);
    const text = `a ${value.replace(/\n/g, '\r\n')} b ${Buffer.from(value).toString('base64')} c ${encodeURIComponent(value)} d`;
    for (let size = 1; size < 40; size += 3) {
      const stream = new StreamRedactor(set);
      let out = '';
      for (let at = 0; at < text.length; at += size) out += stream.push(text.slice(at, at + size));
      out += stream.flush();
      expectHidden(out, value);
      expect(out).toBe(`a ${REDACTED} b ${REDACTED} c ${REDACTED} d`);
    }
  });
});

describe('overlapping secrets', () => {
  it('are hidden as one span, with nothing of either left', () => {
    const set = new SecretSet();
    set.add('abcd-efgh');
    set.add('efgh-ijkl');
    expect(set.redact('x abcd-efgh-ijkl y')).toBe(`x ${REDACTED} y`);
  });
});
