/**
 * Through runuser (stepgate run as root) the session's terminal is runuser's, and runuser
 * blocks the hang-up: stepgate killed (SIGKILL, out of memory) left the shell and the step it
 * was running behind, unseen, while the journal said the step never finished and `resume`
 * offered to run it again beside it. Through sudo, or as oneself, the terminal's hang-up
 * reaches bash, which hangs the step up (see __sg_pre in rc-script.ts).
 *
 * A guard in a session of its own waits on a pipe only this process writes to. At end of file
 * without the all-clear (a line), this process is gone: the guard hangs bash up, as the
 * terminal would have, provided bash is still the process it was (its start time).
 */
import { spawn } from 'node:child_process';
import { readProcStat } from './processes.js';

export interface OrphanGuard {
  /** The shell is being closed, or has ended: the guard exits without a word to it. */
  release(): void;
}

/**
 * bash, with builtins only (a minimal PATH must not silence it). It first closes every
 * descriptor it inherited past stderr: stepgate's pty masters are not close-on-exec, and a
 * master held open here would keep the terminal up after stepgate's death.
 */
const GUARD_SCRIPT = `for f in /proc/$$/fd/*; do n=\${f##*/}; [ "$n" -gt 2 ] 2>/dev/null && eval "exec $n>&-"; done
read -r _ && exit 0
{ IFS= read -r stat <"/proc/$1/stat"; } 2>/dev/null || exit 0
set -- "$1" "$2" \${stat##*) }
[ "\${22}" = "$2" ] && kill -HUP "$1"`;

/** Guards the shell `bashPid` (another user's, this process root) against this process's death; undefined when it cannot. */
export function guardShell(bashPid: number): OrphanGuard | undefined {
  const started = readProcStat(bashPid)?.startTime;
  if (!started) return undefined;
  try {
    const guard = spawn('/bin/bash', ['-c', GUARD_SCRIPT, 'stepgate-guard', String(bashPid), started], {
      stdio: ['pipe', 'ignore', 'ignore'],
      detached: true,
    });
    guard.on('error', () => undefined);
    guard.stdin.on('error', () => undefined);
    // Neither the guard nor its pipe keeps stepgate running.
    guard.unref();
    (guard.stdin as unknown as { unref?: () => void }).unref?.();
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        guard.stdin.end('\n');
      },
    };
  } catch {
    return undefined;
  }
}
