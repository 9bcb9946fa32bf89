/**
 * The operator's terminal when stdin or stdout is not it: `stepgate deploy.md | tee deploy.log`
 * sends stdout to a pipe, `< answers.txt` takes stdin from a file, yet the process still has a
 * controlling terminal (`/dev/tty`) with a person at it. Plain mode asks there (manual items,
 * `confirm=` steps, vars) instead of stopping; only without any terminal (cron, CI, a detached
 * process) does it stop and say that `--yes` ticks them.
 */
import { openSync } from 'node:fs';
import { ReadStream, WriteStream } from 'node:tty';

export interface Terminal {
  input: NodeJS.ReadStream;
  output: NodeJS.WriteStream;
  /** Gives the terminal back (leaves raw mode, closes what was opened here). */
  close(): void;
}

/**
 * Holds the event loop while `task` reads the terminal (an unreferenced stream would let the
 * process exit in the middle of a question).
 */
export async function reading<T>(term: Terminal, task: () => Promise<T>): Promise<T> {
  const stream = term.input as unknown as { ref?: () => void; unref?: () => void };
  stream.ref?.();
  try {
    return await task();
  } finally {
    if (term.input !== process.stdin) stream.unref?.();
  }
}

/**
 * stdin/stdout when both are the terminal; otherwise `/dev/tty` opened for this process, or
 * undefined when there is none (no controlling terminal: ENXIO). `STEPGATE_NO_TTY=1` pretends
 * there is none (a script that must never be asked anything).
 */
let shared: Terminal | undefined | null = null;

/** `operatorTerminal()` opened once per process (the first caller opens it). */
export function sharedTerminal(): Terminal | undefined {
  if (shared === null) shared = operatorTerminal();
  return shared;
}

export function operatorTerminal(env: NodeJS.ProcessEnv = process.env): Terminal | undefined {
  if (process.stdin.isTTY && process.stdout.isTTY) return { input: process.stdin, output: process.stdout, close: () => undefined };
  if (env['STEPGATE_NO_TTY'] === '1') return undefined;
  let readFd: number;
  let writeFd: number;
  try {
    readFd = openSync('/dev/tty', 'r');
    writeFd = openSync('/dev/tty', 'w');
  } catch {
    return undefined;
  }
  const input = new ReadStream(readFd);
  const output = new WriteStream(writeFd);
  // Only read while something is asked: an unreferenced, paused stream keeps nothing alive.
  input.pause();
  input.unref();
  output.unref();
  // A terminal left in raw mode by an exit mid-question would not echo the operator's shell.
  // After a hang-up the terminal is gone and setting its mode fails (EIO): nothing to restore.
  const cooked = (): void => {
    try {
      if (input.isRaw) input.setRawMode(false);
    } catch {
      // hung up
    }
  };
  process.once('exit', cooked);
  return {
    input: input as unknown as NodeJS.ReadStream,
    output: output as unknown as NodeJS.WriteStream,
    close: () => {
      cooked();
      input.destroy();
      output.destroy();
    },
  };
}
