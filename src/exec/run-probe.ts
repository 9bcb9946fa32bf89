/**
 * `run:` checks: a command run through execa as the target user (same run-as rules as the
 * shell, never interactive), in a process group of its own. The group, not the one process,
 * is what a timeout, a cancel or stepgate's exit ends: `sleep 1000; true` makes bash fork
 * sleep, which would outlive a signal to bash and hold the output pipe open (the timeout then
 * waited for it).
 */
import { asIs, innermostMessage, KEPT_OUTPUT, MAX_BODY, since } from './probe-common.js';
import { killOnExit, signalAllSync, sleepSync } from './processes.js';
import { asUser, resolveRunAs, targetUserEnv } from './run-as.js';
import { CLOSE_INHERITED_MASTERS } from './rc-script.js';
import type { RunAs } from './run-as.js';
import { shellPath, shQuote } from './shell-quote.js';
import type { ProbeResult, ProbeSpec } from './types.js';

/** After SIGTERM to a check's group, how long before SIGKILL. */
const KILL_GRACE_MS = 2000;

/** Resolved users are remembered: the sudo check need not run before every attempt. */
const runAsCache = new Map<string, Promise<RunAs>>();

function runAsFor(user: string | undefined): Promise<RunAs> {
  const key = user ?? '';
  let cached = runAsCache.get(key);
  if (!cached) {
    cached = resolveRunAs(user);
    runAsCache.set(key, cached);
    cached.catch(() => runAsCache.delete(key));
  }
  return cached;
}

/**
 * What `bash -s` reads under sudo: the exports, then the command run by a fresh bash whose
 * stdin is /dev/null, so a command that reads input neither waits nor eats the script.
 * sudo (with use_pty) puts the command in a session of its own, out of reach of a signal to
 * our group; sudo passes SIGTERM and SIGHUP on to it, and this trap passes them to all of
 * the command's group, so a forked `sleep` does not stay behind either.
 */
function stdinScript(env: Record<string, string>, script: string): string {
  const exports = Object.entries(env).map(([name, value]) => `export ${name}=${shQuote(value)}\n`);
  return (
    `${exports.join('')}trap 'trap - TERM HUP INT; kill -KILL 0' TERM HUP INT\n` +
    `/bin/bash -c ${shQuote(script)} </dev/null &\nwait $!\n`
  );
}

/** Ends a process group: SIGTERM now, SIGKILL after a grace, unless it is gone by then. */
function groupKiller(group: number, runAs: RunAs): { term(): void; killNow(): void; cancel(): void } {
  let hard: ReturnType<typeof setTimeout> | undefined;
  return {
    term() {
      signalAllSync([-group], 'SIGTERM', runAs);
      hard ??= setTimeout(() => signalAllSync([-group], 'SIGKILL', runAs), KILL_GRACE_MS);
      hard.unref();
    },
    killNow() {
      // While stepgate exits: sudo needs a moment to pass SIGTERM on before it is killed.
      signalAllSync([-group], 'SIGTERM', runAs);
      if (runAs.mode === 'sudo') sleepSync(100);
      signalAllSync([-group], 'SIGKILL', runAs);
    },
    cancel() {
      clearTimeout(hard);
    },
  };
}

export async function runCommandProbe(
  spec: Extract<ProbeSpec, { kind: 'run' }>,
  outer?: AbortSignal,
  redact: (text: string) => string = asIs,
): Promise<ProbeResult> {
  const start = performance.now();
  let runAs: RunAs;
  try {
    runAs = await runAsFor(spec.user);
  } catch (err) {
    return { ok: false, latencyMs: since(start), error: (err as Error).message };
  }
  const script = `${CLOSE_INHERITED_MASTERS}\n${spec.cwd ? `builtin cd -- ${shellPath(spec.cwd)} || exit 1\n${spec.command}` : spec.command}`;
  for (const name of Object.keys(spec.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return { ok: false, latencyMs: 0, error: `invalid environment variable name "${name}"` };
  }
  if (outer?.aborted) return { ok: false, latencyMs: 0, error: 'cancelled' };
  // Env values (secrets among them) never go on a command line: argv is world-readable in
  // /proc and sudo logs it. Same user and runuser keep the environment we hand them; sudo
  // resets it, so there the values travel on stdin, in a script `bash -s` reads.
  const env = spec.env ?? {};
  const viaStdin = runAs.mode === 'sudo';
  const command = asUser(runAs, viaStdin ? ['/bin/bash', '-s'] : ['/bin/bash', '-c', script]);
  // Loaded with the first `run:` check, not at start-up: most sessions never need it.
  const { execa } = await import('execa');
  const child = execa(command.file, command.args, {
    all: true,
    reject: false,
    // A new session and process group, led by the child: everything it forks is in it.
    detached: true,
    ...(viaStdin ? { input: stdinScript(env, script) } : { stdin: 'ignore' as const }),
    maxBuffer: MAX_BODY,
    ...(runAs.mode === 'runuser'
      ? { env: { ...targetUserEnv(runAs, process.env), ...env }, extendEnv: false }
      : runAs.mode === 'self'
        ? { env }
        : {}),
  });
  const group = child.pid;
  let ended: 'timeout' | 'cancelled' | undefined;
  const killer = group !== undefined ? groupKiller(group, runAs) : undefined;
  const forget = killer ? killOnExit(() => killer.killNow()) : () => undefined;
  const stop = (why: 'timeout' | 'cancelled'): void => {
    ended ??= why;
    killer?.term();
  };
  const timer = setTimeout(() => stop('timeout'), spec.timeoutMs);
  const onAbort = (): void => stop('cancelled');
  outer?.addEventListener('abort', onAbort, { once: true });
  let result;
  try {
    result = await child;
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
    // What the command left running in its group (`daemon &`) ends with it: a check leaves
    // nothing behind.
    if (group !== undefined) signalAllSync([-group], 'SIGKILL', runAs);
    killer?.cancel();
    forget();
  }
  const latencyMs = since(start);
  const all = redact(typeof result.all === 'string' ? result.all : '');
  const output = all.length > KEPT_OUTPUT ? all.slice(-KEPT_OUTPUT) : all;
  const exitCode = typeof result.exitCode === 'number' ? result.exitCode : undefined;
  const withCode = exitCode !== undefined ? { exitCode } : {};
  if (ended === 'cancelled') return { ok: false, latencyMs, output, ...withCode, error: 'cancelled' };
  if (ended === 'timeout') return { ok: false, latencyMs, output, ...withCode, error: `timeout after ${spec.timeoutMs}ms running \`${spec.command}\`` };
  if (result.failed && exitCode === undefined) {
    return { ok: false, latencyMs, output, error: result.signal ? `killed by ${result.signal}` : innermostMessage(result.cause ?? result.message) };
  }
  if (exitCode !== 0) return { ok: false, latencyMs, output, ...withCode, error: `exit status ${exitCode}` };
  if (spec.contains !== undefined && !all.includes(spec.contains)) {
    return { ok: false, latencyMs, output, ...withCode, error: `output does not contain "${spec.contains}"` };
  }
  return { ok: true, latencyMs, output, ...withCode };
}
