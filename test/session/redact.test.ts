import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecretSet, StreamRedactor } from '../../src/session/redact.js';

/** The definition, written the slow obvious way. */
function naivePartialSuffix(text: string, secrets: string[]): number {
  let best = 0;
  for (const secret of secrets)
    for (let k = 1; k < secret.length && k <= text.length; k += 1) if (text.endsWith(secret.slice(0, k))) best = Math.max(best, k);
  return best;
}

describe('secret redaction in a stream', () => {
  it('holds back exactly the longest output tail that could start a secret', () => {
    const alphabet = fc.constantFrom('a', 'b', 'c', 'x');
    fc.assert(
      fc.property(fc.array(fc.string({ unit: alphabet, minLength: 4, maxLength: 8 }), { minLength: 1, maxLength: 3 }), fc.string({ unit: alphabet, maxLength: 20 }), (secrets, text) => {
        const set = new SecretSet();
        for (const s of secrets) set.add(s);
        // Every form of every value (its base64 and other encodings too) may start in the tail.
        expect(set.partialSuffix(text)).toBe(naivePartialSuffix(text, [...set.hidden]));
      }),
      { numRuns: 2000 },
    );
  });

  it('never lets a secret through, however the output is split', () => {
    const secret = 'hunter2-sekret';
    fc.assert(
      fc.property(fc.array(fc.nat(40), { maxLength: 6 }), (cuts) => {
        const text = `login ok\npassword: ${secret}\nbye ${secret}`;
        const points = [...new Set(cuts.map((c) => c % text.length))].sort((a, b) => a - b);
        const set = new SecretSet();
        set.add(secret);
        const stream = new StreamRedactor(set);
        let out = '';
        let last = 0;
        for (const p of [...points, text.length]) {
          out += stream.push(text.slice(last, p));
          last = p;
        }
        out += stream.flush();
        expect(out).not.toContain(secret);
        expect(out).toBe(text.split(secret).join('[REDACTED]'));
      }),
      { numRuns: 500 },
    );
  });
});
