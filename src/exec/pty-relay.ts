/**
 * Runs a program on a pty of stepgate's own, relaying this terminal's keys to it and its output
 * back, so that the program (and what it starts) never has the operator's terminal as its
 * controlling terminal: a process there could type into it (TIOCSTI). For attaching, through
 * sudo or runuser, to another user's TUI, whose tmux server that user runs (sudo's `use_pty` is
 * not on everywhere, and neither it nor `runuser --pty` lets stepgate read what is relayed).
 */
import pty from 'node-pty';

/**
 * `output` sees what the program writes before this terminal does: for another user's tmux,
 * what would act on the terminal beyond its screen (a clipboard write, a title report typed
 * back as input) is dropped there (the caller's filter; exec does not decide what is safe).
 */
export function relayInPty(file: string, args: string[], env: NodeJS.ProcessEnv, output: (data: string) => string = (data) => data): Promise<{ code: number; signal?: number }> {
  const stdin = process.stdin;
  const stdout = process.stdout;
  const term = pty.spawn(file, args, {
    name: env['TERM'] ?? 'xterm-256color',
    cols: stdout.columns || 80,
    rows: stdout.rows || 24,
    cwd: process.cwd(),
    env: Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined)),
  });
  const wasRaw = stdin.isTTY ? stdin.isRaw : false;
  if (stdin.isTTY) stdin.setRawMode(true);
  const onKeys = (data: Buffer): void => term.write(data.toString('utf8'));
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
      relayed.dispose();
      stdin.off('data', onKeys);
      stdin.off('end', onEnd);
      stdout.off('resize', onResize);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      resolve(signal ? { code: exitCode, signal } : { code: exitCode });
    });
  });
}
