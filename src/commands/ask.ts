/**
 * One yes/no question on the terminal before the TUI starts (attach to a detached TUI, resume
 * an unfinished session). Asked on stderr so that stdout stays the command's own, or on
 * stdout when stderr is not the terminal (`2>err.log`): the operator must see what they are
 * waiting on.
 */
import { createInterface } from 'node:readline';

/** The operator's choice; `cancelled` after ctrl-C or end of input (ctrl-D). */
export type Answer = 'yes' | 'no' | 'cancelled';

/** How many unclear answers are asked again before the question counts as cancelled. */
const TRIES = 3;

/**
 * Asks `question` (its default shown after it, `[Y/n]` or `[y/N]`) until the answer is y, yes,
 * n, no or empty (the default); anything else is asked again, as a stray `q` must not say yes.
 * A line is read, not a key: the prompt says enter is needed, as in the TUI y and n act at once
 * (an enter typed out of habit after a single-key answer would reach the TUI and run a step).
 *
 * One reader holds the terminal (raw) from the first prompt to the answer, across the questions
 * asked again: closed and opened again between them, the terminal went back to cooked mode for
 * a moment, where a ctrl-c killed stepgate with SIGINT instead of cancelling, and the keys typed
 * ahead in the same read as the stray answer (`q` enter ctrl-c, or `q` enter `y` enter) reached
 * no reader and were lost.
 */
export function askYesNo(question: string, byDefault: 'yes' | 'no'): Promise<Answer> {
  const output = process.stderr.isTTY ? process.stderr : process.stdout;
  const prompt = `${question} ${byDefault === 'yes' ? '[Y/n]' : '[y/N]'} then enter: `;
  return new Promise((done) => {
    const rl = createInterface({ input: process.stdin, output, terminal: true, prompt });
    let answered = false;
    let unclear = 0;
    const answer = (value: Answer): void => {
      answered = true;
      rl.close();
      done(value);
    };
    rl.on('SIGINT', () => rl.close());
    rl.on('close', () => {
      if (answered) return;
      output.write('\n');
      done('cancelled');
    });
    rl.on('line', (line) => {
      if (answered) return;
      const said = line.trim().toLowerCase();
      if (said === '') return answer(byDefault);
      if (said === 'y' || said === 'yes') return answer('yes');
      if (said === 'n' || said === 'no') return answer('no');
      output.write('please answer y or n, then enter (ctrl-c cancels)\n');
      unclear += 1;
      if (unclear >= TRIES) return answer('cancelled');
      rl.prompt();
    });
    rl.prompt();
  });
}

/** One line, or undefined on ctrl-C or end of input. */
export function askLine(question: string, output: NodeJS.WritableStream = process.stderr.isTTY ? process.stderr : process.stdout): Promise<string | undefined> {
  return new Promise((done) => {
    const rl = createInterface({ input: process.stdin, output, terminal: true });
    let answered = false;
    rl.on('SIGINT', () => rl.close());
    rl.on('close', () => {
      if (!answered) done(undefined);
    });
    rl.question(question, (line) => {
      answered = true;
      rl.close();
      done(line);
    });
  });
}
