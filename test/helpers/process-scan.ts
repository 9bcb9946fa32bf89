/** Finding processes by their argv through /proc, for tests that prove nothing was left running. */
import { readdirSync, readFileSync } from 'node:fs';

export interface FoundProcess {
  pid: number;
  pgid: number;
  cmdline: string;
}

/** Live processes (zombies excluded, this one excluded) whose argv contains `needle`. */
export function processesWith(needle: string): FoundProcess[] {
  const out: FoundProcess[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      if (!cmdline.includes(needle)) continue;
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z') out.push({ pid: Number(entry), pgid: Number(rest[2]), cmdline });
    } catch {
      // gone already
    }
  }
  return out;
}

/** Live processes in process group `pgid`. */
export function processGroupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (rest[0] !== 'Z' && Number(rest[2]) === pgid) out.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return out;
}

let serial = 0;
/** A `sleep` duration no other test uses, so the sleep can be found by its argv. */
export function uniqueSleepSeconds(): string {
  return `${1000 + (process.pid % 1000)}.${Date.now() % 100000}${serial++}`;
}
