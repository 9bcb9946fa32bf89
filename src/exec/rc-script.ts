/**
 * The bash that runs steps is an interactive shell whose *commands* arrive on a private FIFO
 * while its terminal stays the operator's: nothing stepgate sends is ever echoed, and a step's
 * stdin is the pty, exactly as when typed. These are the generated scripts that set it up:
 * the rcfile, the configuration typed to it, the step file and the FIFO command line.
 */
import { NOT_SECRET_LAST_PARTS, SECRET_PARTS, SECRET_WORDS } from '../runbooks/vars.js';
import { MARKER_OSC } from './marker.js';
import { SHELL_PLUMBING } from './saved-exports.js';
import { checkEnvName, envAssignments, shellPath, shQuote } from './shell-quote.js';

/**
 * A secret's value is told in pieces of this many characters (its `printf %q` text), each in a
 * marker of its own: the scanner takes a marker of at most 4096 characters.
 */
export const SECRET_PIECE = 1800;

/**
 * A bash `case` that runs `then` when the variable named in `$nameVar` looks secret, as
 * `looksSecretName` (src/runbooks/vars.ts) decides: test/exec/rc-script.test.ts runs it in bash
 * against that function. The upper-cased name is framed with `_`, so a whole part is
 * `*_KEY_*` whether it starts the name, ends it or is all of it.
 */
export function secretNameCase(nameVar: string, then: string): string {
  const words = SECRET_WORDS.map((w) => `*${w}*`).join('|');
  const notSecret = NOT_SECRET_LAST_PARTS.map((w) => `*_${w}_`).join('|');
  const parts = SECRET_PARTS.map((w) => `*_${w}_*`).join('|');
  return `case _\${${nameVar}^^}_ in ${words}) ${then} ;; ${notSecret}) ;; ${parts}) ${then} ;; esac`;
}

import { CLOSE_INHERITED_MASTERS } from './close-masters.js';

export { CLOSE_INHERITED_MASTERS };

/** The shell's state directory in the temp directory: `stepgate-state-<stepgate pid>-XXXXXXXX`. */
export const STATE_DIR_PREFIX = 'stepgate-state-';

/**
 * What the rcfile itself says. Nothing of a session is in it: the directory, the environment
 * and which of its names are secret are typed to the shell (`configLines`), so that a shell can
 * start, and run the user's startup files, before its session is known (`ShellProcess.prewarm`).
 */
export interface BootstrapOptions {
  nonce: string;
  /** Source /etc/profile and the user's profile (a login), else only ~/.bashrc. */
  login: boolean;
  /**
   * State directory of a previous shell of this user (a replacement shell): its exports and cwd
   * are restored from it instead of a typed snapshot or the typed directory.
   */
  restoreFrom?: string;
  /**
   * The stepgate process the shell belongs to: its state directory is named after it, so a
   * later stepgate can remove what a killed one left. Default: a name without it.
   */
  ownerPid?: number;
}


