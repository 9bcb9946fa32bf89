/**
 * The one decision between the TUI and plain mode, shared by `stepgate [FILE|DIR]` (`tui`) and
 * `resume`: the TUI needs a terminal on both stdin and stdout, and is not started under CI
 * (`CI` set to anything but `false` or `0`), where a pipeline wants line output even when a
 * runner happens to give it a pty.
 */

/** Why the TUI is not started, as the one-line note says it; undefined when it is. */
export function plainModeReason(
  env: NodeJS.ProcessEnv = process.env,
  stdin: { isTTY?: boolean } = process.stdin,
  stdout: { isTTY?: boolean } = process.stdout,
): string | undefined {
  if (!stdin.isTTY || !stdout.isTTY) return 'stdin/stdout is not a terminal';
  const ci = env['CI'];
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return `CI=${ci} is set`;
  return undefined;
}
