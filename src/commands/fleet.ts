/**
 * `stepgate fleet run|status|cancel`: a runbook rolled out with Run Command. `run` exports
 * the Command document, creates or updates it in SSM, sends it with rate control, watches
 * every instance and journals the rollout; `status ID` watches it again; `cancel ID` stops it.
 */
import { basename } from 'node:path';
import { outcome, renderTable, rowLine, tailLines, type InstanceReport, type InstanceRow, type RolloutEvent } from '../fleet/rollout.js';
import { GiveUp, hasInvocation } from '../fleet/give-up.js';
import type { FleetSsm, FleetTargets } from '../exec/ssm-client.js';
import { createRolloutStore, type RolloutStore } from '../fleet/rollout-store.js';
import { currentWho, hostName } from '../session/host.js';
import { durationLiteral, parseDuration } from '../runbooks/index.js';
import { exportLinted, exportOptions, lintForExport, serialize } from './export.js';
import { declaredVars, givenVarProblems } from '../fleet/given-vars.js';
import { formatProblem } from '../fleet/index.js';
import { primeRunbooks } from './load.js';
import { appendRolloutEvent, matchRolloutId, newRolloutId, readRolloutJournal, rolloutChainProblems, rolloutPath } from '../session/rollout-journal.js';
import { ACCEPT_FLAG, editedRolloutRefusal } from './edited-journal.js';
import { parseVarFlags } from './run.js';
import { usageError } from './usage.js';
import { refuseUntrustedToSend } from './trust.js';
import { parseCommand } from './parse-command.js';
import { COMMAND_SPECS, FLEET_CANCEL, FLEET_RUN, FLEET_STATUS } from './specs.js';
import { EXIT } from './exit-codes.js';
import { plainModeReason } from './interactive.js';
import { displayText } from '../session/printable.js';

const USAGE = COMMAND_SPECS.fleet.usage;

export interface FleetDeps {
  ssm: (region?: string) => FleetSsm | Promise<FleetSsm>;
  out: (text: string) => void;
  err: (text: string) => void;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  env: NodeJS.ProcessEnv;
  /** On a terminal: the live table fed from `store` (ui/fleet); without it, lines. */
  liveTable?: (store: RolloutStore) => Promise<{ close(): Promise<void> }>;
}

const realDeps: FleetDeps = {
  ssm: async (region) => (await import('../exec/ssm-client.js')).createSsmClient(region ? { region } : {}),
  out: (t) => process.stdout.write(t),
  err: (t) => process.stderr.write(t),
  now: () => Date.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
  env: process.env,
  // Ink draws only on a terminal (and renders just its last frame under CI): lines elsewhere.
  ...(plainModeReason({ stdin: null }) === undefined ? { liveTable: async (store: RolloutStore) => (await import('../ui/fleet/rollout-live.js')).mountRolloutTable(store) } : {}),
};

export async function main(argv: string[]): Promise<number> {
  return runFleet(argv, realDeps);
}

/** AWS errors in an operator's words: what failed and what to do. */
export function describeAwsError(error: unknown): string {
  const e = error as { name?: string; message?: string };
  const name = e.name ?? 'Error';
  if (name === 'CredentialsProviderError' || /credential/i.test(e.message ?? ''))
    return `no usable AWS credentials (${e.message}): set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run where an instance role applies`;
  if (/UnrecognizedClient|InvalidClientTokenId|SignatureDoesNotMatch|ExpiredToken/.test(name)) return `AWS rejected the credentials (${name}: ${e.message}): check the profile or keys in use`;
  if (name === 'AccessDeniedException') return `access denied (${e.message}): docs/fleet.md lists the IAM permissions stepgate fleet needs`;
  if (name === 'InvalidDocumentContent' || name === 'InvalidDocument') return `SSM rejected the document (${name}: ${e.message})`;
  if (/region/i.test(e.message ?? '') && /missing|configured/i.test(e.message ?? '')) return `no AWS region: pass --region or set AWS_REGION`;
  return `${name}: ${e.message ?? String(error)}`;
}

