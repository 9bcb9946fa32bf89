/**
 * What the rest of stepgate (the UI, the commands) uses of the session engine. The UI needs
 * only the store, the state types and the pure selectors; it never imports src/exec.
 */
export { createSessionStore } from './store.js';
export type { SessionStore, SessionStoreState, SessionActions, SessionDeps, StartOptions, ResumeReport, ProbeRunner, ShellFactory, HostFacts } from './store.js';
export { reduce, replay, currentItem, gateChoices, refusal, topFrame, initialState } from './reducer.js';
export * from './types.js';
export { describeBlock, summaryTable, displayPath } from './plain.js';
export { describeState, auditTrail, listSessions, unfinishedSessions } from './history.js';
export type { SessionSummary } from './history.js';
export { sessionsDir, stateDir } from './journal.js';
