/**
 * What a new session journals first, as `resume.ts` is what a resumed one does: its runbooks
 * loaded (linked ones too) and learned by the session's memory, the main flow planned, and the
 * `session-started` event.
 */
import type { Runbook } from '../runbooks/model.js';
import { collectRunbooks, collectVars, journaledVars, planMain } from './plan.js';
import { digests } from './resume.js';
import type { SessionMemory } from './session-memory.js';
import type { SessionDeps, StartOptions } from './store-types.js';
import type { SessionEvent } from './types.js';

type SessionStarted = Extract<SessionEvent, { type: 'session-started' }>;

/** The event that starts the session on `options.file` (already absolute). */
export async function startedEvent(options: StartOptions, deps: SessionDeps, memory: SessionMemory): Promise<SessionStarted> {
  const collected = await collectRunbooks(options.file, deps.loadRunbook);
  memory.learnBooks(collected.books);
  const main = collected.books.get(options.file) as Runbook;
  const frame = planMain(main, collected.books);
  const vars = collectVars(collected.books, options.file);
  memory.learnVars(vars);
  const startOptions: { as?: string; yes?: boolean; allowedUntrusted?: string[] } = {};
  if (options.as !== undefined) startOptions.as = options.as;
  const untrusted = deps.allowedUntrusted?.() ?? [];
  if (untrusted.length > 0) startOptions.allowedUntrusted = untrusted;
  if (options.yes !== undefined) startOptions.yes = options.yes;
  return {
    type: 'session-started',
    at: deps.clock.now(),
    v: 1,
    id: deps.journal.id,
    version: deps.host.version,
    who: deps.host.who(),
    host: deps.host.host,
    pid: deps.host.pid,
    cwd: deps.host.cwd,
    runbooks: digests(collected.digests),
    frame,
    vars: journaledVars(vars),
    options: startOptions,
    runAs: options.as ?? main.frontMatter.user ?? deps.host.account,
  };
}
