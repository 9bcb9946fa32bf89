/**
 * The bash that runs steps is an interactive shell whose *commands* arrive on a private FIFO
 * while its terminal stays the operator's: nothing stepgate sends is ever echoed, and a step's
 * stdin is the pty, exactly as when typed. These are the generated scripts that set it up.
 */
import { MARKER_OSC } from './marker.js';

/** Quote a string for bash, single-quote style. */
export function shQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws on an environment name bash could not assign. */
export function checkEnvName(name: string): void {
  if (!ENV_NAME.test(name)) throw new Error(`invalid environment variable name "${name}"`);
}

/** `A='1' B='2' ` (with a trailing space), for prefixing a command. */
export function envAssignments(env: Record<string, string> | undefined): string {
  if (!env) return '';
  return Object.entries(env)
    .map(([name, value]) => {
      checkEnvName(name);
      return `${name}=${shQuote(value)} `;
    })
    .join('');
}

export interface BootstrapOptions {
  nonce: string;
  /** Source /etc/profile and the user's profile (a login), else only ~/.bashrc. */
  login: boolean;
  env?: Record<string, string>;
  cwd?: string;
  /** State directory of a previous shell of this user: its exports and cwd are restored. */
  restoreFrom?: string;
}

/** The rcfile of the session shell. */
export function rcScript(opts: BootstrapOptions): string {
  // One %s per field: printf would reuse the format for surplus arguments.
  const marker = (kind: string, fields: string[]): string =>
    `builtin printf '\\033]${MARKER_OSC};${opts.nonce};${kind};${fields.map(() => '%s').join(';')}\\007' ${fields.join(' ')}`;
  const exportsLines = Object.entries(opts.env ?? {})
    .map(([name, value]) => {
      checkEnvName(name);
      return `export ${name}=${shQuote(value)}`;
    })
    .join('\n');
  const startupFiles = opts.login
    ? `if [ -r /etc/profile ]; then . /etc/profile; fi
  if [ -r ~/.bash_profile ]; then . ~/.bash_profile
  elif [ -r ~/.bash_login ]; then . ~/.bash_login
  elif [ -r ~/.profile ]; then . ~/.profile; fi
  builtin cd ~ 2>/dev/null`
    : `if [ -r ~/.bashrc ]; then . ~/.bashrc; fi`;
  const place = opts.restoreFrom
    ? `if [ -r ${shQuote(`${opts.restoreFrom}/state`)} ]; then . ${shQuote(`${opts.restoreFrom}/state`)}; fi 2>/dev/null`
    : opts.cwd
      ? `builtin cd -- ${shQuote(opts.cwd)} || __sg_cwd_failed=1`
      : ':';
  return `# stepgate session shell setup (generated, removed when the session ends)
{
  ${startupFiles}
} </dev/tty
# Plumbing must not land in the user's history or trip history expansion.
unset HISTFILE
set +o history +H
PS1='' PS2='' PS0=''
unset PROMPT_COMMAND
PROMPT_COMMAND='{ __sg_done; } 2>/dev/null'
__sg_id=0 __sg_ret= __sg_flags= __sg_cwd_failed=
${exportsLines}
${place}
__sg_state=$(mktemp -d "\${TMPDIR:-/tmp}/stepgate-state.XXXXXXXX" 2>/dev/null) || __sg_state=

# Keeps cwd and exports where a replacement shell can restore them.
__sg_save() {
  if [ -n "$__sg_state" ]; then
    { builtin export -p; builtin printf 'builtin cd -- %q\\n' "$PWD"; } >"$__sg_state/state" 2>/dev/null || :
  fi
}
# Runs before every prompt, i.e. right after each step: report its status. xtrace and
# verbose are switched off here (silently, stderr is /dev/null) and back on by __sg_pre.
__sg_done() {
  local __sg_s=$? __sg_f=$-
  __sg_flags=
  case $__sg_f in *x*) __sg_flags+=x; set +x ;; esac
  case $__sg_f in *v*) __sg_flags+=v; set +v ;; esac
  if [ -n "$__sg_ret" ]; then builtin cd -- "$__sg_ret" || :; __sg_ret=; fi
  __sg_save
  ${marker('d', ['"$__sg_id"', '"$__sg_s"'])} >/dev/tty 2>/dev/null || ${marker('d', ['"$__sg_id"', '"$__sg_s"'])} >&2
  return 0
}
__sg_pre() {
  case $__sg_flags in *v*) set -v ;; esac
  case $__sg_flags in *x*) set -x ;; esac
}
__sg_exit() {
  local __sg_s=$?
  __sg_save
  ${marker('x', ['"$__sg_id"', '"$__sg_s"'])} >/dev/tty 2>/dev/null || :
}
trap '{ __sg_exit; } 2>/dev/null' EXIT
${marker('r', ['"$$"', '"$__sg_state"', '"${__sg_cwd_failed:-0}"'])} >/dev/tty 2>/dev/null || ${marker('r', ['"$$"', '"$__sg_state"', '"${__sg_cwd_failed:-0}"'])} >&2
`;
}

/** The program the pty starts: bash reading commands from the FIFO. */
export function bootScript(rcPath: string, fifoPath: string): string {
  return `exec /bin/bash --noediting --rcfile ${shQuote(rcPath)} -i <${shQuote(fifoPath)}\n`;
}

/** Text of a step file: restore xtrace/verbose, then the script as written. */
export function stepFile(script: string): string {
  return `__sg_pre;${script}${script.endsWith('\n') ? '' : '\n'}`;
}

/** The command line sent on the FIFO to run one step file. */
export function stepCommand(id: number, file: string, opts: { cwd?: string; env?: Record<string, string> }): string {
  const cd = opts.cwd ? `__sg_ret=$PWD; builtin cd -- ${shQuote(opts.cwd)} && ` : '';
  return `__sg_id=${id}; ${cd}${envAssignments(opts.env)}. ${shQuote(file)} </dev/tty\n`;
}
