/**
 * Answers the vars a session asks for from what was given before it asked: `--var NAME=VALUE`,
 * then `STEPGATE_VAR_NAME`, then (plain mode) a prompt on a terminal. Both faces answer
 * through here; the TUI leaves what is not given to its own prompt.
 */
import type { VarSpec } from '../runbooks/model.js';
import type { SessionStore } from './store-types.js';
import type { SessionState, VarSource } from './types.js';

export interface GivenVars {
  /** `--var NAME=VALUE`. */
  vars: Record<string, string>;
  /** The environment (`STEPGATE_VAR_NAME` supplies var NAME). */
  env: Record<string, string | undefined>;
  /** Asks the operator (plain mode on a terminal), saying why the last answer was refused. */
  ask?: (spec: VarSpec, refused?: string) => Promise<string>;
  /**
   * A var neither given nor asked: `leave` it asked (the TUI prompts), or take its `default`
   * (plain mode; without a default that is a message saying how to give it).
   */
  otherwise: 'leave' | 'default';
  /**
   * A var with a default takes it without asking (`--yes`: a trial's `run --yes` on a terminal
   * sat at `widget port [18175]:`, unattended). One without a default is still asked.
   */
  takeDefaults?: boolean;
}

/** Answers while a var is asked; a message when one cannot be (plain mode), else undefined. */
export async function answerVars(store: SessionStore, given: GivenVars): Promise<string | undefined> {
  const actions = store.getState().actions;
  let refused: string | undefined;
  for (;;) {
    const status = store.getState().session.status;
    if (status.kind !== 'vars') return undefined;
    const spec = status.spec;
    const flag = given.vars[spec.name];
    const fromEnv = given.env[`STEPGATE_VAR_${spec.name}`];
    // A given value the var's pattern refuses is refused as given: asked again, it would be
    // refused again.
    if (flag !== undefined) {
      const problem = await actions.answerVar(flag, 'flag');
      if (problem !== undefined) return `--var ${problem}`;
    } else if (fromEnv !== undefined) {
      const problem = await actions.answerVar(fromEnv, 'env');
      if (problem !== undefined) return `STEPGATE_VAR_${problem}`;
    } else if (given.otherwise === 'leave') return undefined;
    // A secret's value is never kept: one given before by a person or a flag is asked for (or
    // refused) again, never replaced by its default (a review: later steps ran with another
    // password). Nor does --yes take a secret's default: a secret is typed, never assumed.
    else if (spec.default !== undefined && !given.ask && secretGivenBefore(store.getState().session, spec) !== undefined) return secretAgain(spec, secretGivenBefore(store.getState().session, spec) ?? 'prompt');
    else if (given.takeDefaults === true && spec.default !== undefined && !spec.secret && refused === undefined) {
      refused = await actions.answerVar('', 'prompt');
      if (refused !== undefined && !given.ask) return refused;
    } else if (given.ask) refused = await actions.answerVar(await given.ask(spec, refused), 'prompt');
    else if (spec.default !== undefined) {
      const problem = await actions.answerVar('', 'prompt');
      if (problem !== undefined) return problem;
    } else return needsValue(spec);
  }
}

/**
 * The TUI's side: every var given (`--var`, `STEPGATE_VAR_NAME`) is answered whenever it comes
 * to be asked, also after the operator answered one that was not given before it in the
 * runbook's order (without this, a `--var` after the first prompted var was asked again, and
 * enter took its default). Returns the unsubscribe.
 */
export function answerGivenWhenAsked(store: SessionStore, given: Omit<GivenVars, 'ask' | 'otherwise'>): () => void {
  let busy = false;
  // Vars whose given value was refused (their pattern): the operator answers them at the prompt,
  // which shows why (the store's error).
  const refused = new Set<string>();
  const check = (): void => {
    if (busy) return;
    const status = store.getState().session.status;
    if (status.kind !== 'vars') return;
    const name = status.spec.name;
    if (refused.has(name) || (given.vars[name] === undefined && given.env[`STEPGATE_VAR_${name}`] === undefined)) return;
    busy = true;
    void answerVars(store, { ...given, otherwise: 'leave' })
      .then((problem) => {
        const asked = store.getState().session.status;
        // The store's error says why (redacted); the prompt is the operator's now.
        if (problem !== undefined && asked.kind === 'vars') refused.add(asked.spec.name);
      })
      .catch(() => undefined)
      .finally(() => {
        busy = false;
        check();
      });
  };
  const unsubscribe = store.subscribe(check);
  check();
  return unsubscribe;
}

/** A `--var` given to a session that had answered that var otherwise. */
export interface VarConflict {
  name: string;
  answered: string;
  given: string;
}

/**
 * The `--var`s that would change a var the session has answered: a session keeps its answers
 * (the steps that ran used them), so such a flag would be ignored, and a `RELEASE=v2` given to
 * resume a session that answered `v1` would quietly go on with v1. Secrets are not compared:
 * their values are never kept, so a resume asks for them again.
 */
export function varConflicts(answered: Record<string, string | undefined>, given: Record<string, string>): VarConflict[] {
  const conflicts: VarConflict[] = [];
  for (const [name, value] of Object.entries(given)) {
    const before = answered[name];
    if (before !== undefined && before !== value) conflicts.push({ name, answered: before, given: value });
  }
  return conflicts;
}

/**
 * How a secret var was answered before, when a person or a flag gave it (not its default): read
 * from the session before a resume (its answers) or after one (what the resume forgot).
 */
export function secretGivenBefore(state: SessionState, spec: Pick<VarSpec, 'name' | 'secret'>): VarSource | undefined {
  const answer = state.answers[spec.name];
  const source = (answer?.secret === true ? answer.source : undefined) ?? state.secretsBefore?.[spec.name];
  return spec.secret && source !== undefined && source !== 'default' ? source : undefined;
}

/** What to say of a secret given before that its default would replace, where nobody can be asked. */
export function secretAgain(spec: Pick<VarSpec, 'name' | 'prompt'>, before: VarSource): string {
  return `var ${spec.name} (${spec.prompt}) is a secret, never kept: it was given before (${before}), and its default would quietly replace it; pass --var ${spec.name}=VALUE or set STEPGATE_VAR_${spec.name} again`;
}

/** What to say of a var nobody gave a value and that has no default, where nobody can be asked. */
export function needsValue(spec: Pick<VarSpec, 'name' | 'prompt'>): string {
  return `var ${spec.name} (${spec.prompt}) needs a value: pass --var ${spec.name}=VALUE or set STEPGATE_VAR_${spec.name}`;
}
