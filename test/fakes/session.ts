/**
 * One call to a session store wired to fakes, for engine and UI tests:
 *
 *   const t = fakeSession({ '/rb/deploy.md': markdown });
 *   t.shell.reply({ exitCode: 1 });
 *   await t.actions.start({ file: '/rb/deploy.md' });
 *   await runToNextBlock(t.store);
 *   expect(t.state().status.kind).toBe('blocked');
 */
import { createSessionStore, type HostFacts, type SessionActions, type SessionDeps, type SessionStore } from '../../src/session/store.js';
import type { SessionState } from '../../src/session/types.js';
import { FakeClock } from './fake-clock.js';
import { FakeProbes } from './fake-probe.js';
import { FakeShell } from './fake-shell.js';
import { MemoryJournal } from './memory-journal.js';
import { memoryRunbooks, type MemoryRunbooks } from './runbooks.js';

export const FAKE_HOST: HostFacts = {
  who: () => ({ user: 'alice', ssmSessionId: 'alice-0123456789abcdef0' }),
  account: 'stepgate-test',
  host: 'test-host',
  pid: 4242,
  cwd: '/rb',
  version: '0.0.0-test',
};

export interface FakeSession {
  store: SessionStore;
  actions: SessionActions;
  state(): SessionState;
  shell: FakeShell;
  probes: FakeProbes;
  clock: FakeClock;
  journal: MemoryJournal;
  runbooks: MemoryRunbooks;
}

export function fakeSession(files: Record<string, string>, overrides: Partial<SessionDeps> = {}): FakeSession {
  const shell = new FakeShell();
  const probes = new FakeProbes();
  const clock = new FakeClock();
  const journal = new MemoryJournal();
  const runbooks = memoryRunbooks(files);
  const store = createSessionStore({
    openShell: shell.factory,
    probe: probes.run,
    clock,
    journal,
    loadRunbook: runbooks.load,
    host: FAKE_HOST,
    env: {},
    random: () => 0.5,
    screenIntervalMs: 0,
    ...overrides,
  });
  return {
    store,
    actions: store.getState().actions,
    state: () => store.getState().session,
    shell,
    probes,
    clock,
    journal,
    runbooks,
  };
}
