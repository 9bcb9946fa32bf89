/**
 * Checks made before a session starts, so that an operator who cannot become the run-as user
 * is told how to fix it before anything runs or is journaled.
 */
import { resolve } from 'node:path';
import { RunAsError, resolveRunAs } from '../exec/run-as.js';
import { readRunbookFileSync } from './load.js';

/** Undefined when stepgate can become `user` (undefined = the current user); else why not. */
export async function runAsRefusal(user: string | undefined): Promise<string | undefined> {
  try {
    await resolveRunAs(user);
    return undefined;
  } catch (error) {
    if (error instanceof RunAsError) return error.message;
    throw error;
  }
}

/** The run-as user a journaled session's main runbook names, read afresh (undefined = the invoking user). */
export function runbookUser(started: { cwd: string; frame: { source: { file: string } } }): string | undefined {
  return readRunbookFileSync(resolve(started.cwd, started.frame.source.file)).runbook.frontMatter.user;
}