/** The rcfile of the session shell. */
export function rcScript(opts: BootstrapOptions): string {
  // One %s per field: printf would reuse the format for surplus arguments.
  const marker = (kind: string, fields: string[]): string =>
    `builtin printf '\\033]${MARKER_OSC};${opts.nonce};${kind};${fields.map(() => '%s').join(';')}\\007' ${fields.join(' ')}`;
  const startupFiles = opts.login
    ? `if [ -r /etc/profile ]; then . /etc/profile; fi
  if [ -r ~/.bash_profile ]; then . ~/.bash_profile
  elif [ -r ~/.bash_login ]; then . ~/.bash_login
  elif [ -r ~/.profile ]; then . ~/.profile; fi
  builtin cd ~ 2>/dev/null`
    : `if [ -r ~/.bashrc ]; then . ~/.bashrc; fi`;
  // Upper-cased, space-delimited patterns for the `case` in __sg_save (the session's own names
  // are typed: __sg_sess).
  const keepOut = SHELL_PLUMBING.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n))
    .map((n) => `*" ${n.toUpperCase()} "*`)
    .concat(['*" __SG_"*'])
    .join('|');
  // The typed directory: `~` and `~/...` are the user's home, as in the runbook's cwd:.
  const toCwd = `if [ -n "$__sg_cwd" ]; then case $__sg_cwd in '~') __sg_t=$HOME ;; '~/'*) __sg_t=$HOME/\${__sg_cwd:2} ;; *) __sg_t=$__sg_cwd ;; esac; builtin cd -- "$__sg_t" || __sg_cwd_failed=1; unset __sg_t; fi`;
  const place = opts.restoreFrom
    ? `if [ -r ${shQuote(`${opts.restoreFrom}/state`)} ]; then . ${shQuote(`${opts.restoreFrom}/state`)}; fi 2>/dev/null`
    : // Top level, not a function: the declarations must make globals.
      `if [ -n "$__sg_r" ]; then { builtin eval "$__sg_r"; } 2>/dev/null; fi
if [ -z "$__sg_w" ]; then ${toCwd}; elif ! builtin cd -- "$__sg_w" 2>/dev/null; then __sg_w_failed=1; ${toCwd}; fi`;
  return `# stepgate session shell setup (generated, removed when the session ends)
${CLOSE_INHERITED_MASTERS}
{
  ${startupFiles}
} </dev/tty
# Plumbing must not land in the user's history or trip history expansion.
unset HISTFILE
set +o history +H
PS1='' PS2='' PS0=''
unset PROMPT_COMMAND
PROMPT_COMMAND='{ __sg_done; } 2>/dev/null'
__sg_id=0 __sg_ret= __sg_last= __sg_flags= __sg_cwd_failed= __sg_fifo= __sg_r= __sg_w= __sg_w_failed= __sg_ver=0 __sg_cwd= __sg_senv=() __sg_set= __sg_sess=' '
# The command FIFO's path, the session environment, its directory and which of its names are
# secret arrive on the terminal, typed by stepgate with echo off: secrets never touch a file or
# a command line.
/bin/stty -echo </dev/tty 2>/dev/null
${marker('c', ['"$$"'])} >/dev/tty 2>/dev/null
while IFS= read -r __sg_l </dev/tty; do
  case $__sg_l in
    .) __sg_l=; __sg_set=1; break ;;
    'f '*) __sg_fifo=\${__sg_l#f } ;;
    [ea]' '*)
      __sg_k=\${__sg_l:0:1} __sg_l=\${__sg_l:2}
      __sg_n=\${__sg_l%% *}
      builtin printf -v __sg_v '%b' "\${__sg_l#* }"
      if [ "$__sg_k" = a ]; then __sg_v=\${!__sg_n-}$__sg_v; fi
      builtin export "$__sg_n=$__sg_v" ;;
    's '*) builtin printf -v __sg_v '%b' "\${__sg_l#s }"; __sg_r+=$__sg_v ;;
    'd '*) builtin printf -v __sg_v '%b' "\${__sg_l#d }"; __sg_cwd+=$__sg_v ;;
    'n '*) __sg_sess+="\${__sg_l#n } " ;;
    'x '*) __sg_senv+=("\${__sg_l#x }") ;;
    'w '*) builtin printf -v __sg_v '%b' "\${__sg_l#w }"; __sg_w+=$__sg_v ;;
  esac
done
/bin/stty echo </dev/tty 2>/dev/null
# The terminal went away before the setup ended (stepgate killed while it waited): nothing to set up.
if [ -z "$__sg_set" ]; then exit 98; fi
unset __sg_l __sg_k __sg_n __sg_v __sg_set
# What the session said is secret or its own stays so: a step cannot unset or retype them.
builtin readonly __sg_sess __sg_senv
__sg_owner=${opts.ownerPid !== undefined && Number.isSafeInteger(opts.ownerPid) ? opts.ownerPid : ''}
__sg_state=$(mktemp -d "\${TMPDIR:-/tmp}/${STATE_DIR_PREFIX}${opts.ownerPid !== undefined && Number.isSafeInteger(opts.ownerPid) ? `${opts.ownerPid}-` : ''}XXXXXXXX" 2>/dev/null) || __sg_state=
# The files are made once, 0600 whatever the user's umask (truncating keeps the mode).
if [ -n "$__sg_state" ]; then (builtin umask 077 && : >|"$__sg_state/names" && : >|"$__sg_state/next" && : >|"$__sg_state/state" && : >|"$__sg_state/base" && : >|"$__sg_state/cwd") 2>/dev/null || __sg_state=; fi

# Keeps cwd and exports where a replacement shell can restore them, and tells stepgate the
# values of exported secret-looking names (a token a step exported) so it hides them from then on.
__sg_save() {
  if [ -n "$__sg_state" ]; then
    local __sg_to=\${1:-state}
    # The files are on disk (a SIGKILLed stepgate leaves them until the next start sweeps it:
    # see ownerPid), so secret-looking names, the session's own environment and any variable
    # holding a secret's value stay out of them: a replacement shell gets the session
    # environment from stepgate again, typed over the terminal.
    # Exported names come from compgen written straight to a file and read back with mapfile:
    # both builtins, so no subshell is forked on this per-step path.
    # An empty array (BASH_REMATCH) is 'unbound' to a step's set -u: options stay local here.
    local - __sg_n __sg_v __sg_s __sg_q __sg_i __sg_names __sg_keep=() __sg_secret=("\${__sg_senv[@]}") __sg_values=() __sg_now=() __sg_was=() IFS=$' \\t\\n'
    set +u
    builtin compgen -e >|"$__sg_state/names" 2>/dev/null || :
    builtin mapfile -t __sg_names <"$__sg_state/names" 2>/dev/null || __sg_names=()
    for __sg_n in "\${__sg_names[@]}"; do
      ${secretNameCase('__sg_n', '__sg_secret+=("$__sg_n"); continue')}
      case " \${__sg_n^^} " in ${keepOut}) ;; *) case $__sg_sess in *" \${__sg_n^^} "*) ;; *) __sg_keep+=("$__sg_n") ;; esac ;; esac
    done
    for __sg_n in "\${__sg_secret[@]}"; do
      __sg_v=\${!__sg_n-}
      if ((\${#__sg_v} >= 4)); then __sg_values+=("$__sg_v"); fi
    done
    if ((\${#__sg_values[@]})); then
      __sg_names=("\${__sg_keep[@]}") __sg_keep=()
      for __sg_n in "\${__sg_names[@]}"; do
        __sg_v=\${!__sg_n-}
        for __sg_s in "\${__sg_values[@]}"; do [[ $__sg_v == *"$__sg_s"* ]] && continue 2; done
        __sg_keep+=("$__sg_n")
      done
    fi
    {
      if ((\${#__sg_keep[@]})); then builtin declare -p -- "\${__sg_keep[@]}"; fi
      builtin printf 'builtin cd -- %q\\n' "$PWD"
    } >|"$__sg_state/\${__sg_to/#state/next}" 2>/dev/null || :
    if [ "$__sg_to" = state ]; then
      # The directory as it is, NUL-terminated, for stepgate to keep across a resume.
      builtin printf '%s\\0' "$PWD" >|"$__sg_state/cwd" 2>/dev/null || :
      # A version that moves only when the saved text changed, reported with each status:
      # stepgate reads the files (through sudo, a process start) only when it moved. The text
      # before is the file, not a variable: \`set\` in a step would print a variable.
      builtin mapfile -t __sg_now <"$__sg_state/next" 2>/dev/null || :
      builtin mapfile -t __sg_was <"$__sg_state/state" 2>/dev/null || :
      IFS=$'\\n'
      if [ "\${__sg_now[*]}" != "\${__sg_was[*]}" ]; then
        builtin printf '%s\\n' "\${__sg_now[@]}" >|"$__sg_state/state" 2>/dev/null || :
        __sg_ver=$((__sg_ver + 1))
      fi
      IFS=$' \\t\\n'
      for __sg_n in "\${__sg_secret[@]}"; do
        __sg_v=\${!__sg_n-}
        ((\${#__sg_v} >= 4 && \${#__sg_v} <= 65536)) || continue
        builtin printf -v __sg_q '%q' "$__sg_v"
        for ((__sg_i = 0; __sg_i < \${#__sg_q}; __sg_i += ${SECRET_PIECE})); do
          ${marker('k', ['"$__sg_n"', `"$((__sg_i + ${SECRET_PIECE} < \${#__sg_q}))"`, `"\${__sg_q:__sg_i:${SECRET_PIECE}}"`])} >/dev/tty 2>/dev/null || :
        done
      done
    fi
  fi
}
# The exports as this shell got them, before anything is restored: what steps change is
# told apart from what the environment gave (which a later stepgate gives afresh).
__sg_save base
${place}
unset __sg_r __sg_w
# Runs before every prompt, i.e. right after each step: report its status. xtrace and
# verbose are switched off here (silently, stderr is /dev/null) and back on by __sg_pre.
__sg_done() {
  local __sg_s=$? __sg_f=$-
  __sg_in_step=
  # A step's own PROMPT_COMMAND ran before this one: the step's status was kept by __sg_hook.
  if [ -n "$__sg_last" ]; then __sg_s=$__sg_last; __sg_last=; fi
  __sg_flags=
  case $__sg_f in *x*) __sg_flags+=x; set +x ;; esac
  case $__sg_f in *v*) __sg_flags+=v; set +v ;; esac
  if [ -n "$__sg_ret" ]; then builtin cd -- "$__sg_ret" || :; __sg_ret=; fi
  trap '{ __sg_hup; } 2>/dev/null; exit 129' HUP
  __sg_save
  ${marker('d', ['"$__sg_id"', '"$__sg_s"', '"$__sg_ver"'])} >/dev/tty 2>/dev/null || ${marker('d', ['"$__sg_id"', '"$__sg_s"', '"$__sg_ver"'])} >&2
  return 0
}
# Runs right after each step, on the same command line: a step may assign or unset
# PROMPT_COMMAND (or source a file that does), which would silence the status report and leave
# the step running until its timeout. Put the report back, after the step's own, keeping the
# step's status for it. It returns 0: a failing return would fire an ERR trap a step set once
# more for the same failure (bash fires it for the failing command and for the \`.\` that ran
# it, as it does for an operator who sources a script by hand, and no more).
__sg_hook() {
  __sg_last=$?
  case "\${PROMPT_COMMAND-}" in *'{ __sg_done; }'*) ;; *) PROMPT_COMMAND="\${PROMPT_COMMAND:+\${PROMPT_COMMAND}; }{ __sg_done; } 2>/dev/null" ;; esac
  return 0
}
# Begins each step file: says the step began (until then a ctrl-c would meet bash reading the
# step's command line and throw the line away: stepgate holds it back till this marker), and
# turns xtrace and verbose back on, after the marker so that neither shows it.
# While a step runs, a hang-up ends bash at once (__sg_exit then hangs up the step's jobs). A
# trap would wait for the step to end: stepgate killed (or out of memory) left the step
# running, with nobody to see it end and a journal that a resume reads as interrupted, to run
# it again beside it. __sg_done puts the trap back.
__sg_pre() {
  __sg_in_step=1
  trap - HUP
  ${marker('s', ['"$__sg_id"'])} >/dev/tty 2>/dev/null || :
  case $__sg_flags in *v*) set -v ;; esac
  case $__sg_flags in *x*) set -x ;; esac
}
# Whether the stepgate that started this shell has ended (a zombie has: its parent has not
# reaped it yet). Unknown, or hidden by /proc's hidepid, counts as ended: the terminal decides.
__sg_owner_gone() {
  local __sg_l
  { IFS= read -r __sg_l <"/proc/\${__sg_owner:-0}/stat"; } 2>/dev/null || return 0
  case \${__sg_l##*) } in Z* | X*) return 0 ;; esac
  return 1
}
__sg_exit() {
  local __sg_s=$? __sg_j IFS=$' \t\n'
  __sg_save
  # Ended during a step with no terminal to say it on and no stepgate left (a hang-up, or its
  # guard's): bash, inside a sourced step, hangs up none of its jobs itself, so the step's are
  # hung up here, and the saved state, which may hold exported secrets and which nobody will
  # read, is removed. A step's own exit while stepgate runs leaves both alone.
  if ! { ${marker('x', ['"$__sg_id"', '"$__sg_s"', '"$__sg_ver"'])} >/dev/tty; } 2>/dev/null && [ -n "$__sg_in_step" ] && __sg_owner_gone; then
    for __sg_j in $(builtin jobs -p); do builtin kill -HUP -- -"$__sg_j"; done
    if [ -n "$__sg_state" ]; then command rm -rf -- "$__sg_state"; fi
  fi
}
trap '{ __sg_exit; } 2>/dev/null' EXIT
# A hang-up ends the session (stepgate closed or died): pass it on to the jobs as bash would,
# and remove the saved state, which may hold exported secrets.
__sg_hup() {
  local __sg_j IFS=$' \\t\\n'
  for __sg_j in $(builtin jobs -p); do builtin kill -HUP -- -"$__sg_j"; done
  if [ -n "$__sg_state" ]; then command rm -rf -- "$__sg_state"; __sg_state=; fi
}
trap '{ __sg_hup; } 2>/dev/null; exit 129' HUP
# From here on bash reads its commands from the FIFO; steps get the terminal as stdin.
if [ -p "$__sg_fifo" ]; then exec 0<"$__sg_fifo"; else exit 99; fi
${marker('r', ['"$$"', '"$__sg_state"', '"${__sg_cwd_failed:-0}"', '"${__sg_w_failed:-0}"'])} >/dev/tty 2>/dev/null || ${marker('r', ['"$$"', '"$__sg_state"', '"${__sg_cwd_failed:-0}"', '"${__sg_w_failed:-0}"'])} >&2
`;
}

