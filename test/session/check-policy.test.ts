import { describe, expect, it } from 'vitest';
import { type CheckStep } from '../../src/runbooks/index.js';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { checkPolicy } from '../../src/session/checks.js';

describe('check retry policy', () => {
  it('takes the fence attributes as defaults and a check\'s own fields first, as plan shows', () => {
    const rb = parseRunbook('Up.\n\n```check {retries=2 backoff=1s}\n- http: http://a/\n  retries: 4\n  backoff: 100ms\n- tcp: localhost:22\n```\n', 'p.md');
    const step = rb.steps[0] as CheckStep;
    expect(step.checks.map((c) => checkPolicy(step, c))).toEqual([
      { attempts: 4, baseMs: 100 },
      { attempts: 2, baseMs: 1000 },
    ]);
  });
});
