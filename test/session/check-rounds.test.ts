/**
 * A check block probes all its checks on each attempt (in rounds), so the gate can show each
 * one's state; a failed check's `why` (the body's reason) is journaled and leads the step's reason.
 */
import { describe, expect, it } from 'vitest';
import { fail, pass } from '../fakes/fake-probe.js';
import { fakeSession } from '../fakes/session.js';
import type { SessionEvent } from '../../src/session/types.js';
import { runToNextBlock } from '../fakes/walk.js';

const BOOK = `# Deploy

## Health

\`\`\`check {name=health}
- name: brain-api
  http: http://127.0.0.1:8081/healthz
  retries: 3
  backoff: 1s
- name: gateway
  http: http://127.0.0.1:8092/healthz
  retries: 3
  backoff: 2s
- name: tech-health
  http: http://127.0.0.1:8092/api/tech/health
  retries: 3
\`\`\`
`;

type Attempt = Extract<SessionEvent, { type: 'check-attempt' }>;

describe('a block of several checks', () => {
  it('probes every unpassed check each round, waits the longest backoff once per round, and names each failure with its reason', async () => {
    const t = fakeSession({ '/rb/deploy.md': BOOK });
    const body = '{"status":"failing","version":"1.1.0","reason":"database unreachable"}';
    t.probes.script('http://127.0.0.1:8081/healthz', fail('connection refused'), pass());
    t.probes.script('http://127.0.0.1:8092/healthz', fail(`bad status 503 (expected 200-299): ${body}`, { status: 503, output: body }));
    t.probes.script('http://127.0.0.1:8092/api/tech/health', pass());
    await t.actions.start({ file: '/rb/deploy.md' });
    await runToNextBlock(t.store);
    const attempts = t.journal.events.filter((e): e is Attempt => e.type === 'check-attempt');
    expect(attempts.map((a) => `${a.name} ${a.attempt}/${a.of} ${a.ok ? 'ok' : 'fail'}`)).toEqual([
      'brain-api 1/3 fail',
      'gateway 1/3 fail',
      'tech-health 1/3 ok',
      'brain-api 2/3 ok',
      'gateway 2/3 fail',
      'gateway 3/3 fail',
    ]);
    expect(attempts[1]).toMatchObject({ why: 'failing: database unreachable', status: 503 });
    expect(attempts[0]?.why).toBeUndefined();
    // One wait per round, at least the slowest check's backoff (2 s, 4 s, with +-20% jitter).
    expect(t.clock.sleeps).toHaveLength(2);
    expect(t.clock.sleeps[0]).toBeGreaterThanOrEqual(1600);
    expect(t.clock.sleeps[1]).toBeGreaterThanOrEqual(3200);
    const s = t.store.getState().session;
    expect(s.status.kind).toBe('blocked');
    const step = s.frames[0]?.steps[0];
    expect(step?.reason).toBe('gateway failed after 3 attempts: failing: database unreachable (bad status 503 (expected 200-299))');
    expect(step?.checks?.map((c) => c.ok)).toEqual([true, false, true]);
    expect(step?.checks?.[1]?.why).toBe('failing: database unreachable');
  });

  it('fails a check whose target names a ${NAME} with no value at once, saying which, without probing or waiting', async () => {
    const book = '# Deploy\n\nHealth.\n\n```check {name=health retries=5}\nhttp: http://127.0.0.1:${SERVICE_PORT}/healthz\n```\n';
    const t = fakeSession({ '/rb/deploy.md': book });
    await t.actions.start({ file: '/rb/deploy.md' });
    await runToNextBlock(t.store);
    const s = t.store.getState().session;
    expect(s.status.kind).toBe('blocked');
    expect(s.frames[0]?.steps[0]?.reason).toContain('http: http://127.0.0.1:${SERVICE_PORT}/healthz: ${SERVICE_PORT} has no value');
    expect(t.probes.calls).toEqual([]);
    expect(t.clock.sleeps).toEqual([]);
  });

  it('passes when every check has passed, without probing a passed check again', async () => {
    const t = fakeSession({ '/rb/deploy.md': BOOK });
    t.probes.script('http://127.0.0.1:8092/healthz', fail('connection refused'), fail('connection refused'), pass());
    await t.actions.start({ file: '/rb/deploy.md' });
    await runToNextBlock(t.store);
    expect(t.store.getState().session.status.kind).toBe('ended');
    expect(t.probes.calls.map((c) => (c.kind === 'http' ? c.url.replace('http://127.0.0.1:', '') : ''))).toEqual(['8081/healthz', '8092/healthz', '8092/api/tech/health', '8092/healthz', '8092/healthz']);
  });
});
