#!/usr/bin/env node
/**
 * stepgate's entry point: picks the subcommand, owns the exit code. Each command is loaded on
 * demand so `lint` and `plan` never load Ink or React (start-up stays fast).
 */
import { plainArgv } from './commands/plain-fallback.js';
import { plainModeReason } from './commands/interactive.js';
import { existsSync, writeSync } from 'node:fs';
import { VERSION } from './version.js';
import { EXIT } from './commands/exit-codes.js';
import { isFullDisk, outputLoss, outputLossClaimed } from './commands/output-loss.js';
import { commandHelp, fullHelp, helpWidth } from './commands/help.js';
import { COMMAND_SPECS, type CommandName } from './commands/specs.js';
import { parseCommand } from './commands/parse-command.js';
import { nearMiss } from './runbooks/near-miss.js';
import { tuneTiering } from './commands/tiering.js';
import { writeWholeToFiles } from './commands/whole-writes.js';

interface Command {
  main(argv: string[]): Promise<number>;
}

/** Each command's module, loaded on demand; its name, usage and options are in `commands/specs.ts`. */
const COMMANDS: Record<CommandName, () => Promise<Command>> = {
  lint: () => import('./commands/lint.js'),
  plan: () => import('./commands/plan.js'),
  preflight: () => import('./commands/preflight.js'),
  run: () => import('./commands/run.js'),
  resume: () => import('./commands/resume.js'),
  sessions: () => import('./commands/sessions.js'),
  log: () => import('./commands/log.js'),
  discard: () => import('./commands/discard.js'),
  report: () => import('./commands/report.js'),
  tui: () => import('./commands/tui.js'),
  export: () => import('./commands/export.js'),
  attach: () => import('./commands/attach.js'),
  fleet: () => import('./commands/fleet.js'),
};

const isCommand = (word: string | undefined): word is CommandName => word !== undefined && Object.hasOwn(COMMANDS, word);

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(fullHelp(VERSION, helpWidth()));
    return EXIT.completed;
  }
  if (first === '-v' || first === '--version') {
    // The runtime's path says which node runs stepgate: the package's own runtime/node, never
    // one found on PATH (docs/package.md).
    process.stdout.write(`stepgate ${VERSION}\nNode.js ${process.version} (${process.execPath})\n`);
    return EXIT.completed;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(isCommand(first) ? commandHelp(COMMAND_SPECS[first], helpWidth()) : fullHelp(VERSION, helpWidth()));
    return EXIT.completed;
  }
  if (isCommand(first)) {
    tuneTiering(first);
    return (await COMMANDS[first]()).main(rest);
  }
  // A word that is neither a command nor a path is a mistyped command, not a missing runbook.
  if (first !== undefined && /^[a-z][a-z-]*$/.test(first) && !existsSync(first)) {
    const commands = Object.keys(COMMANDS).filter((c) => c !== 'tui');
    const near = nearMiss(first, commands);
    process.stderr.write(`stepgate: unknown command "${first}"${near !== undefined ? `: did you mean ${near}?` : ''} (commands: ${commands.join(', ')}; or give a runbook FILE or DIR)\n`);
    return EXIT.usage;
  }
  // No subcommand: the TUI on a terminal, plain mode otherwise (CI, pipes, cron, --yes). A
  // mistyped option is said first, as the TUI's: not "for stepgate run" after a line about
  // plain mode (a trial's `stepgate --versoin`).
  // Either mode's options: plain mode takes run's (--yes, --recover, --skip) here too.
  if (typeof parseCommand({ ...COMMAND_SPECS.tui, options: { ...COMMAND_SPECS.tui.options, ...COMMAND_SPECS.run.options } }, argv) === 'number') return EXIT.usage;
  const yes = argv.includes('--yes');
  const plainWhy = plainModeReason({ plainFlag: yes ? '--yes given' : undefined });
  if (plainWhy === undefined) return (await COMMANDS.tui()).main(argv);
  if (process.stdout.isTTY !== true) process.stderr.write('stepgate: no terminal on stdin/stdout, running in plain mode\n');
  // On a terminal under CI; --yes asked for plain mode itself and is told nothing.
  else if (process.stdin.isTTY === true && !yes) process.stderr.write(`stepgate: ${plainWhy}; running in plain mode (stepgate run)\n`);
  const plain = plainArgv(argv);
  if ('refused' in plain) {
    process.stderr.write(`stepgate: ${plain.refused}\n`);
    return EXIT.usage;
  }
  return (await COMMANDS.run()).main(plain);
}

writeWholeToFiles();

// `stepgate sessions | head` closes the pipe early: that is the reader's choice, not an error.
// A closed terminal (EIO) leaves nothing to say either; a full disk does (below). While a
// session runs, the session handles them all (commands/output-loss.ts): its running step must
// be stopped and journaled.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    const loss = outputLoss(error);
    if (loss === undefined) throw error;
    if (outputLossClaimed()) return;
    // Output cut short for want of room (`stepgate log ID > trail.txt` on a full disk) is a
    // failure to say, where the other stream still can: not an exit 0 with half a file.
    if (isFullDisk(loss)) {
      try {
        writeSync(stream === process.stdout ? 2 : 1, `stepgate: ${error.message}: the output is incomplete\n`);
      } catch {
        // Neither stream can take it: the exit code says it.
      }
      process.exit(EXIT.blocked);
    }
    process.exit(process.exitCode ?? 0);
  });
}

/** The TUI inside its detachable terminal takes its arguments from the stepgate that started it. */
async function argvOfThisProcess(): Promise<string[]> {
  if (process.env['STEPGATE_DETACH_CHILD'] === undefined) return process.argv.slice(2);
  const argv = (await import('./commands/detach.js')).becomeChild() ?? process.argv.slice(2);
  // This process draws the TUI in the pane: Ink and the session's modules start loading now,
  // beside the command's own. Not before becomeChild: Ink's colour support reads the
  // environment it restores (the pane's own says tmux, not the operator's terminal).
  import('./commands/tui-screen.js').then((screen) => screen.loadUi()).catch(() => undefined);
  import('./commands/tui-session.js').catch(() => undefined);
  return argv;
}

argvOfThisProcess().then(dispatch).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // An error with an exit code is the operator's to fix and says how: its message is enough.
    const code = (error as { exitCode?: unknown } | undefined)?.exitCode;
    if (error instanceof Error && typeof code === 'number') {
      process.stderr.write(`${error.message.startsWith('stepgate: ') ? '' : 'stepgate: '}${error.message}\n`);
      process.exitCode = code;
      return;
    }
    // A full disk is the host's to fix, not a bug: say where, not the stack.
    const errno = (error as { code?: unknown } | undefined)?.code;
    if (error instanceof Error && (errno === 'ENOSPC' || errno === 'EDQUOT')) {
      const where = process.env['STEPGATE_STATE_DIR'] ?? '~/.local/state/stepgate (or $XDG_STATE_HOME/stepgate)';
      process.stderr.write(`stepgate: ${error.message}: the disk that holds the state directory ${where} is full; free space there, or set STEPGATE_STATE_DIR to a directory on another disk, then run again\n`);
      process.exitCode = EXIT.usage;
      return;
    }
    process.stderr.write(`stepgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.usage;
  },
);
