/**
 * The shell an exported step runs on an instance. The SSM agent runs `runCommand` as root
 * with `sh`; the outer wrapper (POSIX sh) turns the document's parameters into environment
 * variables, decodes the step's own bash (carried in base64) and runs it as the runbook's
 * user in a login shell, in the runbook's cwd, with its env, as stepgate would on that host.
 */
import { MAX_REDIRECTS, type CheckSpec, type CheckStep, type CommandStep } from '../runbooks/model.js';
import { MIN_SECRET_LENGTH, REDACTED, referencedNames } from '../runbooks/vars.js';
import { base64, cdLine, sq, wordWithVars } from './shell-text.js';

/** The wait after failed attempt n, as stepgate's backoff without its jitter (30 s cap). */
export function pollDelayMs(attempt: number, baseMs: number): number {
  return Math.min(30_000, baseMs * 2 ** (attempt - 1));
}

/** Longest a check step's poll loop can take: every attempt timing out, every wait. */
export function checkWorstCaseMs(step: CheckStep): number {
  let total = 0;
  for (const check of step.checks) {
    const attempts = Math.max(1, check.attempts);
    // curl/timeout overshoot their limit a little; 2 s of slack per attempt.
    total += attempts * (check.timeoutMs + 2000);
    for (let n = 1; n < attempts; n++) total += pollDelayMs(n, check.backoffMs);
  }
  return total;
}

/**
 * The variables the exported shell sets for itself where a runbook's vars and env: meet them:
 * the value reader (READ_VALUES) and the Command wrapper or the Automation helper run.sh
 * (installed-scripts.ts), which export the vars, and a check step's bash, which exports env:
 * first. Export refuses a var or env entry of exactly these names: it would clobber them (a
 * var `sg_user` picks the run-as user) or be clobbered by them (`sg_script` becomes the
 * step's text). Each starts `sg_` so that few runbooks meet one; a name the shell does not use
 * (`sg_region`) clashes with nothing. Names are case-sensitive in sh and none is upper-case:
 * `SG_ID` (a security group) is the runbook's own. test/fleet/export-names.test.ts reads the
 * names off the generated shells and checks this list against them.
 */
export const SHELL_NAMES: ReadonlySet<string> = new Set([
  // The wrapper and run.sh.
  'sg_user',
  'sg_b64',
  'sg_file',
  'sg_script',
  // READ_VALUES.
  'sg_bad',
  'sg_name',
  'sg_line',
  // A check step.
  'sg_body',
  'sg_errf',
  'sg_what',
  'sg_n',
  'sg_err',
  'sg_waits',
  'sg_url',
  'sg_status',
  'sg_want',
  'sg_target',
  'sg_host',
  'sg_port',
  'sg_code',
  'sg_next',
  'sg_hops',
  'sg_origin',
  'sg_o',
  'sg_end',
  'sg_left',
  'sg_out',
  'sg_c',
  'sg_t',
  'sg_k',
  'sg_v',
  'sg_l',
]);

/** Where and how a step runs: resolved from the step, its runbook's front matter, the options. */
export interface StepContext {
  user?: string;
  cwd?: string;
  env: Record<string, string>;
  /** The document's secret vars: a check hides their values in its messages (none: nothing to hide). */
  secrets?: readonly string[];
}

function prologue(ctx: StepContext): string[] {
  const lines: string[] = [];
  if (ctx.cwd !== undefined) lines.push(cdLine(ctx.cwd));
  for (const [name, value] of Object.entries(ctx.env)) lines.push(`export ${name}=${sq(value)}`);
  return lines;
}

/** The bash a command step runs as its user: the prologue, then the author's script as is. */
export function commandStepBash(step: CommandStep, ctx: StepContext): string {
  return [...prologue(ctx), step.script.replace(/\n+$/, '')].join('\n') + '\n';
}

function seconds3(ms: number): string {
  return `${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`;
}

