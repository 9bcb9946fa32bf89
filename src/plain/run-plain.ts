/**
 * Plain (headless) mode's walk: the session driven in order, for CI, scripts and terminals
 * without the TUI, until it ends or needs someone. The printing is `print-events.ts`'s.
 */
import type { VarSpec } from '../runbooks/model.js';
import { currentItem, gateChoices } from '../session/reducer.js';
import type { SessionStore } from '../session/store.js';
import type { SessionState } from '../session/types.js';
import { describeBlock, summaryTable } from './print-events.js';

/** How a plain walk ended; the commands turn it into an exit code (`commands/exit-codes.ts`). */
export type PlainEnd = 'completed' | 'blocked' | 'usage' | 'interrupted';

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
export async function runPlain(store: SessionStore, opts: PlainOptions, interruptedStep: 'stop' | 'rerun' | 'gate' = 'gate'): Promise<PlainEnd> {
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
  const finish = (end: PlainEnd, message?: string): PlainEnd => {
    detach();
    if (message) out.write(`${message}\n`);
    out.write(`\n${summaryTable(state())}\n`);
    return end;
  };
  for (;;) {
    detach();
    const missing = await answerVars(store, opts);
    if (missing) return finish('usage', `stepgate: ${missing}`);
    await actions.idle();
    if (opts.interrupted()) return finish('interrupted', `stepgate: interrupted; continue with: stepgate resume ${state().id}`);
    startSeq ??= state().seq;
    const s = state();
    const cur = currentItem(s);
    const before = s.seq;
    const skipReason = cur ? (skips.get(cur.item.step.id) ?? skips.get(cur.item.key)) : undefined;
    if (opts.input) keys.stop = forwardInput(store, opts.input, opts.onCtrlC);
    switch (s.status.kind) {
      case 'ended': {
        const { outcome, reason } = s.status;
        if (outcome === 'completed') return finish('completed', '== completed ==');
        return finish('blocked', `== ${outcome}${reason ? `: ${reason}` : ''} ==`);
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
              return finish('blocked', `${describeBlock(s, opts.cwd)}\nthe step was running when stepgate stopped; re-run it with: stepgate resume ${s.id} --yes --rerun-interrupted, or skip it with --skip ${cur.item.step.id}=REASON`);
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
          return finish('blocked', `${describeBlock(s, opts.cwd)}${hint}`);
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
            return finish('blocked', `STOPPED: ${manual !== undefined ? `manual item "${manual}" not ticked` : `step ${cur?.item.step.id} not confirmed`}; continue with: stepgate resume ${s.id}`);
          }
          const what = manual !== undefined ? `manual item "${manual}"` : `step ${cur?.item.step.id} asks for confirmation`;
          return finish(
            'blocked',
            `STOPPED: ${what}, and there is no terminal to ask on; --yes ticks manual items and confirms steps (journaled as by --yes): stepgate resume ${s.id} --yes`,
          );
        }
        await actions.runStep();
        break;
      case 'vars':
      case 'running':
        break;
      case 'new':
        return finish('blocked', 'stepgate: the session did not start');
      default: {
        const never: never = s.status;
        throw new Error(`unknown status ${JSON.stringify(never)}`);
      }
    }
    await actions.idle();
    const error = store.getState().error;
    // An intent that was refused moves nothing: say why rather than spin.
    if (state().seq === before && state().status.kind !== 'vars') {
      return finish('blocked', `stepgate: ${error ?? 'no progress'}`);
    }
  }
}
