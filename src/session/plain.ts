/**
 * Plain (headless) mode: the session walked in order with line-oriented output, for CI,
 * scripts and terminals without the TUI. Step headers, the step's own output, one line per
 * check attempt, the decisions taken, and a summary table at the end.
 */
import { relative } from 'node:path';
import type { VarSpec } from '../runbooks/model.js';
import { currentItem, gateChoices } from './reducer.js';
import { printable } from './printable.js';
import { EscapeFilter } from './escape-filter.js';
import { wordWrap } from './word-wrap.js';
import type { SessionStore } from './store.js';
import type { FlowItem, SessionEvent, SessionState, StepState } from './types.js';

/** Plain mode wraps what it says about checks and gates to this width (SSM's terminal). */
const PLAIN_WIDTH = 80;

/** Exit codes shared by `run` and `resume`. */
export const EXIT = { completed: 0, blocked: 1, usage: 2, interrupted: 130 } as const;

export interface PlainOptions {
  /** Count manual items and `confirm` steps as confirmed. */
  yes: boolean;
  /** At the first gate, walk the first recovery path once, then retry. */
  recover: boolean;
  /** Vars given on the command line (`--var NAME=VALUE`). */
  vars: Record<string, string>;
  /** Process environment (`STEPGATE_VAR_NAME` supplies var NAME). */
  env: Record<string, string | undefined>;
  /** Asks the operator for a var when there is a terminal; undefined otherwise. */
  ask?: (spec: VarSpec) => Promise<string>;
  /**
   * Asks the operator yes/no on their terminal (a manual item done? a `confirm=` step run?);
   * undefined without any terminal, where the walk stops at them unless `yes`.
   */
  confirm?: (question: string) => Promise<boolean>;
  out: NodeJS.WritableStream;
  /** For paths in messages. */
  cwd: string;
  /** `resume --retry`: a step blocked when the run starts is retried once. */
  retryBlocked?: boolean;
  /** `--skip STEP=REASON`: skip these steps (by id or key) when reached or blocked. */
  skips?: Record<string, string>;
  /** Set by the caller when SIGINT/SIGTERM/SIGHUP arrived. */
  interrupted: () => boolean;
  /**
   * A terminal to forward to running steps (a sudo prompt, y/n), in raw mode so the step's
   * pty does the echoing (none for passwords). Ctrl-C typed there calls `onCtrlC`.
   */
  input?: NodeJS.ReadStream;
  onCtrlC?: () => void;
}

/** Forwards a terminal's keys to the running step until the returned function is called. */
function forwardInput(store: SessionStore, input: NodeJS.ReadStream, onCtrlC: (() => void) | undefined): () => void {
  const actions = store.getState().actions;
  const raw = typeof input.setRawMode === 'function';
  const onData = (data: Buffer | string): void => {
    const text = data.toString();
    if (text.includes('\u0003') && onCtrlC) {
      onCtrlC();
      return;
    }
    if (store.getState().session.status.kind === 'running') actions.write(text);
  };
  if (raw) input.setRawMode(true);
  input.on('data', onData);
  input.resume();
  return () => {
    input.off('data', onData);
    input.pause();
    if (raw) input.setRawMode(false);
  };
}

function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
}

function stepKind(item: FlowItem): string {
  return item.step.kind === 'command' ? item.step.lang : item.step.kind;
}

/** The description's first sentence on one line, at most `max` characters. */
export function firstSentence(text: string, max = 100): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  const end = flat.search(/[.!?](\s|$)/);
  const sentence = end === -1 ? flat : flat.slice(0, end + 1);
  return sentence.length <= max ? sentence : `${sentence.slice(0, max - 3).trimEnd()}...`;
}

export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || rel === '' ? file : rel;
}

