/**
 * The pty a session shell runs in: an interactive bash with stepgate's rcfile, as the target
 * user. Apart from run-as.ts so that resolving a user (preflight, probes) never loads node-pty.
 */
import pty from 'node-pty';
import type { IPty } from 'node-pty';
import { asUser, targetUserEnv, type RunAs } from './run-as.js';

/** The target user's environment through runuser, stepgate's own otherwise; a 256-colour terminal. */
export function spawnLoginBash(runAs: RunAs, rcPath: string, cols: number, rows: number): IPty {
  const command = asUser(runAs, ['/bin/bash', '--noediting', '--rcfile', rcPath, '-i'], { login: true });
  const env =
    runAs.mode === 'runuser'
      ? targetUserEnv(runAs, process.env)
      : (Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<string, string>);
  env.TERM = 'xterm-256color';
  return pty.spawn(command.file, command.args, { name: 'xterm-256color', cols, rows, cwd: runAs.mode === 'self' ? process.cwd() : '/', env });
}
