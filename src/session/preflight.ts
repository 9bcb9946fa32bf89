/**
 * Preflight's decisions, pure: from the steps a session may reach and what their scripts run,
 * the questions for the host; from the host's answers, the findings. Errors block the start;
 * warnings are shown and journaled; notes say what could not be checked. The effects (parsing
 * scripts with a bash grammar, asking the host) happen in exec, called by the commands.
 */
import { posix } from 'node:path';
import { stepName } from './step-name.js';
import type { ReachedStep } from '../runbooks/reach.js';
import { expandVars, referencedNames } from '../runbooks/vars.js';
import type { HostAnswers, HostQuery, ScriptWords } from '../exec/types.js';
import { compareText } from '../runbooks/text-order.js';

export type FindingSeverity = 'error' | 'warning' | 'note';

export interface Finding {
  severity: FindingSeverity;
  code:
    | 'syntax'
    | 'missing-command'
    | 'missing-script'
    | 'script-not-executable'
    | 'missing-cwd'
    | 'unresolved-host'
    | 'bad-target'
    | 'low-disk'
    | 'cannot-run-as'
    | 'not-checked';
  file: string;
  line: number;
  /** The step it is about, when there is one. */
  step?: string;
  message: string;
}

export interface PreflightInput {
  reached: ReachedStep[];
  /** What each step's script (or `run:` check) runs, by `stepKey`. */
  words: ReadonlyMap<string, ScriptWords>;
  /** Values for `${NAME}` in check targets and the env of the host's shell. */
  values: Record<string, string>;
  /**
   * Names among `values` that hold secrets (secret vars, secret-looking names): a finding quotes
   * a target that uses one as written, `${NAME}`, never expanded. Findings are printed and
   * journaled before the session knows the var's value, so its redactor could not catch it.
   */
  hidden?: ReadonlySet<string>;
  /** `--as`: the user every step without its own `user=` runs as. */
  as?: string;
  /** Warn when the cwd's filesystem has less free space than this (KiB). */
  minFreeKiB: number;
  /** The runbook the session starts from: its steps share one shell, so a `cd` holds in the next. */
  mainFile: string;
}

/** Default free-space threshold: enough for a checkout, a build and logs. */
export const DEFAULT_MIN_FREE_KIB = 512 * 1024;

/** Shell languages preflight checks with `bash -n` (zsh is shown, not judged by bash). */
const BASH_LANGS = new Set(['bash', 'sh', 'shell', 'console']);
/** Commands that may bring a file an earlier step did not have (a pull, an unpack, a download). */
const BRINGERS = new Set(['git', 'tar', 'unzip', 'curl', 'wget', 'cp', 'rsync', 'scp', 'mv', 'ln', 'install', 'make', 'aws', 'npm', 'gsutil', 'mkdir', 'tee']);

export function stepKey(reached: Pick<ReachedStep, 'file' | 'step'>, check?: number): string {
  return check === undefined ? `${reached.file}#${reached.step.id}` : `${reached.file}#${reached.step.id}/check${check}`;
}

function userOf(reached: ReachedStep, as: string | undefined): string | undefined {
  const own = reached.step.kind !== 'manual' ? reached.step.attrs.user : undefined;
  return own ?? as ?? reached.user;
}

/** The directory a step starts in, relative cwd= taken against its file's front matter cwd. */
function startDir(reached: ReachedStep, fileCwd: string | undefined): string | undefined {
  const cwd = reached.cwd;
  if (cwd === undefined || cwd.startsWith('/') || cwd.startsWith('~')) return cwd;
  return fileCwd === undefined ? cwd : posix.join(fileCwd, cwd);
}

function changeDir(from: string | undefined, to: string | undefined): string | undefined {
  if (to === undefined || to.includes('$')) return undefined;
  if (to.startsWith('/') || to === '~' || to.startsWith('~/')) return to;
  if (to === '-' || from === undefined) return undefined;
  return posix.join(from, to);
}

function isPath(name: string): boolean {
  return name.includes('/');
}

/** Host names a check target needs resolved (IP literals and localhost need nothing). */
function needsLookup(host: string): boolean {
  return host !== '' && host !== 'localhost' && !/^[\d.]+$/.test(host) && !host.includes(':');
}

interface Planned {
  queries: Map<string | undefined, HostQuery>;
  /** Filled in as the queries are planned; turned into findings once the answers come. */
  pending: Array<(answers: (user: string | undefined) => HostAnswers) => Finding[]>;
  immediate: Finding[];
  /** The first step each run-as user runs, where a user stepgate cannot become is reported. */
  firstStep: Map<string | undefined, { file: string; line: number; step: string; name: string; ownUser: boolean }>;
}

