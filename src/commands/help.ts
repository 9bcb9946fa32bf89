/**
 * `stepgate --help` and `stepgate CMD --help`, generated from the command table (`specs.ts`):
 * a usage line written once is the one help prints and the one a usage error names.
 */
import { wordWrap } from '../session/word-wrap.js';
import { COMMAND_SPECS, type CommandSpec } from './specs.js';

const WIDTH = 96;
/** Where a short command's summary starts on its usage line. */
const SUMMARY_COLUMN = 35;

/** A command's usage lines, then what it does indented under them (or beside a short one). */
function section(spec: CommandSpec): string[] {
  const usage = spec.usage.split('\n');
  const [only] = usage;
  if (usage.length === 1 && only !== undefined && only.length < SUMMARY_COLUMN - 3 && SUMMARY_COLUMN + spec.summary.length <= WIDTH) {
    return [`  ${only.padEnd(SUMMARY_COLUMN - 2)}${spec.summary}`];
  }
  // A long usage line goes on under its command's first argument, broken between options only.
  const keep = (line: string): string => line.replace(/[[(][^\])]*[\])]/g, (group) => group.replaceAll(' ', '\u00a0'));
  const wrapped = usage.flatMap((line) =>
    wordWrap(`  ${keep(line)}`, WIDTH, Math.min(24, 2 + (/^\s*stepgate(?: [a-z]+)*(?= )/.exec(line)?.[0].length ?? 0) + 1)).map((row) => row.replaceAll('\u00a0', ' ')),
  );
  return [...wrapped, ...wordWrap(`        ${spec.summary}`, WIDTH, 8)];
}

const TAIL = `options:
  -h, --help       this help (after a command: that command's)
  -v, --version    print the version

--wait-lock | --steal-lock REASON (run, resume, the TUI): a runbook's deploy lock (front matter
  lock:, default its path) lets one session of it run on the host; a second is refused naming
  the holder, unless it waits for it or takes it over (the reason journaled in both sessions).
--allow-untrusted (run, resume, the TUI): run a runbook, or follow a file it links to, that
  another user owns or that is writable by group or others (refused otherwise; journaled).
vars can also come from the environment as STEPGATE_VAR_<NAME>.
exit codes: 0 completed, 1 blocked, aborted or rolled back, 2 usage error, invalid runbook,
  a run-as user stepgate cannot become, an AWS error or a fleet target that matched no
  instance, 130 interrupted
environment: NO_COLOR disables colour; STEPGATE_STATE_DIR moves journals
  (default \${XDG_STATE_HOME:-~/.local/state}/stepgate)
docs: docs/operator-guide.md, docs/runbook-format.md, docs/keys.md
`;

/** The whole help: the bare TUI first, then every command in the table's order. */
export function fullHelp(version: string): string {
  const { tui, ...commands } = COMMAND_SPECS;
  const sections = [tui, ...Object.values(commands)].flatMap(section);
  return `stepgate ${version} - markdown runbooks as gated, journaled checklists\n\nusage:\n${sections.join('\n')}\n\n${TAIL}`;
}

/** One command's help: its usage, what it does, and the options it takes. */
export function commandHelp(spec: CommandSpec): string {
  const options = Object.entries(spec.options).map(([name, o]) => `--${name}${o.short ? ` (-${o.short})` : ''}${o.type === 'string' ? ' VALUE' : ''}${o.multiple ? ' (repeatable)' : ''}`);
  const lines = [`usage: ${spec.usage}`, '', ...wordWrap(spec.summary, WIDTH, 0)];
  if (options.length > 0) lines.push('', ...wordWrap(`options: ${options.join(', ')}`, WIDTH, 9));
  lines.push('', 'stepgate --help lists every command, the exit codes and the environment');
  return `${lines.join('\n')}\n`;
}
