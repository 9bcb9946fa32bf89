/**
 * `stepgate attach [ID] [--watch]`: back to a TUI that kept running after its terminal went
 * away (or was detached with ctrl-\), from a new terminal; `--watch` attaches read-only, for a
 * second operator (keys do nothing there but the detach key). Without ID: the only detached
 * TUI, or a list to choose from. Also the offer that `stepgate FILE|DIR` and `resume` make
 * when the session they would start or resume is already running detached.
 */
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { displayPath } from '../plain/print-events.js';
import { attachTo, liveTuis, type LiveTui } from './detach.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { ATTACH } from './specs.js';
import { EXIT } from './exit-codes.js';

const USAGE = ATTACH.usage;

function ask(question: string): Promise<string> {
  return new Promise((done) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    rl.question(question, (answer) => {
      rl.close();
      done(answer.trim());
    });
  });
}

/** One line per detached TUI: the session, its runbook, who started it and since when. */
function describeTui(tui: LiveTui, cwd: string): string {
  const s = tui.session;
  if (!s) return 'a TUI with no session open (the picker)';
  const since = new Date(s.since).toISOString().slice(11, 16);
  return `${s.id}  ${displayPath(s.runbook, cwd)}  (${s.who.user}, since ${since} UTC)`;
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(ATTACH, argv);
  if (typeof parsed === 'number') return parsed;
  const [id, extra] = parsed.positionals;
  if (extra !== undefined) return usageError(`one session at a time (got ${extra} too)`, USAGE);
  if (!process.stdin.isTTY || !process.stdout.isTTY) return usageError('attach needs a terminal on stdin and stdout', USAGE);
  const tuis = await liveTuis();
  const watch = parsed.values.watch === true;
  if (id !== undefined) {
    const tui = tuis.find((t) => t.session?.id === id);
    if (!tui) {
      process.stderr.write(`stepgate: no detached TUI holds session ${id}${tuis.length > 0 ? ` (detached now: ${tuis.map((t) => t.session?.id ?? 'picker').join(', ')})` : ''}; an unfinished session nobody runs is continued with: stepgate resume ${id}\n`);
      return EXIT.usage;
    }
    return attachTo(tui, watch);
  }
  if (tuis.length === 0) {
    process.stderr.write('stepgate: no detached TUI is running (stepgate sessions lists every session; continue one with stepgate resume)\n');
    return EXIT.usage;
  }
  const [only] = tuis;
  if (tuis.length === 1 && only) return attachTo(only, watch);
  process.stderr.write('detached TUIs:\n');
  tuis.forEach((t, i) => process.stderr.write(`  ${i + 1}. ${describeTui(t, process.cwd())}\n`));
  const answer = await ask(`attach to which (1-${tuis.length}, enter cancels)? `);
  const chosen = /^\d+$/.test(answer) ? tuis[Number(answer) - 1] : undefined;
  if (!chosen) {
    process.stderr.write('stepgate: nothing attached\n');
    return answer === '' ? EXIT.completed : EXIT.usage;
  }
  return attachTo(chosen, watch);
}

/**
 * Before starting or resuming in the TUI: a detached TUI already holds `match`ing session
 * (the same runbook, or the session being resumed). Asks whether to attach to it instead; the
 * exit code of the attach, or undefined to go on as asked.
 */
export async function offerAttach(match: (tui: LiveTui) => boolean, instead = 'starting another'): Promise<number | undefined> {
  const tui = (await liveTuis()).find(match);
  if (!tui?.session) return undefined;
  process.stderr.write(`stepgate: session ${describeTui(tui, process.cwd())} is running detached\n`);
  const answer = await ask(`attach to it instead of ${instead}? [Y/n] `);
  if (/^n/i.test(answer)) return undefined;
  return attachTo(tui, false);
}

/** A detached TUI holding a session of this runbook file (or of any runbook under this directory). */
export function sameRunbook(target: string, isDir: boolean): (tui: LiveTui) => boolean {
  const path = resolve(target);
  return (tui) => tui.session !== undefined && (isDir ? tui.session.runbook.startsWith(`${path}/`) : tui.session.runbook === path);
}