/**
 * A row as shown: instance ids, step names, statuses and output come back from AWS, and an
 * instance's output can hold escapes that would rewrite the operator's screen. The journal
 * keeps what AWS said; every face shows this.
 */
const line = (t: string): string => displayText(t).replace(/\s+/g, ' ').trim();

export function displayRow(row: InstanceRow): InstanceRow {
  const shown: InstanceRow = { ...row, instanceId: line(row.instanceId), status: line(row.status) };
  if (row.step !== undefined) shown.step = line(row.step);
  if (row.tail !== undefined) shown.tail = displayText(row.tail);
  return shown;
}

export async function runFleet(argv: string[], given: FleetDeps): Promise<number> {
  // Everything fleet prints may carry text from AWS (ids, statuses, output, error messages).
  const deps: FleetDeps = { ...given, out: (t) => given.out(displayText(t)), err: (t) => given.err(displayText(t)) };
  const [sub, ...rest] = argv;
  try {
    if (sub === 'run') return await fleetRun(rest, deps);
    if (sub === 'status') return await fleetStatus(rest, deps);
    if (sub === 'cancel') return await fleetCancel(rest, deps);
  } catch (error) {
    deps.err(`stepgate: fleet ${sub}: ${describeAwsError(error)}\n`);
    return EXIT.usage;
  }
  return usageError(sub === undefined ? 'fleet what? run, status or cancel' : `fleet ${sub}? (run, status or cancel)`, USAGE);
}

/**
 * Runs `fn` for rollout `id`; an error (an AWS call failing mid-rollout) is journaled before it
 * is reported, so `fleet status`, `log` and `report` say it later, not only this terminal once.
 */
async function journalingErrors<T>(id: string, deps: FleetDeps, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    await appendRolloutEvent(id, { type: 'rollout-error', at: deps.now(), message: describeAwsError(error) }, deps.env).catch(() => undefined);
    throw error;
  }
}

/** The errors journaled so far, for whoever watches the rollout again. */
function earlierErrors(events: RolloutEvent[], deps: FleetDeps): void {
  for (const e of events)
    if (e.type === 'rollout-error') deps.out(`earlier error (${new Date(e.at).toISOString().replace('T', ' ').slice(0, 19)} UTC): ${e.message}\n`);
}

function parseTargets(targets: string | undefined, ids: string | undefined): FleetTargets | string {
  if ((targets === undefined) === (ids === undefined)) return 'give one of --targets tag:KEY=VALUE or --instance-ids ID[,ID...]';
  if (ids !== undefined) {
    const list = ids.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const bad = list.find((id) => !/^(i|mi)-[0-9a-f]{8,17}$/.test(id));
    if (list.length === 0 || bad !== undefined) return `--instance-ids: ${bad ?? '(none)'} is not an instance id like i-0123456789abcdef0`;
    if (list.length > 50) return `--instance-ids: ${list.length} ids; Run Command takes at most 50 (use --targets tag:KEY=VALUE)`;
    return { instanceIds: list };
  }
  const m = /^tag:([^=]+)=(.+)$/.exec(targets ?? '');
  if (!m) return `--targets ${targets}: write tag:KEY=VALUE (e.g. tag:service=omneuro)`;
  return { tag: { key: m[1] ?? '', value: m[2] ?? '' } };
}

/** Run Command's rate control: a count or a percentage. */
const RATE = /^(\d+%?)$/;

/** The SSM document name for a runbook: stepgate- and its file name; a changed runbook is a new version of it. */
export function documentName(file: string): string {
  const stem = basename(file).replace(/\.md$/i, '').replace(/[^A-Za-z0-9_.-]+/g, '-');
  return `stepgate-${stem}`.slice(0, 128);
}

