/**
 * Every command, defined once as data: its name, usage, what it does and its options. The
 * usage error lines, `stepgate --help` and `stepgate CMD --help` are generated from here;
 * each command's `main` parses its argv through `parseCommand(spec, argv)`, and `cli.ts` maps
 * each name to its module (loaded on demand). Data only: nothing here loads a command.
 */
import type { ParseArgsConfig } from 'node:util';
import { EXPORT_FLAGS, LOCK_FLAGS, LOCK_USAGE, PLAIN_FLAGS, QUIET_FLAG } from './flags.js';

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

export interface CommandSpec<O extends OptionsConfig = OptionsConfig> {
  /** How it is typed after `stepgate` (`fleet run`); empty for the bare TUI. */
  name: string;
  /** The usage line(s); continuation lines are indented under the first. */
  usage: string;
  /** What it does, for --help (wrapped there). */
  summary: string;
  options: O;
  /** Takes positional arguments (a file, an id). */
  positionals: boolean;
}

const spec = <const O extends OptionsConfig>(s: CommandSpec<O>): CommandSpec<O> => s;

export const TUI = spec({
  name: '',
  usage: `stepgate [FILE|DIR] [--as USER] [--var NAME=VALUE]... [--detach|--no-detach] [--skip-preflight REASON] ${LOCK_USAGE} [--quiet] [--allow-untrusted]`,
  summary:
    'the TUI (a picker for a directory; default ./runbooks); plain mode without a terminal. With tmux installed it runs in a detachable terminal of its own: a dropped SSM session does not stop the running step (ctrl-\\ detaches on purpose; --no-detach runs in place). It rings the terminal bell when a gate blocks, a manual item waits or a step longer than 10 s ends (and sends an OSC 9 notification where the terminal declares it reads one); --quiet: never',
  options: { as: { type: 'string' }, var: { type: 'string', multiple: true }, detach: { type: 'boolean' }, 'no-detach': { type: 'boolean' }, 'skip-preflight': { type: 'string' }, 'allow-untrusted': { type: 'boolean' }, ...LOCK_FLAGS, ...QUIET_FLAG },
  positionals: true,
});

export const RUN = spec({
  name: 'run',
  usage: `stepgate run FILE [--as USER] [--yes] [--recover | --recover-path N] [--var NAME=VALUE]... [--skip STEP=REASON]... [--skip-preflight REASON] ${LOCK_USAGE}`,
  summary:
    'plain, line-oriented run; stops at the first blocked gate (--yes confirms manual items and confirm= steps and takes vars\' defaults; --recover walks the first recovery path once, then retries; --recover-path N the gate\'s N-th)',
  options: { ...PLAIN_FLAGS, ...LOCK_FLAGS, 'skip-preflight': { type: 'string' } },
  positionals: true,
});

export const RESUME = spec({
  name: 'resume',
  usage: `stepgate resume [ID] [--plain] [--yes] [--rerun-interrupted] [--retry] [--recover | --recover-path N] [--as USER] [--var NAME=VALUE]... [--skip STEP=REASON]... [--detach|--no-detach] [--quiet] ${LOCK_USAGE} [--accept-edited-journal]`,
  summary:
    'continue a session after a crash or a dropped SSM session (default: the newest unfinished one) in the TUI on a terminal (--quiet: without its bell); --plain, or any flag after it, continues in plain mode; a journal changed after it was written is refused unless --accept-edited-journal (recorded)',
  options: {
    ...PLAIN_FLAGS,
    'rerun-interrupted': { type: 'boolean' },
    retry: { type: 'boolean' },
    plain: { type: 'boolean' },
    detach: { type: 'boolean' },
    'no-detach': { type: 'boolean' },
    'accept-edited-journal': { type: 'boolean' },
    ...LOCK_FLAGS,
    ...QUIET_FLAG,
  },
  positionals: true,
});

export const ATTACH = spec({
  name: 'attach',
  usage: 'stepgate attach [ID] [--watch]',
  summary:
    "back to a TUI that kept running after its terminal went away, yours or (by becoming its owner: sudo -n -u OWNER) another login user's; --watch: read-only",
  // --registry DIR: the attach run as the owner for another login user (attach-other.ts).
  options: { watch: { type: 'boolean' }, registry: { type: 'string' } },
  positionals: true,
});

export const LINT = spec({
  name: 'lint',
  usage: 'stepgate lint PATH... [--json]',
  summary: 'check runbooks like a compiler; exit 2 on errors',
  options: { json: { type: 'boolean' } },
  positionals: true,
});

export const PLAN = spec({
  name: 'plan',
  usage: 'stepgate plan FILE [--as USER] [--json]',
  summary: 'what would run, in order, without running it',
  options: { json: { type: 'boolean' }, as: { type: 'string' } },
  positionals: true,
});

