/**
 * Runs a program on a pty of stepgate's own, relaying this terminal's keys to it and its output
 * back, so that the program (and what it starts) never has the operator's terminal as its
 * controlling terminal: a process there could type into it (TIOCSTI). For attaching, through
 * sudo, to another user's TUI, whose tmux server that user runs (`runuser --pty` does the same
 * through runuser; sudo's `use_pty` is not on everywhere).
 */
import pty from 'node-pty';

export function relayInPty(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; signal?: number }> {
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
  const output = term.onData((data) => stdout.write(data));
  return new Promise((resolve) => {
    term.onExit(({ exitCode, signal }) => {
      output.dispose();
      stdin.off('data', onKeys);
      stdin.off('end', onEnd);
      stdout.off('resize', onResize);
      if (stdin.isTTY) stdin.setRawMode(wasRaw);
      stdin.pause();
      resolve(signal ? { code: exitCode, signal } : { code: exitCode });
    });
  });
}