/**
 * bash, once per check script with an http check: `sg_get URL TIMEOUT_MS FOLLOW SHOWN` fetches
 * URL into $sg_body as stepgate's own check does (exec/redirects.ts), setting sg_status, or
 * sg_err and returning 1. No -L: curl would follow a redirect to any host (a login page
 * elsewhere passed the check). %{redirect_url} is the Location resolved against the URL; the
 * loop follows it within the origin unless FOLLOW is any, to http(s) only, at most
 * MAX_REDIRECTS hops, all within one timeout as the local check (each hop gets what is left).
 * -g: a URL is requested as written; curl's globbing made `{a,b}` in a value two requests, and
 * its error for a `[` quoted the whole URL, values and all.
 *
 * `sg_o URL` sets sg_o to URL's `scheme://host:port` as written there, user info left out (up
 * to the first `@`, as curl reads it). Same origin is that of the next URL equal to the check
 * URL's (the same case too): curl keeps the user info of the check's URL in a relative
 * redirect's URL, so it is dropped on both sides. Written another way (a default port spelt
 * out, percent-escapes) it is refused as another origin: the safe side, and short, since the
 * omneuro deploy's Automation document is within a few hundred bytes of SSM's 64 KB.
 *
 * The messages go to the SSM command output, which fleet journals, and no secret is redacted
 * there: they name the check by SHOWN (its URL as written, `${NAME}` unexpanded, a password
 * masked: shownTarget) and the next URL by its origin only, never the URL curl requests (a
 * secret var's value in its query, a password in its user info).
 */
const HTTP_GET = [
  'sg_o() { sg_o=${1#*://}; sg_o=${sg_o%%[/?#]*}; sg_o=${1%%:*}://${sg_o#*@}; }',
  'sg_get() {',
  '  local sg_url=$1 sg_next sg_hops=0 sg_origin sg_end=$(($(date +%s%3N) + $2)) sg_left sg_out sg_c',
  '  sg_o "$1"; sg_origin=$sg_o',
  '  while :; do',
  '    sg_left=$((sg_end - $(date +%s%3N) + 99)) sg_err="timeout after $2ms"',
  // The URL reaches curl on its standard input (a config line, quoted as curl reads it), not
  // in its arguments: /proc/PID/cmdline is readable by every user of the instance.
  '    sg_c=${sg_url//\\\\/\\\\\\\\} sg_c=${sg_c//\\"/\\\\\\"} sg_c=${sg_c//$\'\\n\'/\\\\n}',
  '    ((sg_left > 99)) && sg_out=$(curl -gsSo "$sg_body" -w \'%{http_code} %{redirect_url}\' -m $((sg_left / 1000)).$((sg_left / 100 % 10)) -A stepgate-health-check -K- <<<"url=\\"$sg_c\\"" 2>"$sg_errf") ||',
  '      { ((sg_left > 99)) && sg_err=$(sg_cut "$sg_errf"); return 1; }',
  '    sg_status=${sg_out%% *} sg_next=${sg_out#* }',
  '    [[ $sg_status == 30[12378] && $sg_next ]] || return 0',
  '    sg_o "$sg_next"; sg_err="$4 redirected ($sg_status) to $sg_o: refused, "',
  '    [[ $sg_next =~ ^https?:// ]] || { sg_err+="only http and https are followed"; return 1; }',
  '    [[ $3 == any || $sg_o == "$sg_origin" ]] || { sg_o "$4"; sg_err+="another origin than $sg_o (add follow: any to the check to allow it)"; return 1; }',
  `    ((++sg_hops <= ${MAX_REDIRECTS})) || { sg_err="too many redirects (more than ${MAX_REDIRECTS}) from $4; the last one went to $sg_o"; return 1; }`,
  '    sg_url=$sg_next',
  '  done',
  '}',
];

/**
 * A check's target as its exported messages show it: as written, `${NAME}` unexpanded, and a
 * URL's password masked as stepgate's screen masks it (session/checks.ts, shownCheckText).
 */
export function shownTarget(text: string): string {
  return text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^@\s/]*@/gi, '$1:***@');
}

/**
 * bash, in a check script whose document has secret vars: `sg_hide TEXT` prints TEXT with the
 * value of each var named in `secrets` replaced by [REDACTED], the longest value first (a
 * secret that holds another is hidden whole), values shorter than MIN_SECRET_LENGTH left as
 * stepgate's own redactor leaves them. The value is read by name (`${!name}`) and matched as a
 * quoted pattern, so it is data whatever its bytes: no eval, no sed. It knows the value as it
 * is (and, for a value of several lines, without its trailing newlines and line by line, as
 * stepgate's redactor does), not the encodings it also knows (base64, percent-escapes); a body that
 * could hold one is not shown at all (probeBody).
 */