async function fleetRun(argv: string[], deps: FleetDeps): Promise<number> {
  const parsed = parseCommand(FLEET_RUN, argv);
  if (typeof parsed === 'number') return parsed;
  const v = parsed.values;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) return usageError('fleet run takes exactly one runbook file', USAGE);
  const targets = parseTargets(v.targets, v['instance-ids']);
  if (typeof targets === 'string') return usageError(targets, USAGE);
  for (const [flag, value] of [['--max-concurrency', v['max-concurrency']], ['--max-errors', v['max-errors']]] as const)
    if (!RATE.test(value)) return usageError(`${flag} ${value}: a number or a percentage (10%)`, USAGE);
  const pollMs = parseDuration(v.poll);
  if (pollMs === undefined || pollMs < 100) return usageError(`--poll ${v.poll}: a duration like 5s`, USAGE);
  if (v.approvers !== undefined) return usageError('--approvers is for Automation documents (export --ssm automation); fleet run sends a Command document', USAGE);
  const options = exportOptions(v);
  if (typeof options === 'string') return usageError(options, USAGE);
  const vars = parseVarFlags(v.var);
  if (typeof vars === 'string') return usageError(vars, USAGE);

  refuseUntrustedToSend('fleet run', file);
  await primeRunbooks([file]);
  const linted = lintForExport(file);
  if (!linted) return EXIT.usage;
  // Before any AWS call: a misspelt --var would be dropped and a secret sent in clear.
  const given = givenVarProblems(file, declaredVars(linted.runbook, linted.load, options.user), { flags: vars, env: deps.env, ...(options.paramStorePrefix !== undefined ? { paramStorePrefix: options.paramStorePrefix } : {}) });
  for (const p of given.ignored) deps.err(`${formatProblem(p)}\n`);
  for (const p of given.secrets) deps.err(`${formatProblem(p)}\n`);
  for (const u of given.undeclared) deps.err(`stepgate: ${u}\n`);
  if (given.secrets.length > 0 || given.undeclared.length > 0) {
    deps.err(`stepgate: fleet run sent nothing: fix the vars above\n`);
    return EXIT.usage;
  }
  const exported = exportLinted('command', linted, options);
  if (!exported.document) return exported.code;
  const document = exported.document;
  const parameters: Record<string, string[]> = {};
  for (const [name, spec] of Object.entries((document.parameters ?? {}) as Record<string, { default?: string }>)) {
    const value = vars[name] ?? deps.env[`STEPGATE_VAR_${name}`];
    if (value === undefined && spec.default === undefined) return usageError(`var ${name} has no default: pass --var ${name}=VALUE (or STEPGATE_VAR_${name})`, USAGE);
    if (value !== undefined && /[\r\n]/.test(value)) return usageError(`--var ${name}: a value sent to SSM is one line`, USAGE);
    if (value !== undefined) parameters[name] = [value];
  }
  const content = serialize(document, 'json');
  const ssm = await deps.ssm(v.region);
  const name = documentName(file);
  const put = await ssm.putDocument(name, content, 'JSON');
  const id = newRolloutId(deps.now());
  const who = currentWho(deps.env);
  const started: RolloutEvent = {
    type: 'rollout-started',
    at: deps.now(),
    id,
    who,
    host: hostName(),
    runbook: { file, sha256: exported.sha256 },
    document: { name, ...put },
    targets,
    maxConcurrency: v['max-concurrency'],
    maxErrors: v['max-errors'],
  };
  if (v.region !== undefined) started.region = v.region;
  await appendRolloutEvent(id, started, deps.env);
  deps.out(`rollout ${id}: ${file} as ${name} version ${put.version}${put.unchanged ? ' (unchanged)' : put.created ? ' (created)' : ' (updated)'}\n`);
  return journalingErrors(id, deps, () => sendAndWatch(id, deps, ssm, started, { name, version: put.version, targets, maxConcurrency: v['max-concurrency'], maxErrors: v['max-errors'], parameters, pollMs, wait: v['no-wait'] !== true }));
}

