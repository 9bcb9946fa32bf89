/**
 * Checks made before a session starts, so that an operator who cannot become the run-as user
 * is told how to fix it before anything runs or is journaled.
 */
import { RunAsError, resolveRunAs } from '../exec/index.js';

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
