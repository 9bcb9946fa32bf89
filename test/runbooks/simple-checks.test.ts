/**
 * The check blocks read without the YAML library (simple-checks.ts) give what the YAML library
 * gives: the same checks, the same refused checks, the same diagnostics at the same places,
 * over generated blocks of every shape (most of which the simple reader must pass to YAML).
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/seeded-random.js';
import { readChecks } from '../../src/runbooks/checks.js';
import { DiagnosticSink } from '../../src/runbooks/diagnostics.js';
import { simpleCheckEntries } from '../../src/runbooks/simple-checks.js';
import type { CheckSpec } from '../../src/runbooks/model.js';


const KEYS = ['http', 'tcp', 'run', 'expect', 'contains', 'timeout', 'retries', 'backoff', 'name', 'follow', 'htp', 'exepct', 'true', 'null', 'Name', 'x_y'];
const VALUES = [
  'http://localhost:8080/healthz', 'https://h.example:8443/a?b=1&c=2', 'http://127.0.0.1:${PORT}/ready', '${URL}', 'localhost:5432', '[::1]:80', 'db:5432',
  'curl -fsS http://x/ | grep -q ok', 'test -f /tmp/x', 'echo "a b"', "grep -q 'ok' f", 'a: b', 'a #b', 'a#b', 'a:', 'a:b', '- x', '? x', '&a', '*a', '!x', '|', '>',
  '2xx', '200', '200-299', '007', '0', '12', '1e3', '.5', '0x1F', '0o17', '+3', '-3', '1.5', '.inf', '.nan', 'true', 'True', 'FALSE', 'null', '~', 'yes', 'on',
  '3', '30s', '500ms', '2m', '3000', '30 s', '3 seconds', 'five', 'any', 'same-origin', 'ok', 'Database reachable', '"quoted"', "'single'", '{a: 1}', '[200, 204]',
  'é', 'tab\there', '', ' lead', 'trail ', '%x', '@x', '`x`', 'a {b} [c], d', 'x\\y', '12345678901234567890',
];

/** Values the simple reader takes, so that half the blocks are ones it reads. */
const PLAIN = ['http://localhost:8080/healthz', 'http://127.0.0.1:${PORT}/ready', 'localhost:5432', 'curl -fsS http://x/ | grep -q ok', '2xx', '200', '200-299', '0', '12', '3000', '30s', '500ms', 'five', 'any', 'same-origin', 'Database reachable', 'a {b} [c], d', 'a:b'];

function block(next: () => number): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
  const values = next() < 0.5 ? PLAIN : VALUES;
  const field = (): string => {
    const spaces = next() < 0.85 ? ' ' : next() < 0.5 ? '  ' : '';
    return `${pick(KEYS)}:${spaces}${pick(values)}`;
  };
  const lines: string[] = [];
  const fields = (): string[] => Array.from({ length: 1 + Math.floor(next() * 4) }, field);
  if (next() < 0.4) lines.push(...fields());
  else {
    for (let i = 0, n = 1 + Math.floor(next() * 3); i < n; i++) {
      const [first = '', ...rest] = fields();
      lines.push(`- ${first}`, ...rest.map((f) => `${next() < 0.95 ? '  ' : next() < 0.5 ? '   ' : ' '}${f}`));
    }
  }
  if (next() < 0.1) lines.splice(Math.floor(next() * lines.length), 0, '');
  if (next() < 0.05) lines.push('# a comment');
  return lines.join('\n');
}

function read(body: string, simple: boolean): { checks: CheckSpec[]; refused: CheckSpec[]; said: string[] } {
  const sink = new DiagnosticSink('/rb/d.md');
  const refused: CheckSpec[] = [];
  const checks = readChecks(body, 12, 3, sink, { attempts: 2 }, refused, simple);
  return { checks, refused, said: sink.items.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code} ${d.message}`) };
}

describe('check blocks read without the YAML library', () => {
  it('give the checks, refusals and diagnostics YAML gives, field for field and place for place', () => {
    const next = seededRandom(20261207);
    let simple = 0;
    for (let i = 0; i < 6000; i++) {
      const body = block(next);
      if (simpleCheckEntries(body) !== undefined) simple++;
      expect(read(body, true), body).toEqual(read(body, false));
    }
    // Both readings were compared where it matters: many blocks took the simple path.
    expect(simple).toBeGreaterThan(800);
  });

  it('reads the common shapes, and leaves every other to YAML', () => {
    expect(simpleCheckEntries('- http: http://localhost:${PORT}/healthz\n  expect: 2xx\n- tcp: localhost:5432')).toEqual([
      { raw: { http: 'http://localhost:${PORT}/healthz', expect: '2xx' }, at: 2, keys: new Map([['http', 2], ['expect', 43]]) },
      { raw: { tcp: 'localhost:5432' }, at: 57, keys: new Map([['tcp', 57]]) },
    ]);
    expect(simpleCheckEntries('http: http://x/\nretries: 5')).toEqual([{ raw: { http: 'http://x/', retries: 5 }, at: 0, keys: new Map([['http', 0], ['retries', 16]]) }]);
    for (const body of ['http: "http://x/"', 'run: true', 'http: http://x/ # c', 'expect: [200]', 'http: a\nhttp: b', '- http: x\nname: y', '\thttp: x', 'timeout: 1e3', '']) {
      expect(simpleCheckEntries(body), body).toBeUndefined();
    }
  });
});
