/** What explains a failed check, read from its body or output, and word wrapping of the rest. */
import { describe, expect, it } from 'vitest';
import { checkWhy, whyLead, WHY_MAX } from '../../src/session/check-why.js';
import { wordWrap } from '../../src/session/word-wrap.js';

describe('checkWhy', () => {
  it('takes the values of status, error, message, reason, detail from a JSON body, in that order', () => {
    expect(checkWhy('{"version":"1.1.0","reason":"database unreachable","status":"failing"}')).toBe('failing: database unreachable');
    expect(checkWhy('{"Error":"upstream timeout","detail":"redis 10.0.0.4:6379"}')).toBe('upstream timeout: redis 10.0.0.4:6379');
    expect(checkWhy('{"error":{"code":503,"message":"shutting down"}}')).toBe('shutting down');
    expect(checkWhy('{"status":503,"ok":false}')).toBe('503');
  });

  it('falls back to the first non-empty line for text, for JSON without such fields, and for a cut JSON body', () => {
    expect(checkWhy('\n\n  Service Unavailable\nretry later\n')).toBe('Service Unavailable');
    expect(checkWhy('{"version":"1.1.0"}')).toBe('{"version":"1.1.0"}');
    expect(checkWhy('{"status":"failing","reas')).toBe('{"status":"failing","reas');
    expect(checkWhy('')).toBeUndefined();
    expect(checkWhy(undefined)).toBeUndefined();
  });

  it('is one printable line of bounded length', () => {
    expect(checkWhy('\u001B[31mdown\u001B[0m\u0007')).toBe('down');
    const long = checkWhy(`{"message":"${'x '.repeat(200)}"}`) ?? '';
    expect(long.length).toBe(WHY_MAX);
    expect(long.endsWith('…')).toBe(true);
  });
});

describe('wordWrap', () => {
  it('breaks at spaces, indents continuation rows, and cuts only a word longer than a row', () => {
    expect(wordWrap('alpha beta gamma delta', 12, 2)).toEqual(['alpha beta', '  gamma', '  delta']);
    expect(wordWrap('abcdefghijklmnopqrstuvwxyz', 10, 2)).toEqual(['abcdefghij', '  klmnopqr', '  stuvwxyz']);
    expect(wordWrap('   check x: a b', 12, 6)).toEqual(['   check x:', '      a b']);
    for (const row of wordWrap('the quick brown fox jumps over the lazy dog '.repeat(5), 20, 4)) expect(row.length).toBeLessThanOrEqual(20);
  });
});

describe('whyLead', () => {
  it('leads with what explains the failure when the rest of the line does not say it', () => {
    const body = '{"status":"failing","reason":"database unreachable"}';
    expect(whyLead(checkWhy(body), 'bad status 503 (expected 200-299)', body)).toBe('failing: database unreachable · ');
  });
  it('says nothing when the error starts with it or the quoted output holds it (a run: check\'s first line of stderr)', () => {
    const output = 'cat: /tmp/w/ready: No such file or directory';
    expect(whyLead(checkWhy(output), 'exit status 1', output)).toBe('');
    expect(whyLead('connection refused', 'connection refused (ECONNREFUSED)')).toBe('');
    expect(whyLead(undefined, 'exit status 1', output)).toBe('');
    // A JSON body holds the value it was read from, but not at its start: it still leads.
    expect(whyLead('starting', 'response does not contain "ok"', '{ "status": "starting" }')).toBe('starting · ');
  });
});
