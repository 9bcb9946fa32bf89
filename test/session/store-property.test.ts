/**
 * Random operator sessions against the store with scripted outcomes: whatever the operator
 * does, the journal replays to the live state, and nothing runs past a gate without a
 * journaled decision.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { replay } from '../../src/session/reducer.js';
import type { SessionEvent } from '../../src/session/types.js';
import { fail, pass } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import { runToNextBlock } from '../fakes/walk.js';

const FILE = '/rb/deploy.md';
const RUNBOOK = `---
recovery: "#fix"
---
# Deploy

## Steps

\`\`\`bash {name=a}
a
\`\`\`

\`\`\`bash {name=b optional}
b
\`\`\`

\`\`\`check {name=c}
http: http://127.0.0.1:1/healthz
retries: 2
backoff: 1s
\`\`\`

- [ ] look at the graphs

## Fix

\`\`\`bash {name=fix}
fix
\`\`\`
`;

type Intent =
  | { kind: 'run' }
  | { kind: 'all' }
  | { kind: 'retry' }
  | { kind: 'recover' }
  | { kind: 'skip'; reason: string }
  | { kind: 'override'; reason: string }
  | { kind: 'confirm' }
  | { kind: 'jump'; index: number }
  | { kind: 'abort' };

const intentArb: fc.Arbitrary<Intent> = fc.oneof(
  fc.constant<Intent>({ kind: 'run' }),
  fc.constant<Intent>({ kind: 'all' }),
  fc.constant<Intent>({ kind: 'retry' }),
  fc.constant<Intent>({ kind: 'recover' }),
  fc.constantFrom('', 'by hand').map<Intent>((reason) => ({ kind: 'skip', reason })),
  fc.constantFrom('', 'known').map<Intent>((reason) => ({ kind: 'override', reason })),
  fc.constant<Intent>({ kind: 'confirm' }),
  fc.integer({ min: 0, max: 4 }).map<Intent>((index) => ({ kind: 'jump', index })),
  fc.constant<Intent>({ kind: 'abort' }),
);

/** After a failed step, the next start of anything must follow a decision. */
function gateViolations(events: SessionEvent[]): string[] {
  const out: string[] = [];
  let blocked = false;
  for (const e of events) {
    if (e.type === 'step-finished') blocked = !e.ok;
    else if (e.type === 'decision') blocked = false;
    else if (e.type === 'step-started' && blocked) out.push(`${e.key} started past a gate`);
  }
  return out;
}

describe('session store under random operators', () => {
  it('journal replays to the live state and no step starts past a gate', async () => {
    // The property must actually meet gates and recoveries, not only happy paths.
    const seen = { blocked: 0, recovered: 0, popped: 0 };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(fc.boolean(), { minLength: 1, maxLength: 12 }),
        fc.array(intentArb, { maxLength: 25 }),
        async (shellOk, probeOk, intents) => {
          const t = fakeSession({ [FILE]: RUNBOOK });
          let n = 0;
          t.shell.fallback = () => ({ exitCode: shellOk[n++ % shellOk.length] ? 0 : 1 });
          t.probes.script('http://127.0.0.1:1/healthz', ...probeOk.map((ok) => (ok ? pass() : fail())));
          await t.actions.start({ file: FILE });
          for (const intent of intents) {
            const a = t.actions;
            switch (intent.kind) {
              case 'run': await a.runStep(); break;
              case 'all': await runToNextBlock(t.store, { yes: true }); break;
              case 'retry': await a.retry(); break;
              case 'recover': await a.chooseRecovery(0); break;
              case 'skip': await a.skip(intent.reason); break;
              case 'override': await a.override(intent.reason); break;
              case 'confirm': await a.confirm(); break;
              case 'jump': await a.runStepAt(intent.index, 'out of order'); break;
              case 'abort': await a.abort('enough'); break;
            }
            await a.idle();
          }
          const events = t.journal.events;
          if (events.some((e) => e.type === 'step-finished' && !e.ok)) seen.blocked += 1;
          if (events.some((e) => e.type === 'decision' && e.decision.kind === 'recover')) seen.recovered += 1;
          if (events.some((e) => e.type === 'step-started' && e.depth === 0 && e.attempt > 1)) seen.popped += 1;
          expect(replay(t.journal.events)).toEqual(t.state());
          expect(gateViolations(t.journal.events)).toEqual([]);
          expect(t.state().frames.length).toBeGreaterThanOrEqual(1);
        },
      ),
      // 300 runs: at 150, "a recovery was taken in more than 3 runs" failed once in a fresh clone (chance, not a bug).
      { numRuns: 300 },
    );
    expect(seen.blocked).toBeGreaterThan(10);
    expect(seen.recovered).toBeGreaterThan(3);
    expect(seen.popped).toBeGreaterThan(3);
  });
});