async function sendAndWatch(
  id: string,
  deps: FleetDeps,
  ssm: FleetSsm,
  started: RolloutEvent,
  o: { name: string; version: string; targets: FleetTargets; maxConcurrency: string; maxErrors: string; parameters: Record<string, string[]>; pollMs: number; wait: boolean },
): Promise<number> {
  const { name, targets, parameters } = o;
  const sent = await ssm.sendCommand({
    documentName: name,
    documentVersion: o.version,
    targets,
    maxConcurrency: o.maxConcurrency,
    maxErrors: o.maxErrors,
    comment: `stepgate ${id}`,
    parameters,
  });
  const sentEvent: RolloutEvent = { type: 'command-sent', at: deps.now(), commandId: sent.commandId, status: sent.status };
  await appendRolloutEvent(id, sentEvent, deps.env);
  deps.out(`command ${sent.commandId} sent to ${targetText(targets)} (max concurrency ${o.maxConcurrency}, max errors ${o.maxErrors})\n`);
  // What this process wrote, not the file read back: the watch acts on the command it sent.
  return watch(id, deps, ssm, [started, sentEvent], { pollMs: o.pollMs, wait: o.wait });
}

/** The targets as the operator gave them, in words. */
function targetText(targets: { instanceIds?: string[]; tag?: { key: string; value: string } }): string {
  return targets.instanceIds ? targets.instanceIds.join(', ') : `instances tagged ${targets.tag?.key ?? '?'}=${targets.tag?.value ?? '?'}`;
}

function commandOf(events: RolloutEvent[]): { commandId?: string; instanceIds: string[]; region?: string } {
  const start = events.find((e): e is Extract<RolloutEvent, { type: 'rollout-started' }> => e.type === 'rollout-started');
  const sent = events.find((e): e is Extract<RolloutEvent, { type: 'command-sent' }> => e.type === 'command-sent');
  const out: { commandId?: string; instanceIds: string[]; region?: string } = { instanceIds: start?.targets.instanceIds ?? [] };
  if (sent) out.commandId = sent.commandId;
  if (start?.region !== undefined) out.region = start.region;
  return out;
}

/** A call SSM refused for its rate (after the client's own retries): the poll slows down rather than stops. */
export function isThrottling(error: unknown): boolean {
  const e = error as { name?: string; $metadata?: { httpStatusCode?: number } };
  return /Throttl|TooManyRequests|RequestLimitExceeded|TooManyUpdates/.test(e.name ?? '') || e.$metadata?.httpStatusCode === 429;
}

/** An instance of the command that SSM lists no invocation for, in the row's words. */
const NOT_LISTED = 'SSM does not list it among the invocations';

/** Throttled polls double the interval up to this, and after this many in a row the watch stops. */
const MAX_POLL_MS = 60_000;
const MAX_THROTTLES = 10;

/**
 * Polls until every instance is final (or once, without wait); journals each changed row.
 * `events` are the journal as verified by the caller (`verifiedRollout`) or as this process
 * wrote it (`fleet run`), never read again here: a read after the check could name another command.
 */
