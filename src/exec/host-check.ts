/**
 * Asks the host, as the run-as user, the questions preflight has: does each script parse with
 * that user's own bash, does each command name resolve, do these paths exist, can it enter these
 * directories, do these hosts resolve, how much space is free. One bash answers all of them in
 * one go (a login shell as the target user, like the session's), so the cost is about one step.
 * The environment (secrets among it) travels on stdin, never on a command line.
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { shellPath, shQuote } from './shell-quote.js';
import { RunAsError, asUser, resolveRunAs, targetUserEnv } from './run-as.js';
import { CLOSE_INHERITED_MASTERS } from './rc-script.js';
import type { HostAnswers, HostQuery } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Background `bash -n`s at a time: enough to use both cores, few enough not to flood the host. */
const PARSE_BATCH = 8;

/** A heredoc fence that the script does not contain. */
function fenceFor(script: string): string {
  let fence = `__SG_END_${randomBytes(8).toString('hex')}`;
  while (script.includes(fence)) fence = `__SG_END_${randomBytes(8).toString('hex')}`;
  return fence;
}

/**
 * The one script that answers everything, one `@@SG kind index value` line per answer. Forks
 * are what cost here (several ms each on a small host), so the answers come from builtins where
 * a builtin can say (`command -v`, `test`), the `bash -n`s run a batch at a time in the
 * background, and a failing parse is the only one whose message is read back.
 */