/** Longest env value piece per line: a canonical-mode terminal line holds at most 4095 bytes. */
const ENV_PIECE_BYTES = 900;

/** `\xHH` for every byte: survives the terminal's line discipline, decoded by printf %b. */
function hexEscape(bytes: Buffer): string {
  let out = '';
  for (const b of bytes) out += `\\x${b.toString(16).padStart(2, '0')}`;
  return out;
}

/** `prefix HEX` lines of at most ENV_PIECE_BYTES bytes each; the shell appends them in order. */
function hexPieces(prefix: string, text: string): string[] {
  const bytes = Buffer.from(text, 'utf8');
  const lines: string[] = [];
  for (let at = 0; at < bytes.length; at += ENV_PIECE_BYTES) lines.push(`${prefix} ${hexEscape(bytes.subarray(at, at + ENV_PIECE_BYTES))}`);
  return lines;
}

/** A snapshot typed to a new shell: declarations it evaluates, then the directory it enters. */
export interface TypedRestore {
  script: string;
  cwd?: string;
}

/** The session's part of a shell's setup, typed after its startup files ran. */
export interface TypedPlace {
  /** The directory steps start in (`~` and `~/...`: the user's home); a failure ends the start. */
  cwd?: string;
  /** Names stepgate sets itself (the session env): never saved, always sent afresh. */
  sessionEnvNames?: string[];
  /**
   * Names of the session env whose values are secrets (secret vars, secret-looking env): with
   * the values of every exported secret-looking name, no saved variable may hold them.
   */
  secretEnvNames?: string[];
}