function hideLines(secrets: readonly string[]): string[] {
  return [
    'sg_hide() {',
    '  local sg_t=$1 sg_k sg_v sg_l',
    `  for sg_k in $(for sg_k in ${secrets.join(' ')}; do sg_v=\${!sg_k}; echo "\${#sg_v} $sg_k"; done | sort -rn | cut -d' ' -f2); do`,
    // Without its trailing newlines (a key file's; $(...) took them off the text), then each of
    // its lines (white space is squeezed to one space after).
    `    sg_v=\${!sg_k}; while [[ $sg_v == *$'\\n' ]]; do sg_v=\${sg_v%$'\\n'}; done`,
    `    ((\${#sg_v} >= ${MIN_SECRET_LENGTH})) && sg_t=\${sg_t//"$sg_v"/${REDACTED}}`,
    `    [[ $sg_v == *$'\\n'* ]] && while IFS= read -r sg_l; do ((\${#sg_l} >= ${MIN_SECRET_LENGTH})) && sg_t=\${sg_t//"$sg_l"/${REDACTED}}; done <<<"$sg_v"`,
    '  done',
    '  printf %s "$sg_t"',
    '}',
  ];
}

/**
 * bash: `sg_cut FILE [tail]` prints 200 bytes of FILE from its start (its end with tail), each
 * run of white space one space: what a message quotes of a body, an output or curl's error.
 * With secrets, they are hidden in 8,400 bytes first and the cut taken after: cut first, a
 * secret across the cut kept its other part (8 KB, Parameter Store's largest value, + 200).
 */
function cutLines(secrets: readonly string[]): string[] {
  const text = secrets.length > 0 ? 'printf %s "$(sg_hide "$(${2:-head} -c 8400 "$1")")" | ${2:-head} -c 200' : '${2:-head} -c 200 "$1"';
  return [`sg_cut() { ${text} | tr -s '[:space:]' ' '; }`];
}

/** `contains:` with its vars expanded, found as fixed text; the message quotes it as written. */
function containsLines(contains: string, what: 'response' | 'output'): string[] {
  // The text reaches grep on its standard input (`-f-`), not in its arguments (a secret var's value would be in /proc/PID/cmdline).
  return [`  local sg_want; sg_want=${wordWithVars(contains)}`, `  grep -qFf- "$sg_body" <<<"$sg_want" || { sg_err=${sq(`${what} does not contain "${contains}"`)}; return 1; }`];
}

