#!/usr/bin/env node
/**
 * stepgate's entry point: picks the subcommand, owns the exit code. Each command is loaded on
 * demand so `lint` and `plan` never load Ink or React (start-up stays fast).
 */
import { VERSION } from './version.js';

interface Command {
  main(argv: string[]): Promise<number>;
}

/** Subcommands by name. Each module exports `main(argv) -> exit code`. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  lint: () => import('./commands/lint.js'),
  plan: () => import('./commands/plan.js'),
  run: () => import('./commands/run.js'),
  resume: () => import('./commands/resume.js'),
  sessions: () => import('./commands/sessions.js'),
  log: () => import('./commands/log.js'),
  tui: () => import('./commands/tui.js'),
};

const HELP = `stepgate ${VERSION} - markdown runbooks as gated, journaled checklists

usage:
  stepgate [FILE|DIR]              open the TUI (a picker for a directory; default ./runbooks)
  stepgate run FILE [--as USER] [--yes] [--recover] [--var NAME=VALUE]
                                   plain, line-oriented run; stops at the first blocked gate
  stepgate lint PATH... [--json]   check runbooks; exit 2 on errors
  stepgate plan FILE [--json]      show what would run, in order, without running it
  stepgate resume [ID] [--yes]     continue a session after a crash or a dropped SSM session
  stepgate sessions                list sessions
  stepgate log ID [--json]         print a session's audit trail

options:
  -h, --help       this help
  -v, --version    print the version

exit codes: 0 completed, 1 blocked or aborted, 2 usage error or invalid runbook, 130 interrupted
environment: NO_COLOR disables colour; STEPGATE_STATE_DIR moves journals
  (default \${XDG_STATE_HOME:-~/.local/state}/stepgate)
docs: docs/operator-guide.md, docs/runbook-format.md
`;

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(HELP);
    return 0;
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(`${VERSION}\n`);
    return 0;
  }
  if (first !== undefined && COMMANDS[first]) return (await COMMANDS[first]()).main(rest);
  if (first !== undefined && first.startsWith('-') && !['--yes', '--as'].includes(first)) {
    process.stderr.write(`stepgate: unknown option ${first}\n${HELP}`);
    return 2;
  }
  // No subcommand: the TUI on a terminal, plain mode otherwise (CI, pipes, cron).
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !argv.includes('--yes');
  const mode = interactive && COMMANDS.tui ? 'tui' : 'run';
  const command = COMMANDS[mode];
  if (!command) {
    process.stderr.write(`stepgate: this build has no "${mode}" command\n`);
    return 2;
  }
  if (mode === 'run' && interactive === false && process.stdout.isTTY !== true && COMMANDS.tui)
    process.stderr.write('stepgate: no terminal on stdin/stdout, running in plain mode\n');
  return (await command()).main(argv);
}

dispatch(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`stepgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