async function watch(id: string, deps: FleetDeps, ssm: FleetSsm, events: RolloutEvent[], opts: { pollMs: number; wait: boolean }): Promise<number> {
  const { commandId, instanceIds } = commandOf(events);
  if (commandId === undefined) {
    deps.err(`stepgate: rollout ${id} never sent its command (see stepgate log ${id})\n`);
    return EXIT.blocked;
  }
  const seen = new Map<string, string>();
  for (const e of events) if (e.type === 'instance-changed') seen.set(e.row.instanceId, JSON.stringify({ ...e.row, durationMs: undefined }));
  const store = createRolloutStore(id);
  if (deps.liveTable) deps.out(`watching every ${durationLiteral(opts.pollMs)}; ctrl-c stops watching, not the rollout (stepgate fleet status ${id})\n`);
  const live = deps.liveTable ? await deps.liveTable(store) : undefined;
  const giveUp = new GiveUp(commandId);
  for (const e of events) if (e.type === 'instance-changed') giveUp.remember(e.row);
  if (events.some((e) => e.type === 'rollout-finished' && e.neverStarted === true)) giveUp.rememberNeverStarted();
  let ended = false;
  const end = async (): Promise<void> => {
    if (ended) return;
    ended = true;
    await live?.close();
  };
  /** A finished command stays finished: a rollout watched again (fleet status) journals its end once. */
  const finishedBefore = (status: string): boolean => events.some((e) => e.type === 'rollout-finished' && e.status === status);
  let interval = opts.pollMs;
  let throttles = 0;
  /** Stops watching (the rollout goes on in AWS), journaled, saying how to watch again. */
  const stopWatching = async (why: string): Promise<number> => {
    await appendRolloutEvent(id, { type: 'rollout-error', at: deps.now(), message: `stopped watching: ${why}` }, deps.env);
    await end();
    deps.err(`stepgate: stopped watching rollout ${id}: ${why}\nthe rollout goes on in AWS: stepgate fleet status ${id} watches it again (stepgate fleet cancel ${id} stops it)\n`);
    return EXIT.usage;
  };
  /**
   * The command ran nowhere: said, journaled once (`already`: an earlier watch journaled its
   * end; a watch again says it again), and exit 2 like the other rollout errors.
   */
  const endedNowhere = async (status: string, why: string, what: string, mark: { noInstance: true } | { neverStarted: true }, already: boolean): Promise<number> => {
    if (!already) {
      await appendRolloutEvent(id, { type: 'rollout-error', at: deps.now(), message: why }, deps.env);
      await appendRolloutEvent(id, { type: 'rollout-finished', at: deps.now(), status, ok: false, failed: [], ...mark }, deps.env);
    }
    store.setState({ done: true });
    await end();
    deps.err(`stepgate: rollout ${id}: ${why}\n${what}\n`);
    return EXIT.usage;
  };
  const start = events.find((e): e is Extract<RolloutEvent, { type: 'rollout-started' }> => e.type === 'rollout-started');
  const targets = start ? targetText(start.targets) : 'as given';
  const online = 'that those instances are online in SSM in this region (aws ssm describe-instance-information)';
  /** SSM ended the command without one invocation: the tag matched no managed instance (it read "0 of 0 instances failed"). */
  const noInstance = async (status: string): Promise<number> => {
    const tag = start?.targets.tag;
    const check = tag ? `check the tag's key and value (aws ec2 describe-instances --filters 'Name=tag:${tag.key},Values=${tag.value}') and ${online}` : `check ${online}`;
    return endedNowhere(status, `no instance matched the target, ${targets}: SSM ran the command nowhere (command ${status})`, `${check}, then run fleet run again`, { noInstance: true }, finishedBefore(status));
  };
  /** SSM holds the command open and lists no invocation, past the bound: it was watched without end. */
  const neverStarted = async (status: string, waited: string, said: string[]): Promise<number> =>
    endedNowhere(
      status,
      `SSM never started the command on any instance: command ${commandId} is still ${status} with no invocation for ${targets} after ${waited}${said.length > 0 ? ` (SSM: ${said.join('; ')})` : ''}`,
      `stepgate fleet cancel ${id} cancels it (else SSM may still start it later, unwatched); check ${online} and what SSM says of the command (aws ssm list-commands --command-id ${commandId}), then run fleet run again`,
      { neverStarted: true },
      events.some((e) => e.type === 'rollout-finished' && e.neverStarted === true),
    );
  try {
    for (;;) {
      let command: Awaited<ReturnType<FleetSsm['getCommand']>>;
      let reports: InstanceReport[];
      let known: string[];
      try {
        command = await ssm.getCommand(commandId);
        known = command?.instanceIds.length ? command.instanceIds : instanceIds;
        reports = await ssm.listInvocations(commandId, known);
      } catch (error) {
        if (!isThrottling(error)) return await stopWatching(describeAwsError(error));
        throttles += 1;
        if (throttles >= MAX_THROTTLES)
          return await stopWatching(`SSM throttled ${throttles} polls in a row (${describeAwsError(error)}); other callers share the account's SSM rate, so watch again later or with a longer --poll`);
        interval = Math.min(interval * 2, MAX_POLL_MS);
        await deps.sleep(interval);
        continue;
      }
      throttles = 0;
      interval = opts.pollMs;
      const listed = new Set(reports.map((r) => r.instanceId));
      for (const instanceId of known) if (!listed.has(instanceId)) reports.push({ instanceId, status: 'Unknown', plugins: [], error: NOT_LISTED });
      const now = deps.now();
      const status = command?.status ?? 'Unknown';
      const rows = reports.map((r) => giveUp.row(r, now, status));
      const shown = rows.map(displayRow);
      for (const [i, row] of rows.entries()) {
        const key = JSON.stringify({ ...row, durationMs: undefined });
        if (seen.get(row.instanceId) === key) continue;
        seen.set(row.instanceId, key);
        await appendRolloutEvent(id, { type: 'instance-changed', at: now, row }, deps.env);
        if (!live) deps.out(`${rowLine(shown[i] ?? displayRow(row))}\n`);
      }
      const result = outcome(status, rows);
      store.setState({ commandStatus: line(status), rows: shown, polledAt: now, done: result.done });
      if (result.done && rows.length === 0) return await noInstance(status);
      // Given --instance-ids, each instance has a row from the first poll, invoked or not: the
      // command started nowhere when none of them has an invocation (it read "2 of 2 failed").
      const waited = giveUp.neverStarted(status, reports.filter(hasInvocation).length, now);
      // What SSM said when asked for an instance's invocation (an error other than none listed), in its words.
      const said = [...new Set(reports.flatMap((r) => (r.error !== undefined && r.error !== NOT_LISTED ? [displayText(r.error).replace(/\s+/g, ' ')] : [])))];
      if (waited !== undefined) return await neverStarted(status, waited, said);
      if (result.done || !opts.wait) {
        await end();
        if (!live) deps.out(`\n${renderTable(shown).join('\n')}\n`);
        if (!result.done) {
          deps.out(`rollout ${id} is still running (command ${status}): stepgate fleet status ${id}\n`);
          return EXIT.blocked;
        }
        if (!finishedBefore(status)) await appendRolloutEvent(id, { type: 'rollout-finished', at: deps.now(), status, ok: result.ok, failed: result.failed }, deps.env);
        if (result.ok) deps.out(`every instance succeeded (${rows.length})\n`);
        else {
          deps.out(`${result.failed.length} of ${rows.length} instance${rows.length === 1 ? '' : 's'} failed (command ${status}):\n`);
          for (const f of result.failed.map(displayRow)) deps.out(`  ${f.instanceId}: ${f.status} at step ${f.step ?? '?'}\n${f.tail ? `${tailLines(f.tail).replace(/^/gm, '    | ')}\n` : ''}`);
        }
        deps.out(`journal: ${rolloutPath(id, deps.env)} (stepgate log ${id}, stepgate report ${id})\n`);
        return result.ok ? EXIT.completed : EXIT.blocked;
      }
      await deps.sleep(interval);
    }
  } finally {
    await end();
  }
}

