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

const PATTERNED = `---
title: Deploy
vars:
  PORT: { prompt: the port, default: "8081", pattern: "[0-9]+" }
  PIN: { prompt: the pin, pattern: "[0-9]{4}", secret: true }
---
# Deploy

## Go

Go.

\`\`\`bash {name=go}
echo "$PORT"
\`\`\`
`;

describe("a var's pattern", () => {
  it('refuses a --var value it does not match, saying which flag, and journals no answer', async () => {
    const t = fakeSession({ [FILE]: PATTERNED });
    await t.actions.start({ file: FILE });
    const said = await answerVars(t.store, { vars: { PORT: 'n' }, env: {}, otherwise: 'default' });
    expect(said).toBe('--var PORT: "n" does not match its pattern [0-9]+');
    expect(t.state().status).toMatchObject({ kind: 'vars', spec: { name: 'PORT' } });
    expect(t.state().answers).toEqual({});
    // Part of a value does not do: the pattern holds for the whole value.
    expect(await t.actions.answerVar('80x', 'prompt')).toBe('PORT: "80x" does not match its pattern [0-9]+');
    expect(t.store.getState().error).toBe('PORT: "80x" does not match its pattern [0-9]+');
    expect(await t.actions.answerVar('', 'prompt')).toBeUndefined();
    expect(t.state().answers).toMatchObject({ PORT: { value: '8081', source: 'default' } });
  });

  it('asks again at a prompt, saying why, and never repeats a secret', async () => {
    const t = fakeSession({ [FILE]: PATTERNED });
    await t.actions.start({ file: FILE });
    const answers = ['', '12', '1234'];
    const asked: Array<[string, string | undefined]> = [];
    const said = await answerVars(t.store, {
      vars: {},
      env: {},
      otherwise: 'default',
      ask: (spec, refused) => {
        asked.push([spec.name, refused]);
        return Promise.resolve(answers.shift() ?? '');
      },
    });
    expect(said).toBeUndefined();
    expect(asked).toEqual([
      ['PORT', undefined],
      ['PIN', undefined],
      ['PIN', 'PIN: the value given does not match its pattern [0-9]{4}'],
    ]);
    expect(t.state().status.kind).toBe('ready');
  });

  it('in the TUI, leaves a refused --var to the prompt, which shows why, instead of trying it again', async () => {
    const t = fakeSession({ [FILE]: PATTERNED });
    await t.actions.start({ file: FILE });
    answerGivenWhenAsked(t.store, { vars: { PORT: 'eighty' }, env: {} });
    for (let i = 0; i < 1000 && t.store.getState().error === undefined; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(t.store.getState().error).toBe('PORT: "eighty" does not match its pattern [0-9]+');
    expect(t.state().status).toMatchObject({ kind: 'vars', spec: { name: 'PORT' } });
    expect(await t.actions.answerVar('9090', 'prompt')).toBeUndefined();
    expect(t.state().status).toMatchObject({ kind: 'vars', spec: { name: 'PIN' } });
  });
});

describe('plain mode with --yes (takeDefaults)', () => {
  it('takes each default without asking, and asks only for a var without one (a trial sat at a port prompt under --yes)', async () => {
    const t = fakeSession({ [FILE]: DEPLOY });
    await t.actions.start({ file: FILE });
    const asked: string[] = [];
    const problem = await answerVars(t.store, { vars: {}, env: {}, ask: async (spec) => (asked.push(spec.name), 'db-2'), otherwise: 'default', takeDefaults: true });
    expect(problem).toBeUndefined();
    expect(asked).toEqual(['HOST']);
    expect(t.state().answers).toMatchObject({ SCRIPT: { value: './deploy.sh', source: 'default' }, PORT: { value: '8081', source: 'default' }, HOST: { value: 'db-2', source: 'prompt' } });
  });

  it('without --yes, a terminal is asked for every var, defaults offered', async () => {
    const t = fakeSession({ [FILE]: DEPLOY });
    await t.actions.start({ file: FILE });
    const asked: string[] = [];
    await answerVars(t.store, { vars: {}, env: {}, ask: async (spec) => (asked.push(spec.name), spec.default === undefined ? 'db-2' : ''), otherwise: 'default' });
    expect(asked).toEqual(['SCRIPT', 'PORT', 'HOST']);
  });

  it('never takes a secret\'s default: --yes asks for it, and a resume without a terminal refuses one given before (a review: later steps ran with the default password)', async () => {
    const rb = `---\ntitle: S\nvars:\n  DB_PASSWORD: { prompt: the password, default: changeme, secret: true }\n---\n# S\n\n## Go\n\nGo.\n\n\`\`\`bash {name=go}\nexit 1\n\`\`\`\n`;
    const t = fakeSession({ '/rb/s.md': rb });
    await t.actions.start({ file: '/rb/s.md' });
    const asked: string[] = [];
    await answerVars(t.store, { vars: {}, env: {}, ask: async (spec) => (asked.push(spec.name), 'typed-one'), otherwise: 'default', takeDefaults: true });
    expect(asked).toEqual(['DB_PASSWORD']);
    expect(t.state().answers['DB_PASSWORD']).toMatchObject({ secret: true, source: 'prompt' });
    // A resume without a terminal: the typed password is not kept, and its default must not stand in.
    const u = fakeSession({ '/rb/s.md': rb });
    await u.actions.resume(t.journal.events);
    expect(u.state().status).toMatchObject({ kind: 'vars', spec: { name: 'DB_PASSWORD' } });
    const refused = await answerVars(u.store, { vars: {}, env: {}, otherwise: 'default', takeDefaults: true });
    expect(refused).toContain('var DB_PASSWORD (the password) is a secret, never kept: it was given before (prompt)');
    expect(u.state().status.kind).toBe('vars');
    // Given again, it goes on.
    expect(await answerVars(u.store, { vars: {}, env: { STEPGATE_VAR_DB_PASSWORD: 'typed-one' }, otherwise: 'default' })).toBeUndefined();
    expect(u.state().answers['DB_PASSWORD']).toMatchObject({ secret: true, source: 'env' });
  });
});
