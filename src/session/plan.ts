/**
 * Turns parsed runbooks into what a session walks: the main frame (before checklists, the
 * runbook's steps, after checklists) and recovery frames, each step with its recovery paths.
 * Pure over already-loaded runbooks; `collectRunbooks` does the loading.
 */
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import type { LinkTarget, Runbook, Step, VarSpec } from '../runbooks/model.js';
import { resolveTarget, describeTarget } from '../runbooks/links.js';
import {
  findSection,
  looksLikeRecovery,
  recoveryOnlyAnchors,
  recoveryPaths,
  sectionTree,
  stepsInSection,
} from '../runbooks/sections.js';
import { matchPlans } from './match.js';
import { REDACTED, looksSecret } from './redact.js';
import type { FlowItem, FrameInit, Phase, PlanDiff, RecoveryPath, RecoveryOrigin } from './types.js';
import { describeError } from '../errors.js';

/** Loaded runbooks by resolved path. */
export type RunbookSet = ReadonlyMap<string, Runbook>;

/** Files farther than this many links from the main runbook are not loaded for planning. */
const MAX_LINKED_FILES = 64;

/**
 * Sections of a runbook that run only as recovery paths: the declared targets
 * (`recover=`, section directives, front matter) and same-file links that look like recovery.
 */
export function recoveryOnlySections(runbook: Runbook): Set<string> {
  const anchors = recoveryOnlyAnchors(runbook);
  const refs = [...runbook.crossRefs, ...runbook.sections.flatMap((s) => s.crossRefs), ...runbook.steps.flatMap((s) => s.crossRefs)];
  for (const ref of refs) {
    const { file, anchor } = ref.target;
    if (file === undefined && anchor !== undefined && looksLikeRecovery(ref) && findSection(runbook, anchor)) {
      for (const a of sectionTree(runbook, anchor)) anchors.add(a);
    }
  }
  return anchors;
}

/** Steps of a whole runbook walked from the top, recovery-only sections left out. */
export function walkedSteps(runbook: Runbook): Step[] {
  const skip = recoveryOnlySections(runbook);
  return runbook.steps.filter((step) => !skip.has(step.section));
}

/** What a step does, without where it sits: moving a step is not an edit, changing it is. */
export function stepHash(step: Step): string {
  const body =
    step.kind === 'command'
      ? { kind: step.kind, lang: step.lang, script: step.script, attrs: step.attrs }
      : step.kind === 'check'
        ? { kind: step.kind, checks: step.checks.map(({ position: _p, ...rest }) => rest), attrs: step.attrs }
        : { kind: step.kind, text: step.text };
  return createHash('sha256').update(JSON.stringify(body)).digest('hex');
}

const ORIGIN_BY_SOURCE = (runbook: Runbook, step: Step, target: LinkTarget): RecoveryOrigin => {
  if (step.kind !== 'manual' && step.attrs.recover === target) return 'step';
  if (runbook.frontMatter.recovery === target) return 'front-matter';
  if (runbook.sections.some((s) => s.recover === target)) return 'section';
  return 'link';
};

function recoveriesOf(runbook: Runbook, step: Step): RecoveryPath[] {
  const seen = new Set<string>();
  const out: RecoveryPath[] = [];
  for (const target of recoveryPaths(runbook, step)) {
    const resolved = resolveTarget(runbook.file, target);
    const label = describeTarget(resolved);
    if (seen.has(label)) continue;
    seen.add(label);
    const path: RecoveryPath = { label, origin: ORIGIN_BY_SOURCE(runbook, step, target), file: resolved.file };
    if (resolved.anchor !== undefined) path.anchor = resolved.anchor;
    out.push(path);
  }
  return out;
}

function itemsOf(runbook: Runbook, steps: Step[], phase: Phase, used: Set<string>): FlowItem[] {
  return steps.map((step) => {
    let key = `${runbook.file}#${step.id}`;
    for (let n = 2; used.has(key); n += 1) key = `${runbook.file}#${step.id}~${n}`;
    used.add(key);
    const item: FlowItem = { key, file: runbook.file, phase, step, hash: stepHash(step), recoveries: recoveriesOf(runbook, step) };
    const title = runbook.sections.find((s) => s.anchor === step.section)?.title;
    if (title !== undefined) item.sectionTitle = title;
    return item;
  });
}

/** Steps a link names: the section's subtree, or the whole file's walked steps. */
function targetSteps(book: Runbook, anchor: string | undefined): Step[] {
  return anchor === undefined ? walkedSteps(book) : stepsInSection(book, anchor);
}

export class PlanError extends Error {}

function need(books: RunbookSet, file: string, why: string): Runbook {
  const book = books.get(file);
  if (!book) throw new PlanError(`${why}: ${file} could not be loaded`);
  return book;
}

/** The main frame: `before` checklists, the runbook's own steps, then `after` checklists. */
export function planMain(main: Runbook, books: RunbookSet): FrameInit {
  const used = new Set<string>();
  const items: FlowItem[] = [];
  const checklist = (targets: LinkTarget[], phase: Phase): void => {
    for (const target of targets) {
      const resolved = resolveTarget(main.file, target);
      const book = need(books, resolved.file, `${phase} checklist ${target.raw}`);
      if (resolved.anchor !== undefined && !findSection(book, resolved.anchor)) {
        throw new PlanError(`${phase} checklist ${target.raw}: no section #${resolved.anchor} in ${resolved.file}`);
      }
      items.push(...itemsOf(book, targetSteps(book, resolved.anchor), phase, used));
    }
  };
  checklist(main.frontMatter.before, 'before');
  items.push(...itemsOf(main, walkedSteps(main), 'main', used));
  checklist(main.frontMatter.after, 'after');
  return { source: { file: main.file }, title: main.title, items, rollback: false };
}

