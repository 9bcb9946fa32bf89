/**
 * A ctrl-c written to the pty signals whichever process group holds the terminal at that
 * instant. Between two commands of a step that can be a group nobody in it reacts for: the
 * group of a command that has just ended (bash has not taken the terminal back yet), or
 * bash's child before its exec, still running bash's own handlers. The SIGINT is lost there,
 * and the step went on to its next command until the SIGTERM of the escalation. This follows
 * the terminal for a while after an interrupt and sends SIGINT, once, to a foreground group
 * whose leader would have died of it but is alive: it cannot have got it. A command that
 * catches or ignores SIGINT (an installer that cleans up first, sudo passing it on) is never
 * sent a second one: what it does with a ctrl-c is its own.
 */
import { readFileSync } from 'node:fs';

const SIGINT_BIT = 1n << 1n;

function mask(status: string, field: string): bigint {
  const hex = new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1];
  return hex === undefined ? 0n : BigInt(`0x${hex}`);
}

/** Whether `pid` is alive and SIGINT would end it (neither caught nor ignored: the default action). */
export function endsOnSigint(pid: number): boolean {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return false;
  }
  const state = /^State:\s*(\S)/m.exec(status)?.[1];
  if (state === undefined || state === 'Z' || state === 'X') return false;
  return ((mask(status, 'SigCgt') | mask(status, 'SigIgn')) & SIGINT_BIT) === 0n;
}

export interface MissedInterruptWatch {
  cancel(): void;
}

/**
 * Every `everyMs` for `forMs`: the terminal's foreground group (`foreground`, undefined when
 * it is bash's own), and when its leader `endsOnSigint`, `send` it SIGINT; each group once.
 */
export function watchMissedInterrupt(o: { foreground: () => number | undefined; send: (group: number) => Promise<void>; everyMs: number; forMs: number }): MissedInterruptWatch {
  const sent = new Set<number>();
  const look = (): void => {
    const group = o.foreground();
    if (group === undefined || sent.has(group) || !endsOnSigint(group)) return;
    sent.add(group);
    void o.send(group).catch(() => undefined);
  };
  const timer = setInterval(look, o.everyMs);
  const stop = setTimeout(() => clearInterval(timer), o.forMs);
  return {
    cancel: () => {
      clearInterval(timer);
      clearTimeout(stop);
    },
  };
}
