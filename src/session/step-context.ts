/**
 * Where, as whom and with what a step runs: pure functions of the loaded runbooks, the
 * session's options and its var values. The loaded runbooks are the one source of a step as
 * written: the plan's copy (journaled, replayed on resume) may have secrets redacted.
 */
import type { Runbook, Step } from '../runbooks/model.js';
import type { FlowItem } from './types.js';

export interface StepContext {
  /** Every runbook of the session, by absolute path, as loaded from disk (never redacted). */
  books: ReadonlyMap<string, Runbook>;
  /** The main runbook's path. */
  file: string;
  /** `--as USER`: run-as user for steps that do not name their own. */
  as?: string | undefined;
  /** Var values, secret ones included. */
  vars: ReadonlyMap<string, string>;
  /** Process environment (`${NAME}` in checks). */
  env: Record<string, string | undefined>;
}

/** The step to run: as it is in the loaded runbook now, else the plan's copy. */
export function runnableStep(ctx: StepContext, item: FlowItem): Step {
  return ctx.books.get(item.file)?.steps.find((s) => s.id === item.step.id) ?? item.step;
}

function frontMatterOf(ctx: StepContext, item: FlowItem): Runbook['frontMatter'] | undefined {
  return ctx.books.get(item.file)?.frontMatter;
}

/** The step's environment: its runbook's front-matter env, then the vars. */
export function stepEnv(ctx: StepContext, item: FlowItem): Record<string, string> {
  return { ...(frontMatterOf(ctx, item)?.env ?? {}), ...Object.fromEntries(ctx.vars) };
}

/**
 * A step's own `cwd=`, or the front-matter cwd of a linked runbook (a checklist in another
 * file). Steps of the main runbook get none: the shell starts in its cwd and a `cd` in one
 * step holds in the next, as in a terminal.
 */
export function stepCwd(ctx: StepContext, item: FlowItem, step: Step): string | undefined {
  const own = step.kind === 'manual' ? undefined : step.attrs.cwd;
  if (own !== undefined) return own;
  return item.file === ctx.file ? undefined : frontMatterOf(ctx, item)?.cwd;
}

/** A check's directory for `run:` probes: its own `cwd=`, else its runbook's. */
export function checkCwd(ctx: StepContext, item: FlowItem, step: Extract<Step, { kind: 'check' }>): string | undefined {
  return step.attrs.cwd ?? frontMatterOf(ctx, item)?.cwd;
}

/** The user a step runs as: its own `user=`, `--as`, its runbook's, the main runbook's. */
export function stepUser(ctx: StepContext, item: FlowItem, step: Step): string | undefined {
  const own = step.kind === 'manual' ? undefined : step.attrs.user;
  return own ?? ctx.as ?? frontMatterOf(ctx, item)?.user ?? ctx.books.get(ctx.file)?.frontMatter.user;
}

/** The user of the session shell: `--as`, else the main runbook's. */
export function shellUser(ctx: StepContext): string | undefined {
  return ctx.as ?? ctx.books.get(ctx.file)?.frontMatter.user;
}

/** Where and as whom the session shell starts, with what environment. */
/** Where, as whom and with what environment the session shell starts. */
export interface ShellPlace {
  user: string | undefined;
  cwd: string | undefined;
  env: Record<string, string>;
}

export function shellPlace(ctx: StepContext): ShellPlace {
  const main = ctx.books.get(ctx.file);
  return { user: shellUser(ctx), cwd: main?.frontMatter.cwd, env: { ...(main?.frontMatter.env ?? {}), ...Object.fromEntries(ctx.vars) } };
}

/** `${NAME}` in a check: a var, the runbook's env, the process environment. */
export function lookupVar(ctx: StepContext, item: FlowItem): (name: string) => string | undefined {
  return (name) => ctx.vars.get(name) ?? frontMatterOf(ctx, item)?.env[name] ?? ctx.env[name];
}