/**
 * Given to every shell before the session env (which may set them otherwise): steps run on a
 * terminal, where git, systemctl, journalctl and the AWS CLI would open a pager and wait for a
 * key in the middle of a step. `cat` (empty for AWS) is each tool's way of saying no pager.
 */
export const NO_PAGERS: Readonly<Record<string, string>> = { PAGER: 'cat', GIT_PAGER: 'cat', SYSTEMD_PAGER: 'cat', AWS_PAGER: '' };

/**
 * The lines typed to the shell's setup loop: FIFO path, session environment, the snapshot to
 * restore (if any), end. A snapshot goes this way rather than through a file because through
 * sudo the target user could only read a file that everybody can.
 */
export function configLines(fifoPath: string, env: Record<string, string> | undefined, restore?: TypedRestore, place: TypedPlace = {}): string {
  if (/[\n\r]/.test(fifoPath)) throw new Error(`unusable FIFO path ${JSON.stringify(fifoPath)}`);
  const lines = [`f ${fifoPath}`];
  if (place.cwd) lines.push(...hexPieces('d', place.cwd));
  // Names only (never values), checked as env names are, so they carry no shell syntax.
  for (const name of place.sessionEnvNames ?? []) {
    checkEnvName(name);
    lines.push(`n ${name.toUpperCase()}`);
  }
  for (const name of place.secretEnvNames ?? []) {
    checkEnvName(name);
    lines.push(`x ${name}`);
  }
  for (const [name, value] of Object.entries(env ?? {})) {
    checkEnvName(name);
    const bytes = Buffer.from(value, 'utf8');
    if (bytes.length === 0) lines.push(`e ${name} `);
    for (let at = 0; at < bytes.length; at += ENV_PIECE_BYTES) {
      lines.push(`${at === 0 ? 'e' : 'a'} ${name} ${hexEscape(bytes.subarray(at, at + ENV_PIECE_BYTES))}`);
    }
  }
  if (restore) {
    lines.push(...hexPieces('s', restore.script));
    if (restore.cwd !== undefined) lines.push(...hexPieces('w', restore.cwd));
  }
  lines.push('.');
  return lines.map((l) => `${l}\n`).join('');
}

/** Text of a step file: restore xtrace/verbose, then the script as written. */
export function stepFile(script: string): string {
  return `__sg_pre;${script}${script.endsWith('\n') ? '' : '\n'}`;
}

/** The command line sent on the FIFO to run one step file. */
export function stepCommand(id: number, file: string, opts: { cwd?: string; env?: Record<string, string>; stdin?: 'terminal' | 'none' }): string {
  const cd = opts.cwd ? `__sg_ret=$PWD; builtin cd -- ${shellPath(opts.cwd)} && ` : '';
  const stdin = opts.stdin === 'none' ? '/dev/null' : '/dev/tty';
  return `__sg_id=${id}; ${cd}${envAssignments(opts.env)}. ${shQuote(file)} <${stdin}; { __sg_hook; } 2>/dev/null\n`;
}
