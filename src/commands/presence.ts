/**
 * Who is attached to a detached TUI (issue 12): the tmux server's hooks signal SIGUSR2 when a
 * client comes or goes; each one is journaled with who is behind it (`terminal-attached`,
 * `-detached`, `-closed`), and `attended()` tells the TUI whether anyone who can act is there.
 */
import { GONE_OPTION, processEnv, type TmuxClient, type TmuxServer } from '../exec/tmux.js';
import { SSM_ENV_NAMES, osUser, ssmSessionId } from '../session/host.js';
import type { SessionStore, TerminalEventInput } from '../session/store.js';
import type { TerminalFacts, Who } from '../session/types.js';

/** Who is at a client's terminal, from the client's environment (it runs as us) and its ancestors. */
function clientWho(pid: number): Who {
  const env = processEnv(pid, ['SUDO_USER', 'USER', 'LOGNAME', ...SSM_ENV_NAMES]);
  const who: Who = { user: osUser(env) };
  const ssm = ssmSessionId(env, '/proc', pid);
  if (ssm !== undefined) who.ssmSessionId = ssm;
  return who;
}

/**
 * Who is attached to the detached TUI, journaled as they come and go (the tmux hooks signal
 * SIGUSR2). A client that left is journaled once the stepgate that ran it said how (detach key
 * or hang-up, `GONE_OPTION`), or after 2 s without a word (a bare `tmux attach`).
 */
export class Presence {
  private known = new Map<number, TerminalFacts & { readOnly: boolean }>();
  private refreshing: Promise<void> = Promise.resolve();
  private readonly onSignal = (): void => {
    this.refreshing = this.refreshing.then(() => this.refresh(true)).catch(() => undefined);
  };
  private listeners = new Set<() => void>();

  constructor(
    private readonly server: TmuxServer,
    private readonly store: () => SessionStore | undefined,
  ) {}

  /** The first list of clients has come (or failed). */
  private listed = false;

  /**
   * Listens, and takes the clients there now (the launcher's) without journaling them; resolves
   * once it has them. The TUI draws meanwhile (asking tmux is a process and a round trip): a
   * signal that comes first is handled after that list, so the launcher's client is never
   * journaled as a newcomer.
   */
  start(): Promise<void> {
    process.on('SIGUSR2', this.onSignal);
    this.refreshing = this.refresh(false)
      .catch(() => undefined)
      .finally(() => {
        this.listed = true;
      });
    return this.refreshing;
  }

  stop(): void {
    process.off('SIGUSR2', this.onSignal);
  }

  /** Someone who can act is attached (watchers do not count). */
  attended(): boolean {
    // Before the first list: the launcher's own client, which tmux attached to start this TUI.
    if (!this.listed) return true;
    return [...this.known.values()].some((c) => !c.readOnly);
  }

  /** Watchers are attached and nobody who can act is: the TUI's key bar is theirs. */
  watchedOnly(): boolean {
    return !this.attended() && this.watchers() > 0;
  }

  /** Watchers attached now. */
  watchers(): number {
    return [...this.known.values()].filter((c) => c.readOnly).length;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private async refresh(journal: boolean): Promise<void> {
    const now = await this.server.clients();
    const seen = new Set(now.map((c) => c.pid));
    for (const client of now) {
      if (this.known.has(client.pid)) continue;
      const facts = this.facts(client);
      this.known.set(client.pid, facts);
      if (journal) await this.record({ type: 'terminal-attached', terminal: facts });
    }
    const gone = [...this.known.keys()].filter((pid) => !seen.has(pid));
    for (const pid of gone) {
      const facts = this.known.get(pid);
      this.known.delete(pid);
      if (!facts) continue;
      const how = await this.howGone(pid);
      if (how === 'hangup') await this.record({ type: 'terminal-closed', signal: 'SIGHUP', kept: true, terminal: facts });
      else await this.record({ type: 'terminal-detached', terminal: facts });
    }
    for (const listener of this.listeners) listener();
  }

  private facts(client: TmuxClient): TerminalFacts & { readOnly: boolean } {
    return { who: clientWho(client.pid), tty: client.tty, readOnly: client.readOnly };
  }

  private async howGone(pid: number): Promise<string | undefined> {
    const name = `${GONE_OPTION}${pid}`;
    for (let waited = 0; waited < 2000; waited += 100) {
      const how = await this.server.option(name);
      if (how !== undefined && how !== '') {
        await this.server.unsetOption(name);
        return how;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    return undefined;
  }

  private async record(event: TerminalEventInput): Promise<void> {
    const store = this.store();
    if (!store) return;
    if (store.getState().session.status.kind === 'ended') return;
    await store.getState().actions.record(event).catch(() => undefined);
  }
}
