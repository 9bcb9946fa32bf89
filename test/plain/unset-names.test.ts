/**
 * A check whose target names a value nobody gave (`http://127.0.0.1:${NOPE}/healthz`) fails at
 * once, not tried; a retry helps only once the name has a value, and the plain walk's "what
 * next" said only `--retry` (a trial). It says the name to set for the retry now.
 */
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { namesWithoutValue } from '../../src/session/checks.js';
import { printEvents } from '../../src/plain/print-events.js';
import { runPlain } from '../../src/plain/run-plain.js';
import { fakeSession } from '../fakes/session.js';

const FILE = '/rb/nv.md';
const RUNBOOK = '---\nenv:\n  HOST: 127.0.0.1\n---\n# NV\n\n## Check\n\n```check {name=health}\nhttp: http://${HOST}:${NOPE}/healthz/${ALSO}\nretries: 1\n```\n';

describe('a check target with names that have no value', () => {
  it('is not tried, and the retry in "what next" says which names to give', async () => {
    const t = fakeSession({ [FILE]: RUNBOOK });
    const out = new PassThrough();
    let printed = '';
    out.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
    await t.actions.start({ file: FILE });
    const stop = printEvents(t.store, out, '/rb');
    const end = await runPlain(t.store, { yes: true, recover: false, vars: {}, env: {}, out, cwd: '/rb', interrupted: () => false });
    stop();
    expect(end).toBe('blocked');
    expect(t.probes.calls).toEqual([]);
    const reason = t.state().frames[0]?.steps[0]?.reason;
    expect(reason).toContain('${NOPE}, ${ALSO} have no value');
    expect(namesWithoutValue(reason)).toEqual(['NOPE', 'ALSO']);
    expect(printed).toContain('  retry:    NOPE=VALUE ALSO=VALUE stepgate resume 20250101-120000-abcdef --retry\n');
  });

  it('finds no names in a reason of another kind', () => {
    expect(namesWithoutValue('healthz failed after 3 attempts: connection refused (${PORT} is 8080)')).toEqual([]);
    expect(namesWithoutValue(undefined)).toEqual([]);
  });
});
