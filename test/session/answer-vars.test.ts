/**
 * Vars given before the session asks (`--var`, STEPGATE_VAR_NAME) in the TUI: one given after
 * one that is not must still be answered from what was given once the operator answered the
 * first (the omneuro deploy asks REDEPLOY_SCRIPT first: its ports given with --var were asked
 * again, and enter took the defaults 8081/8092).
 */
import { describe, expect, it } from 'vitest';
import { answerGivenWhenAsked, answerVars } from '../../src/session/answer-vars.js';
import { fakeSession } from '../fakes/session.js';

const FILE = '/rb/deploy.md';
const DEPLOY = `---
title: Deploy
vars:
  SCRIPT: { prompt: the script, default: ./deploy.sh }
  PORT: { prompt: the port, default: "8081" }
  HOST: { prompt: the host }
---
# Deploy

## Go

Go.

\`\`\`bash {name=go}
echo "$SCRIPT $PORT $HOST"
\`\`\`
`;

describe('vars given to the TUI', () => {
  it('are answered when they come to be asked, after the operator answered one not given', async () => {
    const t = fakeSession({ [FILE]: DEPLOY });
    await t.actions.start({ file: FILE });
    const given = { vars: { PORT: '35571' }, env: { STEPGATE_VAR_HOST: 'db-1' } };
    await answerVars(t.store, { ...given, otherwise: 'leave' });
    answerGivenWhenAsked(t.store, given);
    expect(t.state().status).toMatchObject({ kind: 'vars', spec: { name: 'SCRIPT' } });
    // The operator takes the default at the TUI's prompt.
    await t.actions.answerVar('', 'prompt');
    for (let i = 0; i < 200 && t.state().status.kind === 'vars'; i += 1) await new Promise((r) => setTimeout(r, 5));
    expect(t.state().status.kind).toBe('ready');
    expect(t.state().answers).toMatchObject({ SCRIPT: { value: './deploy.sh', source: 'default' }, PORT: { value: '35571', source: 'flag' }, HOST: { value: 'db-1', source: 'env' } });
  });
});
