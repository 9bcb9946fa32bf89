/**
 * `stepgate --help` and `stepgate CMD --help`, generated from the command table (`specs.ts`):
 * a usage line written once is the one help prints and the one a usage error names.
 */
import { wordWrap } from '../session/word-wrap.js';
import { COMMAND_SPECS, type CommandSpec } from './specs.js';

/** Help's width when it is not printed on a terminal (a pipe, a file, the docs). */
export const HELP_WIDTH = 96;
/** Narrower than this, help wraps so much that the terminal's own wrapping reads better. */
const NARROWEST = 60;

/**
 * The width help is printed at: the terminal's when stdout is one narrower than HELP_WIDTH (an
 * SSM session's 80 columns cut help's lines mid-word), else HELP_WIDTH.
 */
export function helpWidth(out: { isTTY?: boolean; columns?: number } = process.stdout): number {
  const columns = out.isTTY === true ? out.columns : undefined;
  return columns !== undefined && columns >= NARROWEST && columns < HELP_WIDTH ? columns : HELP_WIDTH;
}
/** Where a short command's summary starts on its usage line. */
const SUMMARY_COLUMN = 35;

/** A usage line wrapped between options only: `[--as USER]` stays whole on its row. */
function wrapUsage(line: string, width: number, indent: number): string[] {
  const kept = line.replace(/[[(][^\])]*[\])]/g, (group) => group.replaceAll(' ', '\u00a0'));
  return wordWrap(kept, width, indent).map((row) => row.replaceAll('\u00a0', ' '));
}

/** A command's usage lines, then what it does indented under them (or beside a short one). */
function section(spec: CommandSpec, width: number): string[] {
  const usage = spec.usage.split('\n');
  const [only] = usage;
  if (usage.length === 1 && only !== undefined && only.length < SUMMARY_COLUMN - 3 && SUMMARY_COLUMN + spec.summary.length <= width) {
    return [`  ${only.padEnd(SUMMARY_COLUMN - 2)}${spec.summary}`];
  }
  // A long usage line goes on under its command's first argument.
  const wrapped = usage.flatMap((line) => wrapUsage(`  ${line}`, width, Math.min(24, 2 + (/^\s*stepgate(?: [a-z]+)*(?= )/.exec(line)?.[0].length ?? 0) + 1)));
  return [...wrapped, ...wordWrap(`        ${spec.summary}`, width, 8)];
}

/** After the commands: each entry a paragraph, wrapped to the width with its later rows indented. */
const TAIL = [
  'options:',
  '  -h, --help       this help (after a command: that command\'s)',
  '  -v, --version    print the version',
  '',
  '--wait-lock | --steal-lock REASON (run, resume, the TUI): a runbook\'s deploy lock (front matter lock:, default its path) lets one session of it run on the host; a second is refused naming the holder, unless it waits for it or takes it over (the reason journaled in both sessions).',
  '--allow-untrusted (run, resume, the TUI): run a runbook, or follow a file it links to, that another user owns or that is writable by group or others (refused otherwise; journaled).',
  'vars can also come from the environment as STEPGATE_VAR_<NAME>.',
  'exit codes: 0 completed, 1 blocked, aborted or rolled back, 2 usage error, invalid runbook, a run-as user stepgate cannot become, an AWS error or a fleet target that matched no instance, 130 interrupted',
  'environment: NO_COLOR disables colour; STEPGATE_STATE_DIR moves journals (default ${XDG_STATE_HOME:-~/.local/state}/stepgate)',
  'docs: docs/operator-guide.md, docs/runbook-format.md, docs/keys.md',
];

/** The whole help: the bare TUI first, then every command in the table's order. */
export function fullHelp(version: string, width = HELP_WIDTH): string {
  const { tui, ...commands } = COMMAND_SPECS;
  const sections = [tui, ...Object.values(commands)].flatMap((spec) => section(spec, width));
  const tail = TAIL.flatMap((entry) => (entry === '' ? [''] : wordWrap(entry, width, 2)));
  return `stepgate ${version} - markdown runbooks as gated, journaled checklists\n\nusage:\n${sections.join('\n')}\n\n${tail.join('\n')}\n`;
}

/** One command's help: its usage, what it does, and the options it takes. */
export function commandHelp(spec: CommandSpec, width = HELP_WIDTH): string {
  const options = Object.entries(spec.options).map(([name, o]) => `--${name}${o.short ? ` (-${o.short})` : ''}${o.type === 'string' ? ' VALUE' : ''}${o.multiple ? ' (repeatable)' : ''}`);
  // A usage's own continuation lines are indented to line up under `stepgate`: that indent is
  // the one given here, not added to it (`fleet --help` printed its options 14 columns in).
  const lines = [...spec.usage.split('\n').flatMap((line, i) => wrapUsage(i === 0 ? `usage: ${line}` : `       ${line.replace(/^ {1,7}/, '')}`, width, 7)), '', ...wordWrap(spec.summary, width, 0)];
  if (options.length > 0) lines.push('', ...wordWrap(`options: ${options.join(', ')}`, width, 9));
  lines.push('', 'stepgate --help lists every command, the exit codes and the environment');
  return `${lines.join('\n')}\n`;
}