export const PREFLIGHT = spec({
  name: 'preflight',
  usage: 'stepgate preflight FILE [--as USER] [--var NAME=VALUE]... [--json]',
  summary:
    'check on this host, as the run-as user, that every step parses and every command, script, directory and check host it needs is there; runs before every session too (--skip-preflight REASON on run or the TUI starts despite its errors, journaled)',
  options: { as: { type: 'string' }, var: { type: 'string', multiple: true }, json: { type: 'boolean' } },
  positionals: true,
});

export const SESSIONS = spec({
  name: 'sessions',
  usage: 'stepgate sessions [--all] [--json]',
  summary: 'list sessions: id, started, who, state, runbook (--all: also those where nothing ran)',
  options: { json: { type: 'boolean' }, all: { type: 'boolean' } },
  positionals: false,
});

export const LOG = spec({
  name: 'log',
  usage: 'stepgate log [ID] [--json]   (a session id, or a fleet rollout id)',
  summary: "a session's (or fleet rollout's) audit trail (default: the newest session in which something ran)",
  options: { json: { type: 'boolean' } },
  positionals: true,
});

export const REPORT = spec({
  name: 'report',
  usage: 'stepgate report [ID]   (a session id, or a fleet rollout id)',
  summary: 'a Markdown record of a session or rollout for the change ticket (default: the newest session in which something ran)',
  options: {},
  positionals: true,
});

export const DISCARD = spec({
  name: 'discard',
  usage: 'stepgate discard ID REASON...   (the reason is journaled)',
  summary: 'end a session not needed any more',
  options: { reason: { type: 'string' } },
  positionals: true,
});

export const EXPORT = spec({
  name: 'export',
  usage: `stepgate export --ssm command|automation FILE [-o OUT.json|OUT.yaml]
       [--param-store-prefix /PATH] [--param-store-type SecureString|String]
       [--approvers ARN[,ARN...]] [--as USER]`,
  summary: 'the runbook as an SSM document (docs/fleet.md)',
  options: { ssm: { type: 'string' }, out: { type: 'string', short: 'o' }, ...EXPORT_FLAGS },
  positionals: true,
});

export const FLEET_RUN = spec({
  name: 'fleet run',
  usage: `stepgate fleet run FILE (--targets tag:KEY=VALUE | --instance-ids ID[,ID...])
                 [--max-concurrency 1] [--max-errors 0] [--region R] [--var NAME=VALUE]...
                 [--param-store-prefix /PATH] [--as USER] [--poll 5s] [--no-wait]`,
  summary: 'roll the runbook out with SSM Run Command and watch every instance (docs/fleet.md)',
  options: {
    targets: { type: 'string' },
    'instance-ids': { type: 'string' },
    'max-concurrency': { type: 'string', default: '1' },
    'max-errors': { type: 'string', default: '0' },
    region: { type: 'string' },
    var: { type: 'string', multiple: true },
    poll: { type: 'string', default: '5s' },
    'no-wait': { type: 'boolean' },
    ...EXPORT_FLAGS,
  },
  positionals: true,
});

export const FLEET_STATUS = spec({
  name: 'fleet status',
  usage: 'stepgate fleet status ID [--no-wait] [--accept-edited-journal]',
  summary: "a rollout's instances, watched until it ends (--no-wait: once); a rollout journal changed after it was written is refused unless --accept-edited-journal (recorded)",
  options: { 'no-wait': { type: 'boolean' }, poll: { type: 'string', default: '5s' }, 'accept-edited-journal': { type: 'boolean' } },
  positionals: true,
});

export const FLEET_CANCEL = spec({
  name: 'fleet cancel',
  usage: 'stepgate fleet cancel ID [--accept-edited-journal]',
  summary: 'cancel a rollout on every instance still running it; a rollout journal changed after it was written is refused unless --accept-edited-journal (recorded)',
  options: { poll: { type: 'string', default: '5s' }, 'accept-edited-journal': { type: 'boolean' } },
  positionals: true,
});

/** The commands `stepgate NAME` runs, in the order --help lists them. */
export const COMMAND_SPECS = {
  run: RUN,
  resume: RESUME,
  attach: ATTACH,
  lint: LINT,
  plan: PLAN,
  preflight: PREFLIGHT,
  sessions: SESSIONS,
  log: LOG,
  report: REPORT,
  discard: DISCARD,
  export: EXPORT,
  fleet: spec({ name: 'fleet', usage: [FLEET_RUN.usage, FLEET_STATUS.usage, FLEET_CANCEL.usage].join('\n       '), summary: FLEET_RUN.summary, options: {}, positionals: true }),
  tui: TUI,
} as const;

export type CommandName = keyof typeof COMMAND_SPECS;
