/**
 * The runbook model: what a markdown runbook means to stepgate.
 *
 * Everything here is plain data (JSON-serialisable) so `plan --json` can print it and the
 * session journal can hash it. Every node keeps the 1-based line and column of its source.
 */

export interface Position {
  line: number;
  column: number;
}

export type Severity = 'error' | 'warning';

/** Stable codes; tests and docs/runbook-format.md refer to them by name. */
export type DiagnosticCode =
  | 'unknown-attribute'
  | 'ignored-attribute'
  | 'bad-attribute'
  | 'bad-duration'
  | 'bad-expect'
  | 'check-no-target'
  | 'bad-check'
  | 'bad-yaml'
  | 'bad-front-matter'
  | 'duplicate-step-name'
  | 'unresolved-target'
  | 'unresolved-link'
  | 'recovery-in-flow'
  | 'sudo-in-step'
  | 'curl-retry-loop'
  | 'background-job'
  | 'no-description'
  | 'pre-ticked'
  | 'unknown-variable'
  | 'reserved-name'
  | 'secret-in-runbook'
  | 'unclosed-fence'
  | 'unknown-language'
  | 'binary-file'
  | 'empty-file'
  | 'file-too-large'
  | 'too-complex'
  | 'untrusted-file'
  | 'read-error';

export interface Diagnostic {
  file: string;
  line: number;
  column: number;
  severity: Severity;
  code: DiagnosticCode;
  message: string;
}

/** A reference to another runbook or a section: `checklists.md#pre-deploy`, `#rollback`. */
export interface LinkTarget {
  /** As written in the source. */
  raw: string;
  /** Path relative to the runbook's own directory; undefined when the link is same-file. */
  file?: string;
  /** Slug of a heading, without `#`. */
  anchor?: string;
  position: Position;
}

export interface CrossRef {
  target: LinkTarget;
  /** Link text, or the code span's text for `` `RUNBOOK.md` ``. */
  text: string;
  via: 'link' | 'code';
}

export interface VarSpec {
  name: string;
  prompt: string;
  default?: string;
  secret: boolean;
  /** A regular expression the whole value must match (`[0-9]+` refuses `8080x`), as written. */
  pattern?: string;
  /** What the pattern takes, in words, said when it refuses a value instead of the pattern itself (`a port from 1024 to 65535`). */
  hint?: string;
  position: Position;
}

export interface FrontMatter {
  title?: string;
  description?: string;
  /** Run-as user for every step; overridden by a step's `user=` or `--as`. */
  user?: string;
  /** Where `user:` is written, for what is said about it (a user this host lacks). */
  userPosition?: Position;
  cwd?: string;
  env: Record<string, string>;
  /** Where each `env:` entry is written; absent when there is none. */
  envPositions?: Record<string, Position>;
  vars: VarSpec[];
  /** Default recovery path for every gate in this runbook. */
  recovery?: LinkTarget;
  before: LinkTarget[];
  after: LinkTarget[];
  /** Walking this runbook to the end (as a recovery path) ends the session as rolled back. */
  rollback: boolean;
  /**
   * The host-wide lock a session of this runbook holds while it runs (default: the runbook's
   * own path), so two operators cannot run it at once.
   */
  lock?: string;
  /**
   * The front matter is not valid YAML, so nothing of it was read: names its `vars:` and `env:`
   * may define are not known to be undefined.
   */
  unreadable?: true;
}

export interface Section {
  /** GitHub-style slug, unique within the file (`pre-deploy`, `health-checks-1`). */
  anchor: string;
  title: string;
  /** Heading depth: 1 for `#`, 2 for `##`, ... */
  depth: number;
  /** Anchor of the enclosing section, if any. */
  parent?: string;
  position: Position;
  crossRefs: CrossRef[];
  /** From an invisible `<!-- stepgate: recover=recovery.md#x -->` comment in the section. */
  recover?: LinkTarget;
}

/** Fence attributes, resolved and validated. Durations are milliseconds. */
export interface StepAttributes {
  name?: string;
  timeoutMs?: number;
  cwd?: string;
  user?: string;
  /** Total attempts (the guide's "retries up to 5 times" = 5). Checks only, for now. */
  retries?: number;
  backoffMs?: number;
  recover?: LinkTarget;
  /**
   * Command steps: what the step prints (escapes stripped, trimmed) becomes the session
   * variable NAME, journaled, restored on resume and passed to every later step and check.
   * Written once per session: a re-run keeps the first value.
   */
  capture?: string;
  confirm: boolean;
  interactive: boolean;
  optional: boolean;
  isolated: boolean;
  /** When this step passes, the session ends as rolled back. */
  rollback: boolean;
}

/** An inclusive range of HTTP status codes. */
export interface StatusRange {
  min: number;
  max: number;
}

export type CheckKind = 'http' | 'tcp' | 'run';

/**
 * Redirects an http check follows at most, in stepgate (exec/redirects.ts) and in an exported
 * document's shell alike. Browsers and curl stop at 20 or 50; a health endpoint needs few.
 */
export const MAX_REDIRECTS = 10;

export interface CheckSpec {
  kind: CheckKind;
  /** URL, host:port or command, before `${VAR}` expansion. */
  target: string;
  name?: string;
  /** HTTP only; default 200-299. */
  expect: StatusRange[];
  contains?: string;
  /** HTTP only: `any` follows redirects to other origins too (default: the check's own origin only). */
  follow?: 'same-origin' | 'any';
  /** Per attempt. */
  timeoutMs: number;
  /** Total attempts. */
  attempts: number;
  /** First backoff delay; doubles each attempt, with jitter. */
  backoffMs: number;
  position: Position;
}

interface StepBase {
  /** Unique within the runbook: the `name` attribute, else derived from section and order. */
  id: string;
  /** Order in the file, from 0. */
  index: number;
  /** Anchor of the enclosing section ('' before the first heading). */
  section: string;
  /** The prose right before the step (for manual items: the item text). */
  description: string;
  position: Position;
  crossRefs: CrossRef[];
}

export interface CommandStep extends StepBase {
  kind: 'command';
  lang: string;
  script: string;
  attrs: StepAttributes;
}

export interface CheckStep extends StepBase {
  kind: 'check';
  checks: CheckSpec[];
  /**
   * Checks of the block refused for an error in one of their fields (never run): lint still
   * reads their target, so a mistyped `${VAR}` is said with the error, not after its fix.
   */
  refused?: CheckSpec[];
  attrs: StepAttributes;
}

export interface ManualStep extends StepBase {
  kind: 'manual';
  text: string;
  /** `- [x]` in the source. */
  done: boolean;
  /** Nesting depth among task items, from 0. */
  depth: number;
  /** Id of the enclosing task item, for nested items. */
  parent?: string;
}

export type Step = CommandStep | CheckStep | ManualStep;
export type StepKind = Step['kind'];

/** A fenced block that is shown, not run (yaml, json, text, unknown languages). */
export interface Snippet {
  lang: string;
  code: string;
  section: string;
  position: Position;
}

export interface Runbook {
  /** Path as given to the parser. */
  file: string;
  title: string;
  description?: string;
  frontMatter: FrontMatter;
  sections: Section[];
  steps: Step[];
  snippets: Snippet[];
  crossRefs: CrossRef[];
  diagnostics: Diagnostic[];
}

export const DEFAULT_CHECK_ATTEMPTS = 5;
export const DEFAULT_CHECK_BACKOFF_MS = 2000;
export const DEFAULT_CHECK_TIMEOUT_MS = 5000;
