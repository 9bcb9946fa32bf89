/**
 * A check's pane shows what its probe is given: `${NAME}` expanded with the session's value
 * (a new-operator trial read `http://localhost:${DEMO_PORT}/healthz` while the port was 18080),
 * but never a secret's value, and a var not answered yet as written.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { enter, renderSession } from './helpers.js';

afterEach(() => cleanup());

const FILE = '/rb/probe.md';

const PROBE = `---
title: Probe
vars:
  DEMO_PORT: { prompt: Port, default: '18080' }
  API_TOKEN: { prompt: Token, secret: true }
  SIGNING: { prompt: Signing value, secret: true }
---
# Probe

## Health

\`\`\`check {name=healthz}
http: http://localhost:\${DEMO_PORT}/healthz?token=\${API_TOKEN}
contains: "\${SIGNING} up"
\`\`\`

\`\`\`check {name=socket}
tcp: localhost:\${DEMO_PORT}
\`\`\`
`;

describe('check targets in the pane', () => {
  it('shows the expanded target the probe uses, a secret var as written, and the text as written before the var is answered', async () => {
    const r = await renderSession({ [FILE]: PROBE }, FILE, { cols: 110, rows: 30 });
    await r.waitForFrame('variable DEMO_PORT');
    // The keys are said once, on the status line (a trial read them twice).
    expect((await r.waitForFrame('enter submits')).split('enter submits')).toHaveLength(2);
    // While the vars are asked the pane is their prompt: the store says what it would show.
    const item = r.t.store.getState().session.frames[0]?.init.items[0];
    if (!item) throw new Error('no step');
    expect(r.t.store.getState().actions.shownCheckText(item, 'localhost:${DEMO_PORT}')).toBe('localhost:${DEMO_PORT}');
    r.press(enter);
    await r.waitForFrame('variable API_TOKEN');
    r.type('tok-s3cret-value');
    r.press(enter);
    await r.waitForFrame('variable SIGNING');
    r.type('sig-s3cret-value');
    r.press(enter);
    const frame = await r.waitForFrame('READY 1/2');
    expect(frame).toContain('http http://localhost:18080/healthz?token=${API_TOKEN} contains "${SIGNING} up"');
    r.press('j');
    await r.waitForFrame('tcp localhost:18080');
    expect(r.frame()).not.toContain('s3cret');
    // The probe itself got the values.
    r.press('k');
    r.press(enter);
    await r.waitForFrame('[x] check healthz');
    expect(r.t.probes.calls[0]).toMatchObject({ kind: 'http', url: 'http://localhost:18080/healthz?token=tok-s3cret-value', contains: 'sig-s3cret-value up' });
    expect(r.frame()).not.toContain('s3cret');
  });
});