/** The questions per run-as user, and how to read their answers. */
export function planPreflight(input: PreflightInput): Planned {
  const queries = new Map<string | undefined, HostQuery>();
  const queryFor = (user: string | undefined): HostQuery => {
    let q = queries.get(user);
    if (!q) {
      q = { env: { ...input.values }, scripts: {}, names: [], paths: {}, dirs: [], hosts: [], space: [] };
      if (user !== undefined) q.user = user;
      queries.set(user, q);
    }
    return q;
  };
  const addUnique = (list: string[], value: string): void => {
    if (!list.includes(value)) list.push(value);
  };
  const pending: Planned['pending'] = [];
  const immediate: Finding[] = [];
  const firstStep: Planned['firstStep'] = new Map();
  const defined = new Set<string>();
  let brought = false;
  let chmodded = false;
  let dir: string | undefined;
  let lastFile: string | undefined;
  const fileCwd = new Map<string, string | undefined>();
  for (const r of input.reached) if (!fileCwd.has(r.file) && r.step.kind !== 'manual' && r.step.attrs.cwd === undefined) fileCwd.set(r.file, r.cwd);

  for (const reached of input.reached) {
    const { step, file } = reached;
    if (step.kind === 'manual') continue;
    const user = userOf(reached, input.as);
    const q = queryFor(user);
    // Findings keep the id (a handle to find the step again); their words say its name.
    const named = stepName({ step }, 40);
    if (!firstStep.has(user)) firstStep.set(user, { file, line: step.position.line, step: step.id, name: named, ownUser: step.attrs.user !== undefined });
    const at = (line: number, message: string, severity: FindingSeverity, code: Finding['code']): Finding => ({ severity, code, file, line, step: step.id, message });
    // As the session does: a step of a linked file (a checklist, a recovery runbook) and a step
    // with its own cwd= start in their directory; the main runbook's steps share one shell, so
    // a `cd` in one holds in the next.
    if (file !== input.mainFile || file !== lastFile || step.attrs.cwd !== undefined) dir = startDir(reached, fileCwd.get(file));
    lastFile = file;
    const cwd = reached.cwd === undefined ? undefined : (startDir(reached, fileCwd.get(file)) ?? reached.cwd);
    // Another user's steps without a cwd start in that user's home (a login shell), and in /
    // when it has none (a service user such as www-data, home /nonexistent): said, not found
    // out by a relative rm.
    if (cwd === undefined && user !== undefined && !q.dirs.includes('~')) {
      q.dirs.push('~');
      pending.push((answers) =>
        answers(user).dirs['~'] === false
          ? [at(step.position.line, `${user} has no home directory it can enter, where step ${named} and the steps after it would start: they would run in /. Give the runbook a cwd: (or the step a cwd=), or create the home`, 'error', 'missing-cwd')]
          : [],
      );
    }
    if (cwd !== undefined && !q.dirs.includes(cwd)) {
      q.dirs.push(cwd);
      if (reached.role === 'main') addUnique(q.space, cwd);
      pending.push((answers) =>
        answers(user).dirs[cwd] === false
          ? [at(step.position.line, `${user ?? 'this user'} cannot enter ${cwd}, where step ${named} and the steps after it run: create it or fix its permissions`, 'error', 'missing-cwd')]
          : [],
      );
    }

    const scriptsToCheck: Array<{ key: string; line: number; runs: ScriptWords | undefined }> = [];
    if (step.kind === 'command') {
      const key = stepKey(reached);
      if (BASH_LANGS.has(step.lang)) {
        q.scripts[key] = step.script;
        const fenceLine = step.position.line;
        const exact = step.lang !== 'console';
        pending.push((answers) => {
          const message = answers(user).syntax[key];
          if (message === undefined) return [];
          const m = /line (\d+):/.exec(message);
          const line = exact && m ? fenceLine + Number(m[1]) : fenceLine;
          return [at(line, `step ${named} does not parse with ${user ?? 'this user'}'s bash: ${message.replace(/^bash: (line \d+: )?/, '')}`, 'error', 'syntax')];
        });
      } else {
        immediate.push(at(step.position.line, `step ${named} is ${step.lang}, not checked (preflight reads bash)`, 'note', 'not-checked'));
      }
      scriptsToCheck.push({ key, line: step.position.line + (step.lang === 'console' ? 0 : 1), runs: input.words.get(key) });
    } else {
      step.checks.forEach((check, i) => {
        const line = check.position.line;
        if (check.kind === 'run') {
          // Its ${NAME}s are the shell's, from the environment: read as written.
          scriptsToCheck.push({ key: stepKey(reached, i), line, runs: input.words.get(stepKey(reached, i)) });
          return;
        }
        const { text, unknown } = expandVars(check.target, (name) => input.values[name]);
        const hides = referencedNames(check.target).some((name) => input.hidden?.has(name) === true);
        // What a finding may say of the target: a secret's ${NAME} left as written.
        const shown = hides ? expandVars(check.target, (name) => (input.hidden?.has(name) ? undefined : input.values[name])).text : text;
        if (unknown.length > 0) {
          immediate.push(at(line, `check ${check.name ?? named}: ${check.target} has no value yet for ${unknown.join(', ')}; not checked`, 'note', 'not-checked'));
          return;
        }
        let host: string | undefined;
        if (check.kind === 'http') {
          try {
            const url = new URL(text);
            if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http');
            host = url.hostname.replace(/^\[|\]$/g, '');
          } catch {
            immediate.push(at(line, `check ${check.name ?? named}: "${shown}" is not an http(s) URL`, 'error', 'bad-target'));
            return;
          }
        } else {
          const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
          const port = m ? Number(m[2]) : NaN;
          if (!m || !(port >= 1 && port <= 65535)) {
            immediate.push(at(line, `check ${check.name ?? named}: "${shown}" is not host:port`, 'error', 'bad-target'));
            return;
          }
          host = m[1]!.replace(/^\[|\]$/g, '');
        }
        if (host !== undefined && needsLookup(host)) {
          const name = host;
          addUnique(q.hosts, name);
          // The host itself would show the secret (in lower case, so a redactor of the value as
          // typed misses it): the target as written names it instead.
          const which = hides ? `the host of ${shown}` : `the host ${name}`;
          pending.push((answers) =>
            answers(user).hosts[name] === false ? [at(line, `check ${check.name ?? named}: ${which} does not resolve on this host`, 'error', 'unresolved-host')] : [],
          );
        }
      });
    }

    for (const { key, line: base, runs } of scriptsToCheck) {
      if (!runs) continue;
      // A function or alias the step defines itself counts as found in it.
      const local = new Set(runs.defines);
      const cds = [...runs.cds];
      for (const command of [...runs.commands].sort((a, b) => a.at - b.at)) {
        while (cds.length > 0 && cds[0]!.at < command.at) dir = changeDir(dir, cds.shift()!.dir);
        const line = base + command.line - 1;
        if (command.how !== 'literal') {
          immediate.push(at(line, `${command.how === 'eval' ? 'eval' : 'a command named by an expansion'} (${command.name}) in ${named} is not checked`, 'note', 'not-checked'));
          continue;
        }
        const name = command.name;
        if (name === '') continue;
        if (name === 'chmod') chmodded = true;
        if (isPath(name)) {
          const relative = !name.startsWith('/') && !name.startsWith('~');
          if (relative && dir === undefined) {
            immediate.push(at(line, `${name} in ${named}: the directory it runs in is not known before the run; not checked`, 'note', 'not-checked'));
            continue;
          }
          const pathKey = `${key}@${command.at}`;
          const where = relative ? dir : undefined;
          q.paths[pathKey] = where === undefined ? { path: name } : { path: name, dir: where };
          const mayBeBrought = brought;
          const fixedByChmod = chmodded;
          pending.push((answers) => {
            const a = answers(user).paths[pathKey];
            if (!a) return [];
            const shown = where === undefined ? name : `${name} (in ${where})`;
            if (!a.exists) {
              return mayBeBrought
                ? [at(line, `${shown} does not exist yet; an earlier step may bring it (a pull, a copy or a download)`, 'warning', 'missing-script')]
                : [at(line, `${shown} does not exist and no earlier step brings it`, 'error', 'missing-script')];
            }
            if (!a.readable) return [at(line, `${shown} is not readable by ${user ?? 'this user'}`, 'error', 'missing-script')];
            if (!a.executable && !fixedByChmod) return [at(line, `${shown} is not executable: add a chmod +x step before it (the guide's rule)`, 'warning', 'script-not-executable')];
            return [];
          });
        } else if (!defined.has(name) && !local.has(name)) {
          addUnique(q.names, name);
          // The directory as it is at this command: the finding is made after the whole step
          // is read, when `dir` has followed the step's later `cd`s (a trial read "not found
          // in /srv/nowhere" for a command that ran before the cd there).
          const inDir = dir;
          pending.push((answers) =>
            answers(user).names[name] === false
              ? [at(line, `${named} runs "${name}", which is not found for ${user ?? 'this user'}${inDir ? ` in ${inDir}` : ''}: install it, fix PATH, or define it in an earlier step`, 'error', 'missing-command')]
              : [],
          );
        }
        if (BRINGERS.has(name)) brought = true;
      }
      while (cds.length > 0) dir = changeDir(dir, cds.shift()!.dir);
      for (const name of runs.defines) defined.add(name);
    }
  }

  return { queries, pending, immediate, firstStep };
}

/** The findings, once every user's answers are in; errors first, then by file and line. */
export function preflightFindings(planned: Planned, answers: (user: string | undefined) => HostAnswers, minFreeKiB: number, mainFile: string): Finding[] {
  const findings = [...planned.immediate, ...planned.pending.flatMap((read) => read(answers))];
  for (const [user, q] of planned.queries) {
    for (const dir of q.space) {
      const free = answers(user).space[dir];
      if (free !== undefined && free < minFreeKiB) {
        findings.push({ severity: 'warning', code: 'low-disk', file: mainFile, line: 1, message: `only ${Math.round(free / 1024)} MiB free on the filesystem of ${dir} (under ${Math.round(minFreeKiB / 1024)} MiB)` });
      }
    }
  }
  const rank: Record<FindingSeverity, number> = { error: 0, warning: 1, note: 2 };
  return findings.sort((a, b) => rank[a.severity] - rank[b.severity] || compareText(a.file, b.file) || a.line - b.line);
}

export function formatFinding(f: Finding): string {
  return `${f.file}:${f.line}: ${f.severity} preflight-${f.code}: ${f.message}`;
}
