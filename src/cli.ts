#!/usr/bin/env node
/**
 * stepgate's entry point: picks the subcommand, owns the exit code. Each command is loaded on
 * demand so `lint` and `plan` never load Ink or React (start-up stays fast).
 */
import { existsSync } from 'node:fs';
import { VERSION } from './version.js';
import { EXIT } from './commands/exit-codes.js';

interface Command {
  main(argv: string[]): Promise<number>;
}

/** Subcommands by name. Each module exports `main(argv) -> exit code`. */
const COMMANDS: Record<string, () => Promise<Command>> = {
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

const HELP = `stepgate ${VERSION} - markdown runbooks as gated, journaled checklists

usage:
  stepgate [FILE|DIR] [--as USER] [--var NAME=VALUE]... [--detach|--no-detach]
        the TUI (a picker for a directory; default ./runbooks); plain mode without a terminal.
        With tmux installed it runs in a detachable terminal of its own: a dropped SSM session
        does not stop the running step (ctrl-\\ detaches on purpose; --no-detach runs in place)
  stepgate run FILE [--as USER] [--yes] [--recover] [--var NAME=VALUE]... [--skip STEP=REASON]...
        plain, line-oriented run; stops at the first blocked gate (--yes confirms manual items
        and confirm= steps; --recover walks the first recovery path once, then retries)
  stepgate resume [ID] [--as USER] [--var NAME=VALUE]... [--plain] [--yes]
                  [--rerun-interrupted] [--retry] [--recover] [--skip STEP=REASON]...
                  [--accept-edited-journal]
        continue a session after a crash or a dropped SSM session (default: the newest
        unfinished one) in the TUI on a terminal; --plain, or any flag after it, continues
        in plain mode; a journal changed after it was written is refused unless
        --accept-edited-journal (recorded)
  stepgate attach [ID] [--watch]
        back to a TUI that kept running after its terminal went away; --watch: read-only
  stepgate lint PATH... [--json]   check runbooks like a compiler; exit 2 on errors
  stepgate plan FILE [--json]      what would run, in order, without running it
  stepgate preflight FILE [--as USER] [--var NAME=VALUE]... [--json]
        check on this host, as the run-as user, that every step parses and every command,
        script, directory and check host it needs is there; runs before every session too
        (--skip-preflight REASON on run or the TUI starts despite its errors, journaled)
  stepgate sessions [--all] [--json]
        list sessions: id, started, who, state, runbook (--all: also those where nothing ran)
  stepgate log ID [--json]         a session's (or fleet rollout's) audit trail
  stepgate report [ID]             a Markdown record of a session or rollout for the change ticket
                                   (default: the newest session in which something ran)
  stepgate discard ID REASON...    end a session not needed any more (the reason is journaled)
  stepgate export --ssm command|automation FILE [-o OUT.json|.yaml] [--approvers ARN,...]
                  [--param-store-prefix /PATH]   the runbook as an SSM document (docs/fleet.md)
  stepgate fleet run FILE (--targets tag:KEY=VALUE | --instance-ids ID,...) [--max-concurrency N]
                 [--max-errors N] [--region R] [--var NAME=VALUE]...
  stepgate fleet status ID | fleet cancel ID
        roll the runbook out with SSM Run Command and watch every instance (docs/fleet.md)

options:
  -h, --help       this help
  -v, --version    print the version

--wait-lock | --steal-lock REASON (run, resume, the TUI): a runbook's deploy lock (front matter
  lock:, default its path) lets one session of it run on the host; a second is refused naming
  the holder, unless it waits for it or takes it over (the reason journaled in both sessions).
--allow-untrusted (run, resume, the TUI): run a runbook, or follow a file it links to, that
  another user owns or that is writable by group or others (refused otherwise; journaled).
vars can also come from the environment as STEPGATE_VAR_<NAME>.
exit codes: 0 completed, 1 blocked, aborted or rolled back, 2 usage error, invalid runbook or
  a run-as user stepgate cannot become, 130 interrupted
environment: NO_COLOR disables colour; STEPGATE_STATE_DIR moves journals
  (default \${XDG_STATE_HOME:-~/.local/state}/stepgate)
docs: docs/operator-guide.md, docs/runbook-format.md, docs/keys.md
`;

async function dispatch(argv: string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '-h' || first === '--help' || first === 'help') {
    process.stdout.write(HELP);
    return EXIT.completed;
  }
  if (first === '-v' || first === '--version') {
    // The runtime's path says which node runs stepgate: the package's own runtime/node, never
    // one found on PATH (docs/package.md).
    process.stdout.write(`stepgate ${VERSION}\nNode.js ${process.version} (${process.execPath})\n`);
    return EXIT.completed;
  }
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP);
    return EXIT.completed;
  }
  if (first !== undefined && COMMANDS[first]) return (await COMMANDS[first]()).main(rest);
  // A word that is neither a command nor a path is a mistyped command, not a missing runbook.
  if (first !== undefined && /^[a-z][a-z-]*$/.test(first) && !existsSync(first)) {
    process.stderr.write(`stepgate: unknown command "${first}" (commands: ${Object.keys(COMMANDS).filter((c) => c !== 'tui').join(', ')}; or give a runbook FILE or DIR)\n`);
    return EXIT.usage;
  }
  // No subcommand: the TUI on a terminal, plain mode otherwise (CI, pipes, cron).
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY) && !argv.includes('--yes');
  const mode = interactive && COMMANDS.tui ? 'tui' : 'run';
  const command = COMMANDS[mode];
  if (!command) {
    process.stderr.write(`stepgate: this build has no "${mode}" command\n`);
    return EXIT.usage;
  }
  if (mode === 'run' && interactive === false && process.stdout.isTTY !== true && COMMANDS.tui)
    process.stderr.write('stepgate: no terminal on stdin/stdout, running in plain mode\n');
  return (await command()).main(argv);
}

// `stepgate sessions | head` closes the pipe early: that is the reader's choice, not an error.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

/** The TUI inside its detachable terminal takes its arguments from the stepgate that started it. */
async function argvOfThisProcess(): Promise<string[]> {
  if (process.env['STEPGATE_DETACH_CHILD'] === undefined) return process.argv.slice(2);
  return (await import('./commands/detach.js')).becomeChild() ?? process.argv.slice(2);
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
    process.stderr.write(`stepgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = EXIT.usage;
  },
);
