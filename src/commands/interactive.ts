/**
 * The one decision between the TUI and plain mode (line output), for every caller:
 * `stepgate [FILE|DIR]` (cli.ts and `tui`), `resume`, and fleet's live table. The TUI needs a
 * terminal on stdout, and on stdin when it reads keys; it is not started under CI (`CI` set to
 * anything but `false` or `0`), where a pipeline wants line output even when a runner happens
 * to give it a pty; and a flag only a plain walk obeys (`--yes`, `--plain`) asks for plain mode.
 */

export interface FaceContext {
  env?: NodeJS.ProcessEnv;
  /** Where keys come from; null when the face reads none (fleet's table only draws). */
  stdin?: { isTTY?: boolean } | null;
  stdout?: { isTTY?: boolean };
  /** A flag only a plain walk obeys, as the note says it (`--yes given`). */
  plainFlag?: string | undefined;
}

/** Why plain mode, as the one-line note says it; undefined when the TUI starts. */
export function plainModeReason(context: FaceContext = {}): string | undefined {
  const { env = process.env, stdin = process.stdin, stdout = process.stdout } = context;
  if ((stdin !== null && !stdin.isTTY) || !stdout.isTTY) return stdin === null ? 'stdout is not a terminal' : 'stdin/stdout is not a terminal';
  const ci = env['CI'];
  if (ci !== undefined && ci !== '' && ci !== 'false' && ci !== '0') return `CI=${ci} is set`;
  return context.plainFlag;
}
