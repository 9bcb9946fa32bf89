/**
 * `stepgate [FILE|DIR] [--as USER] [--var NAME=VALUE]...`: the terminal UI. A directory
 * (default ./runbooks) opens the picker, a file opens its runbook. Without a terminal on
 * stdin and stdout (or under CI) the TUI is not started: a one-line note, then plain mode
 * (`run`). `stepgate resume` on a terminal opens its session here too (`resumeInTui`).
 *
 * This module only checks the command line and decides where the TUI runs: on a terminal
 * outside tmux it is the launcher of the private tmux server (detach.ts), which starts
 * stepgate again inside it, so it loads nothing the TUI itself needs (the runbook parser, the
 * session, Ink): that would only delay the second start. tui-session.ts runs the TUI in place.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { recentSessionsNaming } from '../session/session-heads.js';
import { sessionsDir } from '../session/session-paths.js';
import { plainArgv } from './plain-fallback.js';
import { plainModeReason } from './interactive.js';
import { parseVarFlags } from './var-flags.js';
import { setTrustPolicy } from './trust.js';
import { SKIP_PREFLIGHT_NO_REASON, usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { TUI } from './specs.js';
import { CannotWrap, isDetachedChild, launch, liveTuis, placement, sameRunbook } from './detach.js';
import { lockFlags } from './lock-flags.js';
import { EXIT } from './exit-codes.js';

const USAGE = TUI.usage;

export async function main(argv: string[]): Promise<number> {
  const plainWhy = plainModeReason();
  if (plainWhy !== undefined) {
    process.stderr.write(`stepgate: ${plainWhy}; running in plain mode (stepgate run)\n`);
    const plain = plainArgv(argv);
    if ('refused' in plain) return usageError(plain.refused, USAGE);
    const run = await import('./run.js');
    return run.main(plain);
  }
  const parsed = parseCommand(TUI, argv);
  if (typeof parsed === 'number') return parsed;
  setTrustPolicy(parsed.values['allow-untrusted'] === true ? 'allow' : 'refuse');
  const [target = 'runbooks', extra] = parsed.positionals;
  if (extra !== undefined) return usageError(`one runbook or directory at a time (got ${extra} too)`, USAGE);
  const vars = parseVarFlags(parsed.values.var);
  if (typeof vars === 'string') return usageError(vars, USAGE);
  const locking = lockFlags(parsed.values);
  if (typeof locking === 'string') return usageError(locking, USAGE);
  if (!existsSync(target)) {
    // Bare `stepgate` looks for ./runbooks: say where it looked and what else to give.
    if (parsed.positionals.length === 0)
      return usageError(`no runbooks directory in ${process.cwd()}: give a runbook or a directory of runbooks (stepgate FILE|DIR), or start stepgate where runbooks/ is`, USAGE);
    return usageError(`${target}: no such file or directory`, USAGE);
  }
  const as = parsed.values.as;
  const skipPreflight = parsed.values['skip-preflight'];
  if (skipPreflight !== undefined && skipPreflight.trim() === '') return usageError(SKIP_PREFLIGHT_NO_REASON, USAGE);
  const isDir = statSync(target).isDirectory();
  const where = placement({ detach: parsed.values.detach === true, noDetach: parsed.values['no-detach'] === true });
  if (where.kind === 'error') return usageError(where.message, USAGE);
  let note = where.kind === 'in-place' ? where.note : undefined;
  if (where.kind === 'wrap') {
    // The same runbook already running detached: going back to it beats a second session.
    const same = sameRunbook(target, isDir);
    if ((await liveTuis()).some(same)) {
      const attached = await (await import('./attach.js')).offerAttach(same, 'starting another');
      if (attached !== undefined) return attached;
    }
  }
  // A new session starts the runbook from its first step: an unfinished one is offered first.
  // Only a runbook that a recent journal names can have one: the offer's modules (the journal
  // reader, the reducer) are not loaded for the others.
  const candidates = isDir || isDetachedChild() ? [] : await recentSessionsNaming(sessionsDir(), resolve(target));
  if (candidates.length > 0) {
    const offer = await (await import('./offer-resume.js')).offerResume(target, parsed.values, vars, candidates);
    if ('cancelled' in offer) {
      process.stderr.write('stepgate: cancelled; nothing started\n');
      return EXIT.interrupted;
    }
    if ('resume' in offer) return (await import('./resume.js')).main(offer.resume);
  }
  if (where.kind === 'wrap') {
    try {
      return await launch(where.tmux, argv);
    } catch (error) {
      if (!(error instanceof CannotWrap)) throw error;
      note = error.message;
    }
  }
  const { openInPlace } = await import('./tui-session.js');
  return openInPlace({ target, isDir, as, vars, locking, skipPreflight, note, quiet: parsed.values.quiet === true });
}