/** A recovery frame for a chosen path. */
export function planRecovery(path: RecoveryPath, books: RunbookSet): FrameInit {
  const book = need(books, path.file, `recovery path ${path.label}`);
  let title = book.title;
  if (path.anchor !== undefined) {
    const section = findSection(book, path.anchor);
    if (!section) throw new PlanError(`recovery path ${path.label}: no section #${path.anchor} in ${path.file}`);
    title = section.title;
  }
  const items = itemsOf(book, targetSteps(book, path.anchor), 'recovery', new Set());
  const source: FrameInit['source'] = path.anchor === undefined ? { file: path.file } : { file: path.file, anchor: path.anchor };
  return { source, title, items, rollback: book.frontMatter.rollback };
}

/** Re-plan a frame from its source (resume after the runbook changed). */
export function replanFrame(init: FrameInit, books: RunbookSet, isMain: boolean): FrameInit {
  if (isMain) return planMain(need(books, init.source.file, 'runbook'), books);
  const path: RecoveryPath = { label: describeTarget(init.source), origin: 'link', file: init.source.file };
  if (init.source.anchor !== undefined) path.anchor = init.source.anchor;
  return planRecovery(path, books);
}

/**
 * Steps added, removed and edited between two plans of one frame: matched by content first,
 * then by key (see `matchPlans`). Keys are the new plan's, except for removed steps.
 */
export function diffPlans(before: FrameInit, after: FrameInit): PlanDiff {
  const match = matchPlans(before, after);
  return {
    added: after.items.filter((_, i) => match.from[i] === undefined).map((i) => i.key),
    removed: match.removed.map((i) => before.items[i]?.key ?? ''),
    edited: after.items.filter((_, i) => match.edited[i]).map((i) => i.key),
  };
}

/**
 * Every var any loaded runbook declares, first declaration wins. A var whose name looks secret
 * (`DB_PASSWORD`, `API_TOKEN`) is secret whatever its declaration says, so the prompt, the
 * journal and resume all treat it alike.
 */
export function collectVars(books: RunbookSet, mainFile: string): VarSpec[] {
  const out = new Map<string, VarSpec>();
  const ordered = [books.get(mainFile), ...[...books.entries()].filter(([f]) => f !== mainFile).map(([, b]) => b)];
  for (const book of ordered) {
    for (const v of book?.frontMatter.vars ?? []) {
      if (!out.has(v.name)) out.set(v.name, v.secret || !looksSecret(v.name) ? v : { ...v, secret: true });
    }
  }
  return [...out.values()];
}

/**
 * The var specs as journaled: a secret var's default is a secret too, so its value is replaced
 * by `[REDACTED]` (the spec still says there is a default; the store keeps the value in memory).
 */
export function journaledVars(vars: readonly VarSpec[]): VarSpec[] {
  return vars.map((v) => (v.secret && v.default !== undefined ? { ...v, default: REDACTED } : v));
}

/** Files a runbook points at that may matter to a session (checklists, recovery, links). */
function linkedFiles(runbook: Runbook): string[] {
  const targets: LinkTarget[] = [
    ...runbook.frontMatter.before,
    ...runbook.frontMatter.after,
    ...(runbook.frontMatter.recovery ? [runbook.frontMatter.recovery] : []),
    // What a gate can offer, and only that: a recovery-looking link in prose beside no step
    // that can block (ssm.md's closing "recovery.md holds the procedures") made the session
    // ask recovery.md's vars and refused to start on its preflight (a trial on a bare host).
    ...runbook.steps.flatMap((s) => (s.kind === 'manual' ? [] : recoveryPaths(runbook, s))),
  ];
  return targets.filter((t) => t.file !== undefined).map((t) => resolveTarget(runbook.file, t).file);
}

export interface LoadedRunbook {
  runbook: Runbook;
  text: string;
  sha256: string;
}

/**
 * Loads the main runbook and, breadth first, every file it reaches through checklists and
 * recovery links. Files that fail to load are reported, not fatal: a gate that offers one
 * says so when it is chosen.
 */
export async function collectRunbooks(
  mainFile: string,
  load: (file: string) => Promise<LoadedRunbook>,
): Promise<{ books: Map<string, Runbook>; digests: Map<string, string>; failures: Map<string, string> }> {
  const books = new Map<string, Runbook>();
  const digests = new Map<string, string>();
  const failures = new Map<string, string>();
  const queue = [posix.normalize(mainFile)];
  const main = await load(queue[0] ?? mainFile);
  const unreadable = main.runbook.diagnostics.find((d) => d.code === 'read-error' || d.code === 'file-too-large' || d.code === 'too-complex' || (d.code === 'untrusted-file' && d.severity === 'error'));
  if (unreadable) throw new PlanError(unreadable.message);
  books.set(main.runbook.file, main.runbook);
  digests.set(main.runbook.file, main.sha256);
  queue.splice(0, 1, ...linkedFiles(main.runbook));
  while (queue.length > 0 && books.size + failures.size < MAX_LINKED_FILES) {
    const file = queue.shift() as string;
    if (books.has(file) || failures.has(file)) continue;
    try {
      const loaded = await load(file);
      const unreadable = loaded.runbook.diagnostics.find((d) => d.code === 'read-error' || (d.code === 'untrusted-file' && d.severity === 'error'));
      if (unreadable) throw new Error(unreadable.message);
      books.set(file, loaded.runbook);
      digests.set(file, loaded.sha256);
      queue.push(...linkedFiles(loaded.runbook));
    } catch (err) {
      failures.set(file, describeError(err));
    }
  }
  return { books, digests, failures };
}
