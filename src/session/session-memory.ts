/**
 * What a live session holds outside its state, because the state (and the journal) must not:
 * the runbooks it loaded, each var's value and declared default, secret ones included, and
 * the secrets to redact everywhere. The store owns one; the step context reads it.
 */
import { describeError } from '../errors.js';
import type { Runbook, VarSpec } from '../runbooks/model.js';
import { planRecovery, type LoadedRunbook } from './plan.js';
import { varValueProblem } from '../runbooks/vars.js';
import { REDACTED, SecretSet, looksSecret } from './redact.js';
import type { FrameInit, RecoveryPath, SessionEvent } from './types.js';

type VarAnswered = Extract<SessionEvent, { type: 'var-answered' }>;

export class SessionMemory {
  readonly secrets = new SecretSet();
  /** Var values, secret ones included; never in the store's state. */
  readonly varValues = new Map<string, string>();
  /** Declared defaults, secret ones included (the journal and the state hold `[REDACTED]` for those). */
  private varDefaults = new Map<string, string>();
  books = new Map<string, Runbook>();

  constructor(env: NodeJS.ProcessEnv) {
    this.secrets.addEnv(env);
  }

  /** The session's runbooks; their front-matter env is secret where it looks so. */
  learnBooks(books: Map<string, Runbook>): void {
    this.books = books;
    for (const book of books.values()) this.secrets.addEnv(book.frontMatter.env);
  }

  /** Remembers the declared defaults; a secret var's default is redacted like its value. */
  learnVars(vars: readonly VarSpec[]): void {
    this.varDefaults = new Map();
    for (const v of vars) {
      if (v.default === undefined) continue;
      this.varDefaults.set(v.name, v.default);
      if (v.secret) this.secrets.add(v.default);
    }
  }

  /**
   * The answer to `spec` (an empty one takes the default), kept with its value; the event to
   * journal carries the value only when it is not secret.
   */
  answer(spec: VarSpec, value: string, source: VarAnswered['source'], at: number): VarAnswered {
    const { fallback, chosen } = this.chosen(spec, value);
    const secret = spec.secret || looksSecret(spec.name);
    this.varValues.set(spec.name, chosen);
    if (secret) this.secrets.add(chosen);
    const event: VarAnswered = {
      type: 'var-answered',
      at,
      name: spec.name,
      secret,
      source: value === '' && fallback !== undefined && source === 'prompt' ? 'default' : source,
    };
    if (!secret) event.value = chosen;
    return event;
  }

  /** Why `value` (an empty one takes the default) cannot be the value of `spec`, or undefined. */
  problem(spec: VarSpec, value: string): string | undefined {
    return varValueProblem({ ...spec, secret: spec.secret || looksSecret(spec.name) }, this.chosen(spec, value).chosen);
  }

  private chosen(spec: VarSpec, value: string): { fallback: string | undefined; chosen: string } {
    // The state's spec of a secret var says `[REDACTED]`; the real default is in memory.
    const fallback = this.varDefaults.get(spec.name) ?? (spec.default === REDACTED ? undefined : spec.default);
    return { fallback, chosen: value === '' && fallback !== undefined ? fallback : value };
  }

  /** The frame of a recovery path, its runbook loaded first when new; or why it cannot be had. */
  async recoveryFrame(path: RecoveryPath, load: (file: string) => Promise<LoadedRunbook>): Promise<FrameInit | { error: string }> {
    if (!this.books.has(path.file)) {
      try {
        const loaded = await load(path.file);
        this.books.set(path.file, loaded.runbook);
        this.secrets.addEnv(loaded.runbook.frontMatter.env);
      } catch (error) {
        return { error: `cannot load ${path.label}: ${describeError(error)}` };
      }
    }
    try {
      return planRecovery(path, this.books);
    } catch (error) {
      return { error: describeError(error) };
    }
  }
}
