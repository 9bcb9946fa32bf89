/**
 * stepgate's output going away while a session runs: the operator's terminal closed (a write
 * fails with EIO, often before SIGHUP arrives, sometimes instead of it) or the reader of a pipe
 * left (`stepgate run x.md | head`: EPIPE), or the file it goes to has no room left (ENOSPC,
 * EFBIG). Outside a session, cli.ts leaves quietly (for want of room: with exit 1), as
 * `sessions | head` should. Inside one, leaving would strand the running step: its shell goes
 * on unsupervised and the journal never says how the step ended. A command that runs a session
 * claims the loss instead, stops the step and journals it as a dropped terminal.
 */
import { closeSync, fstatSync } from 'node:fs';
import { isatty } from 'node:tty';

/** A pipe whose reader left, a terminal that closed, or a file on a full disk (or at its size limit or its owner's quota). */
const LOSSES = ['EPIPE', 'EIO', 'ENOSPC', 'EFBIG', 'EDQUOT'] as const;
export type OutputLoss = (typeof LOSSES)[number];

const isLoss = (code: unknown): code is OutputLoss => (LOSSES as readonly unknown[]).includes(code);

/** Output that could not be written for want of room: not a reader's choice, so never a quiet exit 0. */
export function isFullDisk(loss: OutputLoss): boolean {
  return loss === 'ENOSPC' || loss === 'EFBIG' || loss === 'EDQUOT';
}

/** What interrupts a running session: a signal, or its output going away. */
export type Interruption = NodeJS.Signals | OutputLoss;

let claiming = 0;
let claimedOnce = false;

/** The operator's side is gone (a hang-up or a lost output), as opposed to a Ctrl-C or a kill. */
export function isDrop(cause: Interruption): boolean {
  return cause === 'SIGHUP' || isLoss(cause);
}

/** The journaled reason a running step was stopped when the operator's side went away. */
export function droppedReason(cause: Interruption): string {
  if (cause === 'EPIPE') return 'stepgate\'s output was closed (EPIPE: whatever read it went away) while it ran: stepgate stopped it';
  if (cause === 'EIO') return 'the terminal closed (EIO on a write) while it ran: stepgate stopped it';
  // `run x.md --yes > deploy.log` on a full disk: what the step prints would be lost unseen.
  if (cause === 'ENOSPC') return "stepgate's output could not be written (ENOSPC: no space left on the device it goes to) while it ran: stepgate stopped it";
  if (cause === 'EFBIG') return "stepgate's output could not be written (EFBIG: the file it goes to is at its size limit) while it ran: stepgate stopped it";
  if (cause === 'EDQUOT') return "stepgate's output could not be written (EDQUOT: the disk quota where it goes is used up) while it ran: stepgate stopped it";
  return `the terminal closed (${cause}) while it ran: stepgate stopped it`;
}

/**
 * Once the operator's side is gone: writes to it fail again and again and must not crash the
 * close that journals the step's end, and Node must not abort resetting the dead terminal.
 */
export function outputGone(): void {
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  // A second hang-up (the kernel's, and the terminal emulator's own) could land after the
  // session has let go of its signals and before the process exits: SIGHUP's default action
  // then ended it by the signal, not with its code (a CI run's 'terminal closes' e2e).
  if (!process.listeners('SIGHUP').includes(laterHangUp)) process.on('SIGHUP', laterHangUp);
  forgetDeadTerminalOnExit();
}

/** A hang-up after the drop already handled: the process is on its way out with its own code. */
function laterHangUp(): void {
  // Nothing to do: see outputGone.
}

/** The loss when `error` is a write to a closed pipe or terminal or to a file with no room, else undefined. */
export function outputLoss(error: unknown): OutputLoss | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return isLoss(code) ? code : undefined;
}

/**
 * True when a session owns lost output: one is claiming it now, or a claimed loss already
 * happened (the writes after the session closed fail too, and must not end the process with
 * exit 0 before the command returns its own code).
 */
export function outputLossClaimed(): boolean {
  return claiming > 0 || claimedOnce;
}

/**
 * Calls `onLost` for each failed write of stdout or stderr that is a lost output, while the
 * claim lasts; other stream errors are left to cli.ts. Returns the release.
 */
export function claimOutputLoss(onLost: (loss: OutputLoss) => void): () => void {
  const claim = (loss: OutputLoss): void => {
    claimedOnce = true;
    onLost(loss);
  };
  const listener = (error: unknown): void => {
    const loss = outputLoss(error);
    if (loss !== undefined) claim(loss);
  };
  claiming += 1;
  process.stdout.on('error', listener);
  process.stderr.on('error', listener);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    claiming -= 1;
    process.stdout.off('error', listener);
    process.stderr.off('error', listener);
  };
}

let exitHooked = false;

/**
 * Node restores the terminal's modes as it exits
 * and aborts (SIGABRT, "Assertion failed ... ResetStdio") when that fails with EIO on a hung-up
 * terminal (nodejs/node#51519, fixed after Node 20); it skips a descriptor the program closed.
 * So as the process exits, stdin, stdout and stderr are closed where they are character
 * devices that are no longer terminals: the dead terminal (or /dev/null, which loses nothing).
 */
function forgetDeadTerminalOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const fd of [0, 1, 2]) {
      try {
        if (!isatty(fd) && fstatSync(fd).isCharacterDevice()) closeSync(fd);
      } catch {
        // Already closed.
      }
    }
  });
}