export function hostCheckScript(query: HostQuery): string {
  const lines: string[] = ['set +e', CLOSE_INHERITED_MASTERS, "__sg_say() { printf '@@SG %s %s %s\\n' \"$1\" \"$2\" \"$3\"; }", '__sg_bash="$BASH $BASH_VERSION"', '__sg_say bash 0 "$__sg_bash"'];
  for (const [name, value] of Object.entries(query.env)) if (ENV_NAME.test(name)) lines.push(`export ${name}=${shQuote(value)}`);
  const known = new Set(query.parsedBefore?.keys ?? []);
  const scripts = Object.entries(query.scripts);
  if (scripts.length > 0) {
    // The directory for parse messages is made with the first script bash must parse: a start
    // whose scripts this bash parsed before (the usual second start) forks no mktemp and no rm.
    // A probe ended mid-way removes it too (stepgate's deadline sends TERM, a dropped session
    // HUP, ctrl-c INT or QUIT, stepgate gone PIPE): the traps are set before mktemp, each signal
    // exits through the EXIT trap, and the parses still running are ended first so that none
    // writes into the directory as it goes. They are ended with KILL: a `bash -n` has nothing to
    // clean up, and one that outlived a TERM (a parse forked an instant before the signal, not yet
    // rid of the probe's traps, is the guess) would keep the cleanup's `wait` from returning: a
    // probe that never ended was seen once in a test whose parses block on FIFOs, under load.
    // Only SIGKILL, 2 s after an unanswered TERM,
    // leaves it; while it exists bash waits in `wait`, which a trapped signal interrupts at once.
    // The cleanup itself ignores those signals: an `exit` trapped during the EXIT trap ends bash
    // there, before the `rm`. That happened whenever stepgate died mid-parse (a test's SIGKILL):
    // the probe's write to the closed stdout ran the PIPE trap, and bash's notice that a parse it
    // had just killed was "Killed", written to the closed stderr, ran it again inside the cleanup.
    lines.push(
      '__sg_d=',
      "__sg_rmd() { if [ -n \"$__sg_d\" ]; then trap '' HUP INT QUIT PIPE TERM; { kill -KILL -- $(jobs -p); wait; } 2>/dev/null; [ \"$__sg_d\" = /nonexistent ] || rm -rf -- \"$__sg_d\"; __sg_d=; fi; }",
      "__sg_mkd() { [ -n \"$__sg_d\" ] || { trap __sg_rmd EXIT; trap 'exit 129' HUP; trap 'exit 130' INT; trap 'exit 131' QUIT; trap 'exit 141' PIPE; trap 'exit 143' TERM; __sg_d=$(mktemp -d \"${TMPDIR:-/tmp}/stepgate-preflight-XXXXXX\") || __sg_d=/nonexistent; }; }",
      '__sg_p=()',
    );
    const collect = ['for __sg_i in "${!__sg_p[@]}"; do', '  wait "${__sg_p[$__sg_i]}"; __sg_s=$?', '  if [ "$__sg_s" = 0 ]; then __sg_say syntax "$__sg_i" 0', '  else __sg_say syntax "$__sg_i" "$__sg_s $(base64 -w0 < "$__sg_d/$__sg_i" 2>/dev/null)"; fi', 'done', '__sg_p=()'];
    let launched = 0;
    scripts.forEach(([key, script], i) => {
      const fence = fenceFor(script);
      const body = ['__sg_mkd', `"$BASH" -n 2>"$__sg_d/${i}" <<'${fence}' &`, script, fence, `__sg_p[${i}]=$!`].join('\n');
      lines.push(known.has(key) ? `if [ "$__sg_bash" = ${shQuote(query.parsedBefore?.bash ?? '')} ]; then __sg_say syntax ${i} 0; else\n${body}\nfi` : body);
      launched += 1;
      if (launched % PARSE_BATCH === 0) lines.push(...collect);
    });
    // Every parse has been waited for: nothing to end, only the directory to remove.
    lines.push(...collect, 'if [ -n "$__sg_d" ] && [ "$__sg_d" != /nonexistent ]; then rm -rf -- "$__sg_d"; fi; __sg_d=');
  }
  query.names.forEach((name, i) => lines.push(`command -v -- ${shQuote(name)} >/dev/null 2>&1; __sg_say name ${i} $?`));
  Object.values(query.paths).forEach(({ path, dir }, i) => {
    const relative = !path.startsWith('/') && !path.startsWith('~');
    const target = relative ? (dir !== undefined ? `${shellPath(dir)}/${shQuote(path)}` : shQuote(path)) : shellPath(path);
    lines.push(`__sg_f=${target}; __sg_e=1; __sg_r=1; __sg_x=1; [ -e "$__sg_f" ] && __sg_e=0; [ -r "$__sg_f" ] && __sg_r=0; [ -x "$__sg_f" ] && [ -f "$__sg_f" ] && __sg_x=0; __sg_say path ${i} "$__sg_e$__sg_r$__sg_x"`);
  });
  // `cd` needs search permission on the directory and every one above it; so does `test -x`.
  query.dirs.forEach((dir, i) => lines.push(`[ -d ${shellPath(dir)} ] && [ -x ${shellPath(dir)} ]; __sg_say dir ${i} $?`));
  query.hosts.forEach((host, i) => lines.push(`getent hosts ${shQuote(host)} >/dev/null 2>&1; __sg_say host ${i} $?`));
  query.space.forEach((dir, i) => lines.push(`__sg_free=; { read -r _; read -r _ _ _ __sg_free _; } < <(df -Pk -- ${shellPath(dir)} 2>/dev/null); __sg_say space ${i} "$__sg_free"`));
  lines.push('exit 0');
  return `${lines.join('\n')}\n`;
}

/** Reads the answers back; anything missing counts as "no" (a check that could not run did not pass). */
export function readHostAnswers(query: HostQuery, stdout: string): HostAnswers {
  const said = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const m = /^@@SG (\w+) (\d+) ?(.*)$/.exec(line);
    if (m) said.set(`${m[1]} ${m[2]}`, m[3] ?? '');
  }
  const answers: HostAnswers = { syntax: {}, names: {}, paths: {}, dirs: {}, hosts: {}, space: {} };
  const bash = said.get('bash 0');
  if (bash) answers.bash = bash;
  Object.keys(query.scripts).forEach((key, i) => {
    const [status, b64] = (said.get(`syntax ${i}`) ?? '1 ').split(' ');
    answers.syntax[key] = status === '0' ? undefined : Buffer.from(b64 ?? '', 'base64').toString('utf8').trim() || 'bash -n could not check it';
  });
  query.names.forEach((name, i) => (answers.names[name] = said.get(`name ${i}`) === '0'));
  Object.keys(query.paths).forEach((key, i) => {
    const bits = said.get(`path ${i}`) ?? '111';
    answers.paths[key] = { exists: bits[0] === '0', readable: bits[1] === '0', executable: bits[2] === '0' };
  });
  query.dirs.forEach((dir, i) => (answers.dirs[dir] = said.get(`dir ${i}`) === '0'));
  query.hosts.forEach((host, i) => (answers.hosts[host] = said.get(`host ${i}`) === '0'));
  query.space.forEach((dir, i) => {
    const kib = Number.parseInt(said.get(`space ${i}`) ?? '', 10);
    answers.space[dir] = Number.isFinite(kib) ? kib : undefined;
  });
  return answers;
}