/** Prints the events of a session as they happen. Returns the unsubscribe. */
export function printEvents(store: SessionStore, out: NodeJS.WritableStream, cwd: string): () => void {
  const actions = store.getState().actions;
  let atLineStart = true;
  const write = (text: string): void => {
    if (text === '') return;
    out.write(text);
    atLineStart = text.endsWith('\n');
  };
  const line = (text: string): void => {
    if (!atLineStart) write('\n');
    write(`${text}\n`);
  };
  // A file or a pipe gets text: no colours or control sequences (a terminal gets them as is).
  const filter = (out as { isTTY?: boolean }).isTTY === true ? undefined : new EscapeFilter();
  const offOutput = actions.onOutput((text) => write(filter ? filter.feed(text) : text.replace(/\r\n/g, '\n')));
  const offEvent = actions.onEvent((event: SessionEvent, state: SessionState) => {
    const frame = state.frames[Math.min('depth' in event ? event.depth : 0, state.frames.length - 1)];
    const item = 'index' in event ? frame?.init.items[event.index] : undefined;
    switch (event.type) {
      case 'session-started':
        line(`== ${event.frame.title} (${displayPath(event.frame.source.file, cwd)}) · session ${event.id} ==`);
        break;
      case 'step-started': {
        if (!item || !frame) break;
        const where = state.frames.length > 1 ? `recovery ${frame.init.title} · ` : `${item.phase} · `;
        const retry = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
        line(`-- [${event.index + 1}/${frame.init.items.length}] ${where}${item.step.id} (${stepKind(item)})${retry} --`);
        if (item.step.description.trim() !== '' && item.step.kind !== 'manual') line(`   ${firstSentence(item.step.description)}`);
        break;
      }
      case 'check-attempt': {
        // What explains a failure leads (the body's reason, or its first line); the rest wraps
        // at word boundaries within 80 columns, as an SSM terminal shows it.
        const why = event.why !== undefined && !(event.error ?? '').startsWith(event.why) ? `${event.why} · ` : '';
        const result = event.ok
          ? `ok${event.status !== undefined ? ` (${event.status})` : ''} in ${fmtMs(event.latencyMs)}`
          : `failed: ${why}${event.error ?? 'no detail'}${event.output !== undefined ? `: ${event.output}` : ''}${event.nextDelayMs !== undefined ? `; next attempt in ${fmtMs(event.nextDelayMs)}` : ''}`;
        line(wordWrap(printable(`   check ${event.name ?? event.target} attempt ${event.attempt}/${event.of}: ${result}`), PLAIN_WIDTH, 6).join('\n'));
        break;
      }
      case 'step-finished': {
        const how = event.ok
          ? 'passed'
          : event.interrupted
            ? 'interrupted'
            : event.timedOut
              ? 'timed out'
              : `failed${event.exitCode !== null ? ` (exit ${event.exitCode})` : ''}`;
        line(wordWrap(printable(`   => ${how} in ${fmtMs(event.durationMs)}${!event.ok && event.reason ? `: ${event.reason}` : ''}`), PLAIN_WIDTH, 6).join('\n'));
        break;
      }
      case 'decision': {
        const d = event.decision;
        const label = item ? item.step.id : event.key;
        switch (d.kind) {
          case 'confirm':
            {
              const by = d.auto ? `--yes, run by ${event.who.user}` : event.who.user;
              line(item?.step.kind === 'manual' ? `-- [x] ${item.step.text} (confirmed by ${by})` : `   confirmed by ${by}`);
            }
            break;
          case 'recover':
            line(`== recovery for ${label}: ${displayPath(d.path.file, cwd)}${d.path.anchor ? `#${d.path.anchor}` : ''} (${d.frame.items.length} ${d.frame.items.length === 1 ? 'step' : 'steps'}) ==`);
            break;
          case 'skip':
            line(`-- ${label} skipped by ${event.who.user}: ${d.reason || 'optional step'}`);
            break;
          case 'override':
            line(`-- ${label} overridden by ${event.who.user}: ${d.reason}`);
            break;
          case 'retry':
            line(`-- retrying ${label}`);
            break;
          case 'abort':
            line(`-- aborted by ${event.who.user}${d.reason ? `: ${d.reason}` : ''}`);
            break;
          case 'decline':
            line(`-- ${label} declined`);
            break;
          case 'jump':
            line(`-- step ${d.index + 1} run out of order by ${event.who.user}: ${d.reason}`);
            break;
        }
        break;
      }
      case 'var-captured':
        line(`   captured ${event.name} = ${event.value.includes('\n') ? JSON.stringify(event.value) : event.value}`);
        break;
      case 'session-resumed':
        line(`== resumed by ${event.who.user} (pid ${event.pid}) ==`);
        break;
      case 'var-answered':
      case 'confirm-requested':
      // Written by `stepgate discard` in another process, never in a live walk.
      case 'session-discarded':
      case 'plan-replaced':
      // Said as it happens: by the shell's own line mid-session, by resume's notice on resume.
      case 'shell-reset':
        break;
    }
  });
  return () => {
    offOutput();
    offEvent();
    if (filter) write(filter.flush());
  };
}

function statusCell(step: StepState): string {
  if (step.interrupted && step.status === 'failed') return 'interrupted';
  return step.status;
}

/** The final table: every step of the main flow (and any recovery frame still open). */
export function summaryTable(state: SessionState): string {
  const rows: string[][] = [['#', 'step', 'phase', 'status', 'tries', 'time', 'note']];
  state.frames.forEach((frame, depth) => {
    frame.init.items.forEach((item, i) => {
      const s = frame.steps[i];
      if (!s) return;
      rows.push([
        depth === 0 ? String(i + 1) : `r${depth}.${i + 1}`,
        item.step.id,
        depth === 0 ? item.phase : 'recovery',
        statusCell(s),
        String(s.attempts),
        fmtMs(s.durationMs),
        (s.reason ?? '').split('\n')[0]?.slice(0, 60) ?? '',
      ]);
    });
  });
  const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** What blocks the session, and the ways out, for the operator or the CI log. */
export function describeBlock(state: SessionState, cwd: string): string {
  const cur = currentItem(state);
  if (!cur) return 'blocked';
  const lines = wordWrap(`BLOCKED at step ${cur.item.step.id} (${displayPath(cur.item.file, cwd)}:${cur.item.step.position.line})${cur.step.reason ? `: ${cur.step.reason}` : ''}`, PLAIN_WIDTH, 2);
  // A block of several checks: each one's last state, so the operator sees which ones failed.
  if (cur.item.step.kind === 'check' && cur.step.checks !== undefined && cur.step.checks.length > 1) {
    for (const c of cur.step.checks) {
      if (!c) continue;
      const state = c.ok ? 'ok' : `${c.why !== undefined && !(c.error ?? '').startsWith(c.why) ? `${c.why} · ` : ''}${c.error ?? 'failed'}`;
      lines.push(...wordWrap(printable(`  [${c.ok ? 'x' : '!'}] ${c.name ?? c.target} ${c.attempt}/${c.of}: ${state}`), PLAIN_WIDTH, 8));
    }
  }
  const recoveries = gateChoices(state).filter((c) => c.kind === 'recover');
  if (recoveries.length === 0) lines.push('no recovery path is declared for this step');
  else {
    lines.push('recovery paths:');
    for (const c of recoveries) {
      if (c.kind !== 'recover') continue;
      lines.push(`  ${c.index + 1}. ${displayPath(c.path.file, cwd)}${c.path.anchor ? `#${c.path.anchor}` : ''} (${c.path.origin})${c.disabled ? ` - ${c.disabled}` : ''}`);
    }
  }
  return lines.join('\n');
}

/** Answers the var being asked: --var, then STEPGATE_VAR_NAME, then a prompt on a terminal (default shown), else the default. */
async function answerVars(store: SessionStore, opts: PlainOptions): Promise<string | undefined> {
  const actions = store.getState().actions;
  for (;;) {
    const status = store.getState().session.status;
    if (status.kind !== 'vars') return undefined;
    const spec = status.spec;
    const flag = opts.vars[spec.name];
    const fromEnv = opts.env[`STEPGATE_VAR_${spec.name}`];
    if (flag !== undefined) await actions.answerVar(flag, 'flag');
    else if (fromEnv !== undefined) await actions.answerVar(fromEnv, 'env');
    else if (opts.ask) await actions.answerVar(await opts.ask(spec), 'prompt');
    else if (spec.default !== undefined) await actions.answerVar('', 'prompt');
    else return `var ${spec.name} (${spec.prompt}) needs a value: pass --var ${spec.name}=VALUE or set STEPGATE_VAR_${spec.name}`;
  }
}

/**
 * Walks the session until it ends or blocks. Returns the exit code; prints the summary.
 * `interruptedStep` (resume): a step that was running when stepgate died either stops the
 * run (`stop`, the default of `resume`) or runs again (`rerun`).
 */
export async function runPlain(store: SessionStore, opts: PlainOptions, interruptedStep: 'stop' | 'rerun' | 'gate' = 'gate'): Promise<number> {
  const actions = store.getState().actions;
  const out = opts.out;
  const state = (): SessionState => store.getState().session;
  let recovered = false;
  const skips = new Map(Object.entries(opts.skips ?? {}));
  // Where the walk starts, once the vars are answered (a resume asks for secret ones again):
  // --retry takes the block the session was resumed at, not a later one.
  let startSeq: number | undefined;
  const keys: { stop?: () => void } = {};
  const detach = (): void => {
    keys.stop?.();
    delete keys.stop;
  };
  const finish = (code: number, message?: string): number => {
    detach();
    if (message) out.write(`${message}\n`);
    out.write(`\n${summaryTable(state())}\n`);
    return code;
  };
  for (;;) {
    detach();
    const missing = await answerVars(store, opts);
    if (missing) return finish(EXIT.usage, `stepgate: ${missing}`);
    await actions.idle();
    if (opts.interrupted()) return finish(EXIT.interrupted, `stepgate: interrupted; continue with: stepgate resume ${state().id}`);
    startSeq ??= state().seq;
    const s = state();
    const cur = currentItem(s);
    const before = s.seq;
    const skipReason = cur ? (skips.get(cur.item.step.id) ?? skips.get(cur.item.key)) : undefined;
    if (opts.input) keys.stop = forwardInput(store, opts.input, opts.onCtrlC);
    switch (s.status.kind) {
      case 'ended': {
        const { outcome, reason } = s.status;
        if (outcome === 'completed') return finish(EXIT.completed, '== completed ==');
        return finish(EXIT.blocked, `== ${outcome}${reason ? `: ${reason}` : ''} ==`);
      }
      case 'ready':
      case 'confirm':
      case 'blocked':
        if (cur && skipReason !== undefined) {
          skips.delete(cur.item.step.id);
          skips.delete(cur.item.key);
          await actions.skip(skipReason);
          break;
        }
        if (s.status.kind === 'blocked') {
          if (opts.retryBlocked && before === startSeq && cur && !cur.step.interrupted) {
            out.write(`retrying blocked step ${cur.item.step.id}\n`);
            await actions.retry();
            break;
          }
          if (interruptedStep !== 'gate' && cur?.step.interrupted) {
            if (interruptedStep === 'stop') {
              return finish(EXIT.blocked, `${describeBlock(s, opts.cwd)}\nthe step was running when stepgate stopped; re-run it with: stepgate resume ${s.id} --yes --rerun-interrupted, or skip it with --skip ${cur.item.step.id}=REASON`);
            }
            interruptedStep = 'gate';
            out.write(`re-running interrupted step ${cur.item.step.id}\n`);
            await actions.retry();
            break;
          }
          const first = gateChoices(s).find((c) => c.kind === 'recover' && c.disabled === undefined);
          if (opts.recover && !recovered && first?.kind === 'recover') {
            recovered = true;
            await actions.chooseRecovery(first.index);
            break;
          }
          // Each way out spelled as a command for this session: "rerun" would read as starting
          // the runbook again, and a bare resume would only stop here again.
          const ways = [
            `  retry it:             stepgate resume ${s.id} --retry`,
            ...(first?.kind === 'recover' ? [`  walk recovery path 1: stepgate resume ${s.id} --recover`] : []),
            `  skip it with reason:  stepgate resume ${s.id} --skip ${cur?.item.step.id ?? 'STEP'}=REASON`,
            `  or decide in the TUI: stepgate (the picker lists this session)`,
          ];
          const hint = `\nwhat next:\n${ways.join('\n')}`;
          return finish(EXIT.blocked, `${describeBlock(s, opts.cwd)}${hint}`);
        }
        interruptedStep = 'gate';
        if (cur?.item.step.kind === 'manual' || s.status.kind === 'confirm') {
          const manual = cur?.item.step.kind === 'manual' ? cur.item.step.text : undefined;
          if (opts.yes) {
            await actions.confirm({ auto: true });
            break;
          }
          if (opts.confirm) {
            // The operator's terminal, even when stdout goes to a pipe: ask, as the TUI would.
            detach();
            const question = manual !== undefined ? `[ ] ${manual}\n    done?` : `step ${cur?.item.step.id} asks for confirmation: run it?`;
            if (await opts.confirm(question)) {
              await actions.confirm();
              break;
            }
            return finish(EXIT.blocked, `STOPPED: ${manual !== undefined ? `manual item "${manual}" not ticked` : `step ${cur?.item.step.id} not confirmed`}; continue with: stepgate resume ${s.id}`);
          }
          const what = manual !== undefined ? `manual item "${manual}"` : `step ${cur?.item.step.id} asks for confirmation`;
          return finish(
            EXIT.blocked,
            `STOPPED: ${what}, and there is no terminal to ask on; --yes ticks manual items and confirms steps (journaled as by --yes): stepgate resume ${s.id} --yes`,
          );
        }
        await actions.runStep();
        break;
      case 'vars':
      case 'running':
        break;
      case 'new':
        return finish(EXIT.blocked, 'stepgate: the session did not start');
      default: {
        const never: never = s.status;
        throw new Error(`unknown status ${JSON.stringify(never)}`);
      }
    }
    await actions.idle();
    const error = store.getState().error;
    // An intent that was refused moves nothing: say why rather than spin.
    if (state().seq === before && state().status.kind !== 'vars') {
      return finish(EXIT.blocked, `stepgate: ${error ?? 'no progress'}`);
    }
  }
}
