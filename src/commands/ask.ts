/**
 * One question on the terminal before the TUI starts (attach to a detached TUI, resume an
 * unfinished session): asked on stderr so that stdout stays the command's own.
 */
import { createInterface } from 'node:readline';

/** The operator's answer, trimmed; an empty line is the default the question names. */
export function ask(question: string): Promise<string> {
  return new Promise((done) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      done(answer.trim());
    });
  });
}