/** The rollout named (whole, or by part of its id as sessions are) and the flags; an exit code when refused. */
async function rolloutArg(argv: string[], spec: typeof FLEET_STATUS | typeof FLEET_CANCEL, env: NodeJS.ProcessEnv): Promise<{ id: string; values: Record<string, unknown> } | number> {
  const parsed = parseCommand(spec, argv);
  if (typeof parsed === 'number') return parsed;
  const [given, more] = parsed.positionals;
  if (given === undefined || more !== undefined) return usageError('which rollout? (the id fleet run printed, like fleet-20260101-120000-a1b2c3, or its last 4 to 6 characters)', USAGE);
  // A --poll that is no duration is refused, as fleet run refuses it: read as the default, a
  // `--poll '10 s'` was dropped without a word.
  const poll = parsed.values['poll'];
  if (poll !== undefined) {
    const ms = parseDuration(String(poll));
    if (ms === undefined || ms < 100) return usageError(`--poll ${String(poll)}: a duration like 5s`, USAGE);
  }
  const named = await matchRolloutId(given, env);
  if ('refused' in named) return usageError(named.refused, USAGE);
  return { id: named.id, values: parsed.values };
}

/**
 * The rollout's events, once its journal's chain holds (as `resume` asks of a session's): status
 * and cancel act on the command id and region it names, before any AWS call. A journal that
 * does not verify (an edited line, the key gone, or key and macs removed) is refused unless
 * --accept-edited-journal, which is journaled with the lines it accepted. An exit code when refused.
 */
