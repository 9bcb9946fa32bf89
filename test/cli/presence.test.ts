/**
 * Who is attached to a detached TUI (src/commands/presence.ts) while its first frame is drawn:
 * the TUI no longer waits for tmux's list of clients before drawing (issue 14), so until that
 * list comes the launcher's own client counts as attended, and a client signal that comes
 * first is handled after the list. The tmux server is a stand-in whose answers the test gives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Presence } from '../../src/commands/presence.js';
import type { TmuxClient, TmuxServer } from '../../src/exec/tmux.js';
import type { SessionStore } from '../../src/session/store.js';

/** A tmux server whose `clients()` answers wait for the test. */
function standInServer(): { server: TmuxServer; answer(clients: TmuxClient[]): void; asked(): number } {
  const waiting: Array<(clients: TmuxClient[]) => void> = [];
  let asked = 0;
  const server = {
    clients: () => {
      asked += 1;
      return new Promise<TmuxClient[]>((resolve) => waiting.push(resolve));
    },
    option: async () => undefined,
    unsetOption: async () => undefined,
  } as unknown as TmuxServer;
  return {
    server,
    answer: (clients) => waiting.shift()?.(clients),
    asked: () => asked,
  };
}

function recordingStore(recorded: Array<{ type: string }>): SessionStore {
  return {
    getState: () => ({ session: { status: { kind: 'running' } }, actions: { record: async (event: { type: string }) => void recorded.push(event) } }),
  } as unknown as SessionStore;
}

const launcherClient: TmuxClient = { pid: process.pid, tty: '/dev/pts/99', readOnly: false, size: '80x24' };
const watcher: TmuxClient = { pid: process.ppid, tty: '/dev/pts/98', readOnly: true, size: '80x24' };
const presences: Presence[] = [];

afterEach(() => {
  for (const p of presences.splice(0)) p.stop();
});

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('Presence while the first frame is drawn', () => {
  it('counts the launcher as attended until tmux lists the clients, then goes by the list', async () => {
    const tmux = standInServer();
    const presence = new Presence(tmux.server, () => undefined);
    presences.push(presence);
    const started = presence.start();
    expect(presence.attended()).toBe(true);
    tmux.answer([watcher]);
    await started;
    expect(presence.attended()).toBe(false);
  });

  it('handles a client signal that comes before the first list after it: the launcher is not journaled as a newcomer', async () => {
    const tmux = standInServer();
    const recorded: Array<{ type: string }> = [];
    const presence = new Presence(tmux.server, () => recordingStore(recorded));
    presences.push(presence);
    const started = presence.start();
    process.emit('SIGUSR2');
    await tick();
    // One question to tmux at a time: the signal's waits for the first list.
    expect(tmux.asked()).toBe(1);
    tmux.answer([launcherClient]);
    await started;
    await tick();
    expect(tmux.asked()).toBe(2);
    tmux.answer([launcherClient, watcher]);
    for (let i = 0; i < 5; i += 1) await tick();
    expect(recorded.map((e) => e.type)).toEqual(['terminal-attached']);
    expect(presence.attended()).toBe(true);
    expect(presence.watchers()).toBe(1);
  });
});
