/**
 * Facts about the host and the operator that go into the journal: who (behind sudo), from
 * which SSM session, on which host, with which stepgate.
 */
import { readFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { VERSION } from '../version.js';
import type { Who } from './types.js';

/**
 * The OS user who is really at the keyboard: `SUDO_USER` when stepgate runs under sudo (an
 * SSM `ssm-user` that became root), else `USER`/`LOGNAME`, else the account of the process.
 */
export function osUser(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env['SUDO_USER'] || env['USER'] || env['LOGNAME'];
  if (fromEnv) return fromEnv;
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? '?'}`;
  }
}

/** The account this process runs as (its uid's name), whatever the environment says. */
export function processAccount(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid:${process.getuid?.() ?? '?'}`;
  }
}

/** Env names under which an SSM session id is looked for, in order. */
export const SSM_ENV_NAMES = ['AWS_SSM_SESSION_ID', 'SSM_SESSION_ID'] as const;

/**
 * The AWS SSM Session Manager session id, when stepgate runs inside one.
 *
 * The agent does not export the id to the shell (its shell plugin sets only TERM, LANG and
 * HOME), so: first the env names above (set by a Session Manager shell profile or a wrapper,
 * e.g. `export AWS_SSM_SESSION_ID=...`), then the process tree: the agent starts each session
 * as `ssm-session-worker <session-id> ...`, so an ancestor with that name gives the id.
 */
export function ssmSessionId(env: NodeJS.ProcessEnv = process.env, procRoot = '/proc', startPid = process.ppid): string | undefined {
  for (const name of SSM_ENV_NAMES) {
    const value = env[name];
    if (value) return value;
  }
  let pid = startPid;
  for (let hops = 0; pid > 1 && hops < 32; hops += 1) {
    try {
      const argv = readFileSync(`${procRoot}/${pid}/cmdline`, 'utf8').split('\0');
      if (/(^|\/)ssm-session-worker$/.test(argv[0] ?? '') && argv[1]) return argv[1];
      // The parent pid is the 4th field of stat, after the parenthesised command name.
      const stat = readFileSync(`${procRoot}/${pid}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      pid = Number(rest[1]);
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function currentWho(env: NodeJS.ProcessEnv = process.env): Who {
  const who: Who = { user: osUser(env) };
  // SUDO_USER and USER are anyone's to set: the account beside them is the kernel's (a review
  // made `started by` and a DECISION name a CAB approver with SUDO_USER=cab-approver).
  const account = processAccount();
  if (account !== who.user) who.account = account;
  const ssm = ssmSessionId(env);
  if (ssm !== undefined) who.ssmSessionId = ssm;
  return who;
}

/** stepgate's version, as journaled in `session-started`. */
export function stepgateVersion(): string {
  return VERSION;
}

export function hostName(): string {
  return hostname();
}