async function verifiedRollout(id: string, deps: FleetDeps, command: 'status' | 'cancel', accept: boolean): Promise<RolloutEvent[] | number> {
  const read = readRolloutJournal(id, deps.env);
  if (!read) {
    deps.err(`stepgate: no rollout ${id} in ${rolloutPath(id, deps.env)}\n`);
    return EXIT.usage;
  }
  for (const bad of read.bad) deps.err(`stepgate: ${read.path}:${bad.line}: not a rollout event (${bad.error}); skipped\n`);
  const edits = rolloutChainProblems(read);
  if (edits.length === 0) return read.events;
  const { commandId, region } = commandOf(read.events);
  if (!accept) {
    deps.err(editedRolloutRefusal(read.path, id, edits, command, commandId === undefined ? undefined : `command ${commandId}${region !== undefined ? ` in ${region}` : ''}`));
    return EXIT.usage;
  }
  const accepted: RolloutEvent = { type: 'edits-accepted', at: deps.now(), who: { user: currentWho(deps.env).user }, command, edits };
  await appendRolloutEvent(id, accepted, deps.env);
  deps.err(`stepgate: ${ACCEPT_FLAG}: fleet ${command} goes on from a rollout journal with ${edits.length} line${edits.length === 1 ? '' : 's'} that do not verify (recorded)\n`);
  return [...read.events, accepted];
}

async function fleetStatus(argv: string[], deps: FleetDeps): Promise<number> {
  const arg = await rolloutArg(argv, FLEET_STATUS, deps.env);
  if (typeof arg === 'number') return arg;
  const events = await verifiedRollout(arg.id, deps, 'status', arg.values['accept-edited-journal'] === true);
  if (typeof events === 'number') return events;
  const pollMs = parseDuration(String(arg.values.poll)) ?? 5000;
  earlierErrors(events, deps);
  return journalingErrors(arg.id, deps, async () => watch(arg.id, deps, await deps.ssm(commandOf(events).region), events, { pollMs, wait: arg.values['no-wait'] !== true }));
}

async function fleetCancel(argv: string[], deps: FleetDeps): Promise<number> {
  const arg = await rolloutArg(argv, FLEET_CANCEL, deps.env);
  if (typeof arg === 'number') return arg;
  const events = await verifiedRollout(arg.id, deps, 'cancel', arg.values['accept-edited-journal'] === true);
  if (typeof events === 'number') return events;
  const { commandId, region } = commandOf(events);
  if (commandId === undefined) {
    deps.err(`stepgate: rollout ${arg.id} never sent its command; nothing to cancel\n`);
    return EXIT.blocked;
  }
  const ssm = await deps.ssm(region);
  const requested: RolloutEvent = { type: 'cancel-requested', at: deps.now(), who: { user: currentWho(deps.env).user } };
  await appendRolloutEvent(arg.id, requested, deps.env);
  return journalingErrors(arg.id, deps, async () => {
    await ssm.cancel(commandId);
    deps.out(`cancel sent for command ${commandId}; instances not yet started will not run it, running ones are stopped by their agents\n`);
    return watch(arg.id, deps, ssm, [...events, requested], { pollMs: parseDuration(String(arg.values.poll)) ?? 5000, wait: false });
  });
}
