/**
 * `stepgate attach [ID] [--watch]`: back to a TUI that kept running after its terminal went
 * away (or was detached with ctrl-\), from a new terminal; `--watch` attaches read-only, for a
 * second operator (keys do nothing there but the detach key). Without ID: the only detached
 * TUI, or a list to choose from. Also the offer that `stepgate FILE|DIR` and `resume` make
 * when the session they would start or resume is already running detached. Another login
 * user's detached TUI is listed too (its beacon) and reached by becoming that user
 * (attach-other.ts).
 */
import { displayPath } from '../plain/print-events.js';
import { attachTo, liveTuis, type LiveTui } from './detach.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { ATTACH } from './specs.js';
import { attachAsOwner, othersTuis, ownRegistry } from './attach-other.js';
import type { BeaconInfo } from '../exec/beacon.js';
import { EXIT } from './exit-codes.js';
import { askLine, askYesNo } from './ask.js';
import { existsSync } from 'node:fs';
import { journalPath, sessionsDir } from '../session/session-paths.js';

const USAGE = ATTACH.usage;

/** One line per detached TUI: the session, its runbook, who started it and since when. */
function describeTui(tui: LiveTui, cwd: string): string {
  const s = tui.session;
  if (!s) return 'a TUI with no session open (the picker)';
  const since = new Date(s.since).toISOString().slice(11, 16);
  return `${s.id}  ${displayPath(s.runbook, cwd)}  (${s.who.user}, since ${since} UTC)`;
}

/** A detached TUI this login user may try to reach: its own, or another user's (through that user). */
type Target = { kind: 'own'; tui: LiveTui } | { kind: 'other'; info: BeaconInfo };

function targetId(target: Target): string | undefined {
  return target.kind === 'own' ? target.tui.session?.id : target.info.session?.id;
}

function describeTarget(target: Target, cwd: string): string {
  if (target.kind === 'own') return describeTui(target.tui, cwd);
  const s = target.info.session;
  if (!s) return `${target.info.user}'s TUI with no session open (the picker)`;
  const since = new Date(s.since).toISOString().slice(11, 16);
  return `${s.id}  ${displayPath(s.runbook, cwd)}  (${target.info.user}'s, since ${since} UTC)`;
}

function attachTarget(target: Target, watch: boolean): Promise<number> {
  return target.kind === 'own' ? attachTo(target.tui, watch) : attachAsOwner(target.info, watch);
}

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(ATTACH, argv);
  if (typeof parsed === 'number') return parsed;
  const [id, extra] = parsed.positionals;
  if (extra !== undefined) return usageError(`one session at a time (got ${extra} too)`, USAGE);
  if (!process.stdin.isTTY || !process.stdout.isTTY) return usageError('attach needs a terminal on stdin and stdout', USAGE);
  const watch = parsed.values.watch === true;
  const registry = parsed.values.registry;
  if (registry !== undefined) {
    // Another login user became us to attach to our TUI (attach-other.ts).
    const tui = await ownRegistry(registry);
    if (typeof tui === 'string') {
      process.stderr.write(`stepgate: ${tui}\n`);
      return EXIT.usage;
    }
    return attachTo(tui, watch);
  }
  const [own, others] = await Promise.all([liveTuis(), othersTuis()]);
  const targets: Target[] = [...own.map((tui): Target => ({ kind: 'own', tui })), ...others.map((info): Target => ({ kind: 'other', info }))];
  if (id !== undefined) {
    const target = targets.find((t) => targetId(t) === id);
    if (!target) {
      const now = targets.map((t) => targetId(t) ?? 'picker');
      process.stderr.write(`stepgate: no detached TUI holds session ${id}${now.length > 0 ? ` (detached now: ${now.join(', ')})` : ''}; an unfinished session nobody runs is continued with: stepgate resume ${id}\n`);
      return EXIT.usage;
    }
    if (target.kind === 'other') {
      // Anyone can announce a TUI under any session id: one of the caller's own ids in another
      // user's beacon is a look-alike (a review lured root into one after root's TUI ended),
      // and going to another user's TUI is asked, as from the list.
      if (existsSync(journalPath(sessionsDir(), id))) {
        process.stderr.write(`stepgate: session ${id} is yours, but the detached TUI that claims it runs as ${target.info.user}: not attaching (continue it with: stepgate resume ${id})\n`);
        return EXIT.usage;
      }
      const answer = await askYesNo(`session ${id} runs detached as ${target.info.user}; attach to it as ${target.info.user}${watch ? ', watching' : ''}?`, 'no');
      if (answer !== 'yes') {
        process.stderr.write('stepgate: nothing attached\n');
        return answer === 'cancelled' ? EXIT.interrupted : EXIT.completed;
      }
    }
    return attachTarget(target, watch);
  }
  if (targets.length === 0) {
    process.stderr.write('stepgate: no detached TUI is running (stepgate sessions lists every session; continue one with stepgate resume)\n');
    return EXIT.usage;
  }
  // After your own drop, your own TUI is the one you mean: the only one of yours. Another user's
  // is listed and asked for, even alone: anyone can announce one (a review's lured root in).
  const mine = targets.filter((t) => t.kind === 'own');
  const [only] = mine;
  if (mine.length === 1 && only) return attachTarget(only, watch);
  process.stderr.write('detached TUIs:\n');
  targets.forEach((t, i) => process.stderr.write(`  ${i + 1}. ${describeTarget(t, process.cwd())}\n`));
  const answer = (await askLine(`attach to which (1-${targets.length}, enter cancels)? `))?.trim();
  const chosen = answer !== undefined && /^\d+$/.test(answer) ? targets[Number(answer) - 1] : undefined;
  if (!chosen) {
    process.stderr.write('stepgate: nothing attached\n');
    if (answer === undefined) return EXIT.interrupted;
    return answer === '' ? EXIT.completed : EXIT.usage;
  }
  return attachTarget(chosen, watch);
}

/**
 * Before starting or resuming in the TUI: a detached TUI already holds `match`ing session
 * (the same runbook, or the session being resumed). Asks whether to attach to it instead; the
 * exit code of the attach, or undefined to go on as asked.
 */
export async function offerAttach(match: (tui: LiveTui) => boolean, instead: string | undefined): Promise<number | undefined> {
  const tui = (await liveTuis()).find(match);
  if (!tui?.session) return undefined;
  // Without `instead`: the session asked for is that one, which cannot be resumed while it runs.
  process.stderr.write(`stepgate: session ${describeTui(tui, process.cwd())} is running detached${instead === undefined ? ' (a running session cannot be resumed)' : ''}\n`);
  const answer = await askYesNo(instead === undefined ? 'attach to it?' : `attach to it instead of ${instead}?`, 'yes');
  if (answer === 'cancelled') {
    process.stderr.write('stepgate: cancelled; nothing started\n');
    return EXIT.interrupted;
  }
  return answer === 'no' ? undefined : attachTo(tui, false);
}