/** One attempt of one check as a bash function body: returns 0 or sets sg_err and returns 1. */
function probeBody(check: CheckSpec, secrets: readonly string[]): string[] {
  const t = seconds3(check.timeoutMs);
  // Messages name the target as written (`${NAME}` unexpanded, a password masked), never its value.
  const shown = shownTarget(check.target);
  switch (check.kind) {
    case 'http': {
      const ranges = (check.expect.length > 0 ? check.expect : [{ min: 200, max: 299 }])
        .map((r) => `(sg_status >= ${r.min} && sg_status <= ${r.max})`)
        .join(' || ');
      const expectText = (check.expect.length > 0 ? check.expect : [{ min: 200, max: 299 }]).map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(', ');
      // A server may echo the URL in its body, encoded in ways sg_hide does not know (percent-
      // escapes, JSON): with a secret var in the URL the body is not quoted.
      const secretInUrl = referencedNames(check.target).find((name) => secrets.includes(name));
      const body = secretInUrl === undefined ? ': $(sg_cut "$sg_body")' : `: body not shown, the URL holds secret var ${secretInUrl}`;
      const lines = [
        `  sg_get ${wordWithVars(check.target)} ${check.timeoutMs} ${check.follow ?? 'same-origin'} ${sq(shownTarget(check.target))} || return 1`,
        `  if ! (( ${ranges} )); then sg_err="bad status $sg_status (expected ${expectText})${body}"; return 1; fi`,
      ];
      if (check.contains !== undefined) lines.push(...containsLines(check.contains, 'response'));
      lines.push('  return 0');
      return lines;
    }
    case 'tcp':
      return [
        `  local sg_target; sg_target=${wordWithVars(check.target)}`,
        `  local sg_host="\${sg_target%:*}" sg_port="\${sg_target##*:}"`,
        `  sg_host="\${sg_host#[}"; sg_host="\${sg_host%]}"`,
        // Host and port in the environment of the bash that connects, not its arguments (/proc/PID/cmdline is world-readable).
        `  sg_host=$sg_host sg_port=$sg_port timeout ${t} bash -c 'exec 3<>"/dev/tcp/$sg_host/$sg_port"' 2>"$sg_errf" && return 0`,
        // bash's own words name the host and port it tried, pieces of a secret "host:port" var
        // that sg_hide would not find: only the reason after the last ": " is kept.
        `  [ $? = 124 ] && sg_err=${sq(`timeout after ${check.timeoutMs}ms connecting to ${shown}`)} || sg_err=${sq(`cannot connect to ${shown}: `)}"$(sed -n '1s/.*: //p' "$sg_errf")"`,
        '  return 1',
      ];
    case 'run': {
      const lines = [
        `  timeout -k 2 ${t} bash -c ${sq(check.target)} >"$sg_body" 2>&1 </dev/null`,
        `  local sg_code=$?`,
        `  if [ $sg_code -eq 124 ]; then sg_err="timeout after ${check.timeoutMs}ms"; return 1; fi`,
        `  if [ $sg_code -ne 0 ]; then sg_err="exit status $sg_code: $(sg_cut "$sg_body" tail)"; return 1; fi`,
      ];
      if (check.contains !== undefined) lines.push(...containsLines(check.contains, 'output'));
      lines.push('  return 0');
      return lines;
    }
  }
}

/**
 * bash: `sg_poll PROBE WHAT ATTEMPTS WORD WAIT...` runs the function PROBE until it passes,
 * ATTEMPTS times at most with the waits between them, printing each attempt; exits the script
 * with 1 after the last failed one (WORD: attempt or attempts, for that line). The one place
 * every message is printed, so with `hide` the one place that hides the secrets in it: what
 * the script prints goes to the SSM output, which fleet journals, and nothing redacts it there.
 */
function pollLines(hide: boolean): string[] {
  return [
    'sg_poll() {',
    '  sg_what=$2 sg_waits=("${@:5}")',
    '  for sg_n in $(seq 1 "$3"); do',
    "    sg_err=''",
    '    if "$1"; then echo "check $sg_what: ok (attempt $sg_n/$3)"; return 0; fi',
    ...(hide ? ['    sg_err=$(sg_hide "$sg_err")'] : []),
    '    echo "check $sg_what: attempt $sg_n/$3 failed: $sg_err"',
    '    if [ "$sg_n" -ge "$3" ]; then echo "check $sg_what failed after $3 $4: $sg_err" >&2; exit 1; fi',
    '    sleep "${sg_waits[$((sg_n - 1))]}"',
    '  done',
    '}',
  ];
}

/**
 * The bash a check step runs: each check polled in order with its attempts, per-attempt
 * timeout and backoff; the first still failing after its last attempt exits 1, so the
 * document fails early on that host (the guide's "fail early").
 */
export function checkStepBash(step: CheckStep, ctx: StepContext): string {
  const secrets = ctx.secrets ?? [];
  const lines = [...prologue(ctx), 'sg_body=$(mktemp) && sg_errf=$(mktemp) || exit 1', `trap 'rm -f "$sg_body" "$sg_errf"' EXIT`];
  if (secrets.length > 0) lines.push(...hideLines(secrets));
  if (step.checks.some((c) => c.kind !== 'tcp')) lines.push(...cutLines(secrets));
  if (step.checks.some((c) => c.kind === 'http')) lines.push(...HTTP_GET);
  // The poll loop once, each check one call: the omneuro deploy's Automation document, whose
  // scripts carry it for three checks, is within a few hundred bytes of SSM's 64 KB.
  if (step.checks.length > 0) lines.push(...pollLines(secrets.length > 0));
  step.checks.forEach((check, i) => {
    const attempts = Math.max(1, check.attempts);
    const what = check.name ?? `${check.kind} ${shownTarget(check.target)}`;
    lines.push(`sg_probe_${i}() {`, ...probeBody(check, secrets), '}');
    const waits = Array.from({ length: attempts - 1 }, (_, k) => seconds3(pollDelayMs(k + 1, check.backoffMs)));
    lines.push(`sg_poll sg_probe_${i} ${sq(what)} ${attempts} attempt${attempts === 1 ? '' : 's'}${waits.map((w) => ` ${w}`).join('')}`);
  });
  if (step.checks.length === 0) lines.push(`echo 'stepgate: this check step has no valid check to run (see stepgate lint)' >&2`, 'exit 1');
  return `${lines.join('\n')}\n`;
}

