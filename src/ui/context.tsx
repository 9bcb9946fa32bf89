/**
 * What the components read: the session store (through `useSession` selectors) and the few
 * services the UI needs from outside (a clock, a runbook loader for `o`). Given by the `tui`
 * command, or by tests with fakes. Components never reach exec.
 */
import { createContext, useContext, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { Runbook } from '../runbooks/model.js';
import type { SessionStore, SessionStoreState } from '../session/store.js';

/** The shell's screen as the store holds it (the UI never imports exec, even for types). */
export type ScreenSnapshot = NonNullable<SessionStoreState['screen']>;

/** The outside world as the UI sees it. */
export interface UiServices {
  /** The session's clock (countdowns, elapsed time). Default Date.now. */
  now(): number;
  /** Loads a cross-referenced runbook for `o`; without it `o` says it cannot. */
  loadRunbook?(file: string): Promise<Runbook>;
  /** Colour on (false under NO_COLOR or TERM=dumb). */
  color: boolean;
  /**
   * Reads a step's transcript (its whole output, check bodies included) for `t` and for the
   * gate of a step a crash cut short; without it `t` says it cannot.
   */
  readTranscript?(path: string): Promise<string>;
  /**
   * Someone who can act is at a terminal. False only in the detachable terminal after the
   * operator's terminal went away: then `a` stops after the running step, so nothing runs
   * that nobody is there to watch (issue 12). Default: always attended.
   */
  attended?(): boolean;
  /**
   * Only watchers (`stepgate attach --watch`, read-only) are at a terminal: the key bar then
   * lists the one key that works for them. Default: never.
   */
  watchedOnly?(): boolean;
  /** Calls `listener` whenever a terminal attaches or leaves; returns its removal. */
  onAttachChange?(listener: () => void): () => void;
  /** The TUI runs in stepgate's own tmux: ctrl-\ leaves it running detached. Default: in place. */
  detachable?: boolean;
}

/** A live session as the runbook view needs it. */
export interface SessionHandle {
  store: SessionStore;
  /** Who the steps run as, and where: the header's `user@host`. */
  runAs: string;
  host: string;
}

const ServicesContext = createContext<UiServices>({ now: () => Date.now(), color: false });
const StoreContext = createContext<SessionStore | undefined>(undefined);

export function ServicesProvider({ services, children }: { services: UiServices; children: ReactNode }) {
  return <ServicesContext.Provider value={services}>{children}</ServicesContext.Provider>;
}

export function StoreProvider({ store, children }: { store: SessionStore; children: ReactNode }) {
  return <StoreContext.Provider value={store}>{children}</StoreContext.Provider>;
}

export function useServices(): UiServices {
  return useContext(ServicesContext);
}

export function useSessionStore(): SessionStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('useSessionStore outside a StoreProvider');
  return store;
}

/**
 * Reads the session store. The selector must return a primitive, a value already in the
 * store, or go through `useShallow`: zustand v5 re-renders forever on fresh objects.
 */
export function useSession<T>(selector: (state: SessionStoreState) => T): T {
  return useStore(useSessionStore(), selector);
}

/** Colour name when colour is on, else undefined (Ink then prints plain text). */
export function useColor(): (name: string | undefined) => string | undefined {
  const { color } = useServices();
  return (name) => (color ? name : undefined);
}
