/**
 * `stepgate FILE` without a terminal runs in plain mode (`stepgate run`), which has no
 * placement to choose: `--no-detach` asks for what plain mode does anyway and is dropped, and
 * so is `--quiet` (plain mode rings no bell);
 * `--detach` cannot be had without a terminal and is refused, saying why.
 */
export function plainArgv(argv: string[]): string[] | { refused: string } {
  if (argv.includes('--detach')) return { refused: '--detach needs a terminal to detach from; plain mode (no terminal) runs in place: drop --detach, or start it inside tmux or screen yourself' };
  return argv.filter((a) => a !== '--no-detach' && a !== '--quiet');
}