/** A document parameter or Parameter Store reference that becomes an environment variable. */
export interface VarBinding {
  name: string;
  /** What SSM interpolates: `{{ NAME }}`, `{{ssm-secure:/prefix/NAME}}`. */
  reference: string;
}

/** The end marker of the quoted here-documents that carry parameter values. */
export const VALUE_END = 'STEPGATE_VALUE_END';

/**
 * The here-document of a step's values and its end marker. SSM writes each value into the
 * script as text, so a value decides its own lines: each value is written between a `=` and a
 * `=`, so the line SSM writes for a one-line value is never VALUE_END, and a value of several
 * lines (a secret: parameters are one line) shows as lines without one of them. A value that
 * holds the line VALUE_END ends the here-document early, but the here-document feeds an
 * `exec`: the shell that would read the rest is gone by then.
 */
export function valueLines(vars: VarBinding[]): string[] {
  return [...vars.map((v) => `=${v.reference}=`), VALUE_END];
}

/**
 * POSIX sh: reads the values of the names in "$@" from stdin (valueLines) and exports them;
 * exits 1 with what to do unless stdin is exactly one `=VALUE=` line per name.
 */
export const READ_VALUES = `sg_bad="stepgate: a var value is not one line (a secret with several lines, or the line ${VALUE_END}): keep it base64-encoded (base64 -w0) in Parameter Store and decode it in the step"
for sg_name in "$@"; do
  IFS= read -r sg_line || sg_line=''
  case $sg_line in =*=) ;; *) echo "$sg_bad (read up to $sg_name)" >&2; exit 1 ;; esac
  sg_line=\${sg_line#=}
  export "$sg_name=\${sg_line%=}"
done
if IFS= read -r sg_line; then echo "$sg_bad" >&2; exit 1; fi
unset sg_bad sg_name sg_line
`;

/** sh -c program: $1 the user (empty: as is), $2 the step's bash in base64, then the value names. */
const WRAPPER = `sg_user=$1 sg_b64=$2
shift 2
${READ_VALUES}sg_script=$(printf '%s' "$sg_b64" | base64 -d) || { echo 'stepgate: cannot decode the step script' >&2; exit 1; }
if [ -z "$sg_user" ] || [ "$(id -un)" = "$sg_user" ]; then exec bash -l -c "$sg_script" stepgate-step </dev/null; fi
exec runuser -u "$sg_user" -- bash -l -c "$sg_script" stepgate-step </dev/null
`;

/**
 * The `runCommand` lines of one step (POSIX sh, run by the agent as root).
 *
 * Values reach the step as data on stdin (valueLines: nothing in a quoted here-document is
 * expanded) of an exec'd reader, which exports them; `runuser` (which keeps the environment)
 * hands them to the user's login shell. The step's own bash is decoded from base64 and given
 * to `bash -c`. Nothing follows the `exec`: whatever a value puts after the here-document is
 * never read as shell.
 */
export function wrapperLines(header: string, bash: string, user: string | undefined, vars: VarBinding[]): string[] {
  const lines = ['#!/bin/sh', `# ${header.replace(/[\r\n]+/g, ' ').replace(/\{\{|\}\}/g, '')}`];
  const call = `exec sh -c ${sq(WRAPPER)} stepgate-values ${sq(user ?? '')} '${base64(bash)}'`;
  if (vars.length === 0) return [...lines, `${call} </dev/null`];
  return [...lines, `${call} ${vars.map((v) => v.name).join(' ')} <<'${VALUE_END}'`, ...valueLines(vars)];
}
