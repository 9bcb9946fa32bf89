/**
 * Runs a program on a pty of stepgate's own, relaying this terminal's keys to it and its output
 * back, so that the program (and what it starts) never has the operator's terminal as its
 * controlling terminal: a process there could type into it (TIOCSTI). For attaching, through
 * sudo or runuser, to another user's TUI, whose tmux server that user runs (sudo's `use_pty` is
 * not on everywhere, and neither it nor `runuser --pty` lets stepgate read what is relayed).
 */
import pty from 'node-pty';

/** How long a program has to end by itself once the leave key was pressed. */
const LEAVE_GRACE_MS = 2000;

export interface RelayOptions {
  /**
   * Sees what the program writes before this terminal does: for another user's tmux, what
   * would act on the terminal beyond its screen (a clipboard write, a title report typed back
   * as input) is dropped there (the caller's filter; exec does not decide what is safe).
   */
  output?: (data: string) => string;
  /**
   * A key that leaves: sent on once, so the program can end cleanly (tmux detaches), and no
   * key after it is. The relay ends when the program does, or LEAVE_GRACE_MS later: the other
   * user's tmux decides what the key does there, and a look-alike of stepgate's detach screen
   * captured what the operator typed next (a review).
   */
  leaveKey?: string;
  /** The program's working directory (default `/`: not one the operator's rights reach). */
  cwd?: string;
}

export function relayInPty(file: string, args: string[], env: NodeJS.ProcessEnv, options: RelayOptions = {}): Promise<{ code: number; signal?: number; left: boolean }> {
  const { output = (data: string) => data, leaveKey, cwd = '/' } = options;
  const stdin = process.stdin;
  const stdout = process.stdout;
  const term = pty.spawn(file, args, {
    name: env['TERM'] ?? 'xterm-256color',
    cols: stdout.columns || 80,
    rows: stdout.rows || 24,
    cwd,
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  let left = false;
  let grace: NodeJS.Timeout | undefined;
  const onKeys = (data: Buffer): void => {
    if (left) return;
    const text = data.toString('utf8');
    const at = leaveKey === undefined ? -1 : text.indexOf(leaveKey);
    if (at < 0) {
      term.write(text);
      return;
    }
    term.write(text.slice(0, at + (leaveKey?.length ?? 0)));
    left = true;
    // SIGTERM, not SIGHUP: `runuser --pty` passes a hang-up on to its child and stays (measured).
    grace = setTimeout(() => {
      term.kill('SIGTERM');
      grace = setTimeout(() => term.kill('SIGKILL'), LEAVE_GRACE_MS).unref();
    }, LEAVE_GRACE_MS);
  };
  // This terminal gone (a dropped SSM session): the relayed program hears a hang-up too.
  const onEnd = (): void => term.kill('SIGHUP');
  const onResize = (): void => term.resize(stdout.columns || 80, stdout.rows || 24);
  stdin.on('data', onKeys);
  stdin.on('end', onEnd);
  stdout.on('resize', onResize);
  stdin.resume();
  const relayed = term.onData((data) => {
    const shown = output(data);
    if (shown !== '') stdout.write(shown);
  });
  return new Promise((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      clearTimeout(grace);
      relayed.dispose();
      stdin.off('data', onKeys);
      stdin.off('end', onEnd);
      stdout.off('resize', onResize);
      try {
        if (stdin.isTTY) stdin.setRawMode(wasRaw);
      } catch {
        // The operator's terminal hung up meanwhile: no mode left to restore.
      }
      stdin.pause();
      resolve(signal ? { code: exitCode, signal, left } : { code: exitCode, left });
    });
  });
}
