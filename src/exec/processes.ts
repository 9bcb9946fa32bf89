/**
 * Process bookkeeping through /proc: which processes belong to a shell's sessions, which
 * process group holds the terminal, and signalling them even when they run as another user.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { OWN_SESSION, runInOwnSession } from './own-session.js';
import type { RunAs } from './run-as.js';

/** The name of signal number `n` (`SIGTERM` for 15), if there is one. */
export function signalName(n: number): string | undefined {
  return Object.entries(os.constants.signals).find(([, value]) => value === n)?.[0];
}

export interface ProcStat {
  pid: number;
  ppid: number;
  pgrp: number;
  session: number;
  /** Foreground process group of the process's controlling terminal (-1 without one). */
  tpgid: number;
  state: string;
  /** When it started (clock ticks since boot, as /proc says it): a pid and this name one process, reused pids aside. */
  startTime: string;
}

export function readProcStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name is in parentheses and may itself contain spaces or parentheses.
  const rest = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const num = (i: number): number => Number(rest[i]);
  return { pid, state: rest[0] ?? '?', ppid: num(1), pgrp: num(2), session: num(3), tpgid: num(5), startTime: rest[19] ?? '' };
}

/** Live processes (zombies excluded) whose session id is one of `sessions`. */
export function processesInSessions(sessions: Iterable<number>): number[] {
  const wanted = new Set(sessions);
  wanted.delete(0);
  if (wanted.size === 0) return [];
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name));
    if (stat && wanted.has(stat.session) && stat.state !== 'Z') pids.push(stat.pid);
  }
  return pids;
}

/**
 * Send a signal to processes (positive pids) or process groups (negative), as ourselves when
 * allowed, else through `sudo -u target kill` (a non-root stepgate cannot signal the target
 * user's processes directly). Missing processes are ignored.
 */
export async function signalAll(targets: number[], signal: NodeJS.Signals, runAs?: RunAs): Promise<void> {
  const denied = signalDirect(targets, signal);
  if (denied.length === 0 || !runAs || runAs.mode !== 'sudo') return;
  await runInOwnSession(runAs.via ?? 'sudo', ['-n', '-u', runAs.user, 'kill', '-s', signal.replace(/^SIG/, ''), '--', ...denied.map(String)], { timeoutMs: 10_000 });
}

/** Synchronous variant for process-exit handlers. */
export function signalAllSync(targets: number[], signal: NodeJS.Signals, runAs?: RunAs): void {
  const denied = signalDirect(targets, signal);
  if (denied.length === 0 || !runAs || runAs.mode !== 'sudo') return;
  spawnSync(runAs.via ?? 'sudo', ['-n', '-u', runAs.user, 'kill', '-s', signal.replace(/^SIG/, ''), '--', ...denied.map(String)], {
    ...OWN_SESSION,
    stdio: 'ignore',
    timeout: 5000,
  });
}

function signalDirect(targets: number[], signal: NodeJS.Signals): number[] {
  const denied: number[] = [];
  for (const target of targets) {
    try {
      process.kill(target, signal);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EPERM') denied.push(target);
    }
  }
  return denied;
}

/**
 * Whatever must die with stepgate. `process.on('exit')` handlers must be synchronous, so each
 * entry is a synchronous kill.
 */
const exitKills = new Set<() => void>();
let exitHookInstalled = false;

export function killOnExit(kill: () => void): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const fn of exitKills) {
        try {
          fn();
        } catch {
          // Best effort while exiting: nothing left to report to.
        }
      }
    });
  }
  exitKills.add(kill);
  return () => exitKills.delete(kill);
}

/** Whether any process of the group lives (one of another user's answers EPERM: it lives). */
export function groupAlive(group: number): boolean {
  try {
    process.kill(-group, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Block the thread (exit handlers cannot await). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
