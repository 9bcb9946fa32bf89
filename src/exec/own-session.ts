/**
 * Every process stepgate starts as another user runs in a session of its own, without the
 * operator's terminal: that user can attach a debugger to a process of theirs (or their profile
 * can leave one behind) and type into a controlling terminal with TIOCSTI, a command the
 * operator's shell (root's, or ssm-user's) then runs. `detached` is setsid; node honours it for
 * spawnSync too, though its types leave it out.
 */
import { spawn } from 'node:child_process';

export const OWN_SESSION: { detached: boolean } = { detached: true };

export interface OwnSessionResult {
  stdout: string;
  stderr: string;
  /** The exit code; null when killed (`signal`: the timeout's SIGKILL, or another) or never started (`error`). */
  code: number | null;
  signal?: NodeJS.Signals | null;
  error?: NodeJS.ErrnoException;
}

/** Runs a program in its own session, stdin from /dev/null; its output whatever its end. */
export function runInOwnSession(file: string, args: readonly string[], opts: { timeoutMs: number; maxBytes?: number; env?: NodeJS.ProcessEnv }): Promise<OwnSessionResult> {
  const max = opts.maxBytes ?? 16 * 1024 * 1024;
  return new Promise((resolve) => {
    const child = spawn(file, args, { ...OWN_SESSION, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/', ...(opts.env ? { env: opts.env } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < max) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-4096)));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code: null, error });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ stdout, stderr, code, signal });
    });
  });
}
