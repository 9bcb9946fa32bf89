/**
 * The one way a command reads its argv: `node:util` parseArgs over the command's spec, and a
 * usage error in stepgate's words (which option, what it takes, the usage line) instead of
 * Node's raw text.
 */
import { parseArgs } from 'node:util';
import { nearMiss } from '../runbooks/near-miss.js';
import type { CommandSpec, OptionsConfig } from './specs.js';
import { usageError } from './usage.js';

type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: true; strict: true }>>;

/** `--name` (and `-x`) of each option, for messages. */
function optionNames(options: OptionsConfig): string {
  const names = Object.entries(options).map(([name, o]) => `--${name}${o.short ? `/-${o.short}` : ''}`);
  return names.length === 0 ? 'no options' : names.join(', ');
}

function commandLabel(spec: CommandSpec): string {
  return spec.name === '' ? 'stepgate' : `stepgate ${spec.name}`;
}

/** Why `argv` does not parse against `spec`, in stepgate's words. */
export function whyNot(spec: CommandSpec, argv: string[]): string {
  // Lenient: the tokens say which argument is wrong without Node's own message.
  const { tokens } = parseArgs({ args: argv, options: spec.options, allowPositionals: true, strict: false, tokens: true });
  for (const token of tokens) {
    if (token.kind === 'positional' && !spec.positionals) return `${commandLabel(spec)} takes no arguments (got ${token.value})`;
    if (token.kind !== 'option') continue;
    const option = spec.options[token.name];
    if (!option) {
      const near = nearMiss(token.name, [...Object.keys(spec.options), ...(spec.name === '' ? ['help', 'version'] : ['help'])]);
      return `unknown option ${token.rawName} for ${commandLabel(spec)}${near !== undefined ? `: did you mean --${near}?` : ''} (it takes ${optionNames(spec.options)})`;
    }
    if (option.type === 'string' && token.value === undefined) return `${token.rawName} needs a value`;
    if (option.type === 'boolean' && token.value !== undefined) return `${token.rawName} takes no value (got ${token.rawName}=${token.value})`;
  }
  return `cannot read the arguments: ${argv.join(' ')}`;
}

/** The parsed values and positionals, or (a usage error said on stderr) the exit code. */
export function parseCommand<O extends OptionsConfig>(spec: CommandSpec<O>, argv: string[]): Parsed<O> | number {
  try {
    return parseArgs({ args: argv, options: spec.options, allowPositionals: spec.positionals as true, strict: true });
  } catch {
    return usageError(whyNot(spec, argv), spec.usage);
  }
}