/** Runs the query as its user. Throws RunAsError when stepgate cannot become that user. */
export async function askHost(query: HostQuery, timeoutMs = 30_000): Promise<HostAnswers> {
  const runAs = await resolveRunAs(query.user);
  // A login shell for another user (its profile's PATH is what its steps see), this shell's
  // environment for the same user: as the session's shell starts.
  // Through runuser the masters stepgate holds are closed before the login's profile runs
  // (`bash -l -s` would run it first); sudo closes every descriptor above 2 itself.
  const argv = runAs.mode === 'self' ? ['bash', '-s'] : runAs.mode === 'runuser' ? ['bash', '-c', `${CLOSE_INHERITED_MASTERS}\nexec -l bash -s`] : ['bash', '-l', '-s'];
  const command = asUser(runAs, argv, { login: true });
  const env = runAs.mode === 'runuser' ? targetUserEnv(runAs, process.env) : process.env;
  const { stdout, stderr, timedOut } = await readChild(command.file, command.args, hostCheckScript(query), env, timeoutMs);
  if (timedOut) throw new Error(`preflight: the host did not answer within ${timeoutMs / 1000}s`);
  // The script's first line never came: the shell did not start (sudo allows this user other
  // commands only, a login shell that exits). Said once, in the refuser's words, instead of
  // every directory and command read as missing.
  if (runAs.mode !== 'self' && !/^@@SG bash 0 /m.test(stdout)) {
    const said = stderr.trim().split('\n').filter(Boolean).pop() ?? 'no word on stderr';
    throw new RunAsError(runAs.user, `a login shell as ${runAs.user} did not start through ${command.file.split('/').pop() ?? command.file} (${printableLine(said)}): the sudoers rule must let this user run a login shell as ${runAs.user}, not named commands only (sudo -n -u ${runAs.user} -i true must work), and ${runAs.user}'s login shell must start`);
  }
  return readHostAnswers(query, stdout);
}

/** A line of another program's stderr, without control characters, at most 200 characters. */
function printableLine(text: string): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  return clean.length > 200 ? `${clean.slice(0, 199)}…` : clean;
}

/**
 * Runs a program with `input` on stdin and returns its stdout. node:child_process, not execa:
 * this runs before every session's first step, and execa's module graph costs more to load
 * than the one spawn it would make here. SIGTERM at the deadline, SIGKILL 2 s later.
 */
function readChild(file: string, args: readonly string[], input: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ stdout: string; stderr: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    // In a session of its own, without stepgate's terminal: the target user's profile runs here,
    // and a process it left behind in the operator's terminal session could type into that
    // terminal (TIOCSTI) a command the operator's shell, root's, runs once stepgate exits.
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const chunks: Buffer[] = [];
    // Only its end is kept: it says why a shell did not start (a login shell's rc may be chatty).
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2048)));
    let timedOut = false;
    let hard: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      hard = setTimeout(() => child.kill('SIGKILL'), 2000);
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A shell that exits before reading all of its script closes the pipe: not our error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input);
    const finish = (): void => {
      clearTimeout(timer);
      clearTimeout(hard);
      resolve({ stdout: Buffer.concat(chunks).toString('utf8'), stderr, timedOut });
    };
    child.on('error', finish);
    child.on('close', finish);
  });
}
