/**
 * Asks the host, as the run-as user, the questions preflight has: does each script parse with
 * that user's own bash, does each command name resolve, do these paths exist, can it enter these
 * directories, do these hosts resolve, how much space is free. One bash answers all of them in
 * one go (a login shell as the target user, like the session's), so the cost is about one step.
 * The environment (secrets among it) travels on stdin, never on a command line.
 */
import { randomBytes } from 'node:crypto';
import { execa } from 'execa';
import { shellPath, shQuote } from './shell-quote.js';
import { asUser, resolveRunAs, targetUserEnv } from './run-as.js';
import type { HostAnswers, HostQuery } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** The one script that answers everything, one `@@SG kind index value` line per answer. */
export function hostCheckScript(query: HostQuery): string {
  const lines: string[] = ['set +e', "__sg_say() { printf '@@SG %s %s %s\\n' \"$1\" \"$2\" \"$3\"; }"];
  for (const [name, value] of Object.entries(query.env)) if (ENV_NAME.test(name)) lines.push(`export ${name}=${shQuote(value)}`);
  const scripts = Object.values(query.scripts);
  scripts.forEach((script, i) => {
    let fence = `__SG_END_${randomBytes(8).toString('hex')}`;
    while (script.includes(fence)) fence = `__SG_END_${randomBytes(8).toString('hex')}`;
    lines.push(`__sg_out=$(bash -n 2>&1 <<'${fence}'`, script, fence, ')', `__sg_say syntax ${i} "$? $(printf %s "$__sg_out" | base64 | tr -d '\\n')"`);
  });
  query.names.forEach((name, i) => lines.push(`command -v -- ${shQuote(name)} >/dev/null 2>&1; __sg_say name ${i} $?`));
  Object.values(query.paths).forEach(({ path, dir }, i) => {
    const target = path.startsWith('/') || path.startsWith('~') ? shellPath(path) : shQuote(path);
    const enter = dir !== undefined && !path.startsWith('/') && !path.startsWith('~') ? `builtin cd -- ${shellPath(dir)} 2>/dev/null || exit 9; ` : '';
    lines.push(`(${enter}p=${target}; e=1; r=1; x=1; [ -e "$p" ] && e=0; [ -r "$p" ] && r=0; [ -x "$p" ] && [ -f "$p" ] && x=0; echo "$e$r$x") | { read -r a; __sg_say path ${i} "\${a:-999}"; }`);
  });
  query.dirs.forEach((dir, i) => lines.push(`(builtin cd -- ${shellPath(dir)}) >/dev/null 2>&1; __sg_say dir ${i} $?`));
  query.hosts.forEach((host, i) => lines.push(`getent hosts ${shQuote(host)} >/dev/null 2>&1; __sg_say host ${i} $?`));
  query.space.forEach((dir, i) => lines.push(`__sg_say space ${i} "$(df -Pk -- ${shellPath(dir)} 2>/dev/null | awk 'NR==2 {print $4}')"`));
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
  const command = asUser(runAs, runAs.mode === 'self' ? ['bash', '-s'] : ['bash', '-l', '-s'], { login: true });
  const result = await execa(command.file, command.args, {
    input: hostCheckScript(query),
    reject: false,
    timeout: timeoutMs,
    forceKillAfterDelay: 2000,
    ...(runAs.mode === 'runuser' ? { env: targetUserEnv(runAs, process.env), extendEnv: false } : {}),
  });
  if (result.timedOut) throw new Error(`preflight: the host did not answer within ${timeoutMs / 1000}s`);
  return readHostAnswers(query, typeof result.stdout === 'string' ? result.stdout : '');
}
