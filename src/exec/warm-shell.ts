/**
 * A session shell started before its session exists: bash and the user's startup files run
 * while stepgate checks the runbook and the host, opens the journal and takes its locks, and
 * the session's first shell is this one, given its directory and environment then
 * (`ShellProcess.prewarm`, `adopt`). A shell nobody takes is closed: it ran the user's profile,
 * as preflight's login shell does, and nothing else.
 */
import { resolveRunAs, type RunAs } from './run-as.js';
import { ShellProcess } from './shell-process.js';

export class WarmShell {
  private proc: ShellProcess | undefined;

  private constructor(proc: ShellProcess) {
    this.proc = proc;
  }

  /** Starts a shell as `user` (undefined: this process's user) in a terminal of this size. */
  static async start(user: string | undefined, cols: number, rows: number): Promise<WarmShell> {
    const runAs = await resolveRunAs(user);
    return new WarmShell(ShellProcess.prewarm({ runAs, cols, rows }));
  }

  /**
   * The prewarmed shell for a session shell as `runAs`, once. Undefined when there is none any
   * more, or it cannot serve (another user, or it ended): it is closed then, and the caller
   * starts one as it would have.
   */
  take(runAs: RunAs): ShellProcess | undefined {
    const proc = this.proc;
    this.proc = undefined;
    if (!proc) return undefined;
    if (proc.waiting && proc.runAs.user === runAs.user && proc.runAs.mode === runAs.mode) return proc;
    void dispose(proc);
    return undefined;
  }

  /** Closes the shell unless it was taken; what it left in the temp directory goes with it. */
  async close(): Promise<void> {
    const proc = this.proc;
    this.proc = undefined;
    if (proc) await dispose(proc);
  }
}

async function dispose(proc: ShellProcess): Promise<void> {
  await proc.close(0);
  await proc.removeState();
}
