/** `stepgate plan FILE [--as USER] [--json]`: what would run, in order, without running anything. */
import { userInfo } from 'node:os';
import {
  formatDiagnostic,
  durationLiteral,
  planRunbook,
  type Plan,
  type PlannedStep,
} from '../runbooks/index.js';
import { looksSecretName } from '../runbooks/vars.js';
import { createRunbookCache, primeRunbooks, readRunbookFileSync } from './load.js';
import { setRunbookTree, setTrustPolicy } from './trust.js';
import { lintWithReached } from './lint-gate.js';
import { usageError } from './usage.js';
import { parseCommand } from './parse-command.js';
import { PLAN } from './specs.js';
import { EXIT } from './exit-codes.js';
import { displayText, terminalJson } from '../session/printable.js';
import { clip, wrapKeepingText, wrapText } from '../session/word-wrap.js';

const USAGE = PLAN.usage;

export async function main(argv: string[]): Promise<number> {
  const parsed = parseCommand(PLAN, argv);
  if (typeof parsed === 'number') return parsed;
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) return usageError('plan takes exactly one runbook file', USAGE);
  setTrustPolicy('warn');
  setRunbookTree(file);
  await primeRunbooks([file]);
  const { runbook } = readRunbookFileSync(file);
  const unreadable = runbook.diagnostics.find((d) => d.code === 'read-error' || d.code === 'binary-file' || d.code === 'file-too-large' || d.code === 'too-complex');
  if (unreadable) {
    process.stderr.write(`${displayText(formatDiagnostic(unreadable))}\n`);
    return EXIT.usage;
  }
  const load = createRunbookCache();
  // Its checklists' and recovery runbooks' too: a session of it would refuse their errors.
  const { diagnostics } = lintWithReached([runbook], load);
  const as = parsed.values.as;
  if (as === '') return usageError('--as wants a user name', USAGE);
  const plan = planRunbook(runbook, load, as !== undefined ? { as } : {});
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  // A user given with --as that this host lacks is noted, on stderr (a pasted plan stays as
  // it is): a trial's `--as ubutnu` planned without a word, where run refuses. The runbook's own
  // `user:` is not looked up: a plan is often read away from the host it is for.
  if (as !== undefined && as !== currentUser()) {
    const { lookupUser } = await import('../exec/run-as.js');
    if ((await lookupUser(as).catch(() => undefined)) === undefined) {
      process.stderr.write(`stepgate: note: no user ${JSON.stringify(as)} on this host: run, resume and the TUI here would refuse to run its steps as it\n`);
    }
  }
  if (parsed.values.json === true) {
    process.stdout.write(`${terminalJson({ plan, diagnostics }, 2)}\n`);
  } else {
    // Titles, headings, prose, check names and code come from the runbook: printable only. On
    // a terminal, command lines fit its width; a file or a pipe gets each of them whole.
    const columns = process.stdout.isTTY ? process.stdout.columns : undefined;
    process.stdout.write(displayText(renderPlan(plan, columns, currentUser())));
    if (diagnostics.length > 0) {
      process.stdout.write('\nDiagnostics:\n');
      for (const d of diagnostics) process.stdout.write(`  ${displayText(formatDiagnostic(d))}\n`);
    }
  }
  return errors > 0 ? EXIT.usage : EXIT.completed;
}

/** The user stepgate runs as here, if it has a name. */
function currentUser(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}

/**
 * Where the steps start when the runbook names no `cwd:`: as another user, in that user's home
 * (a login shell, as `sudo -iu` gives); as yourself, where you start stepgate.
 */
function defaultCwd(user: string | undefined, me: string | undefined): string {
  return user !== undefined && user !== me ? `~${user} (its home: a login shell)` : '(current directory)';
}

/**
 * Plain text, 80 columns, no colour: plans get pasted into tickets and change requests. Each
 * line of a step's code is whole, however long; with `columns` (a terminal's width) a longer
 * one is wrapped instead, its rows under its `$` indented further, and the plan says so.
 * @param me the user who runs stepgate (steps as another user start in that user's home)
 */
export function renderPlan(plan: Plan, columns?: number, me?: string): string {
  const out: string[] = [];
  out.push(`${plan.title}  (${plan.file})`);
  if (plan.description) out.push(...wrapText(plan.description, 80, { keepWords: true }));
  out.push(`run as: ${plan.user ?? '(current user)'}   cwd: ${plan.cwd ?? defaultCwd(plan.user, me)}`);
  if (plan.vars.length > 0)
    out.push(`vars: ${plan.vars.map((v) => `${v.name}${v.secret ? ' (secret)' : v.default !== undefined ? `=${v.default}` : ''}`).join(', ')}`);
  // Given to every step; a secret-looking name's value stays out of tickets.
  const env = Object.entries(plan.env);
  if (env.length > 0) out.push(`env: ${env.map(([name, value]) => `${name}=${looksSecretName(name) ? '(secret)' : value}`).join(', ')}`);
  // An unnamed step's id is made up (`work-3`) and shown nowhere else: say what it is for.
  out.push('Each step id (after its number) is what --skip ID=REASON takes.');
  const wrapped = { any: false };
  const code = codeLines(columns, wrapped);
  const note = out.length;
  let n = 0;
  for (const part of plan.parts) {
    out.push('');
    const where = part.role === 'main' ? '' : `  ${part.file}${part.anchor ? `#${part.anchor}` : ''}`;
    out.push(`${part.role.toUpperCase()}: ${part.title}${where}`);
    if (part.error) out.push(`  ! ${part.error}`);
    if (!part.error && part.sections.length === 0) out.push('  (no steps)');
    for (const section of part.sections) {
      out.push(`  ${'#'.repeat(Math.max(1, section.depth))} ${section.title}`);
      for (const step of section.steps) out.push(...renderStep(++n, step, code));
    }
  }
  if (plan.recoveryOnly.length > 0) out.push('', ...wrapText(`Recovery-only sections (run only from a gate): ${plan.recoveryOnly.map((a) => `#${a}`).join(', ')}`, 80, { keepWords: true }));
  if (plan.crossRefs.length > 0) {
    out.push('', 'Cross-references:');
    for (const ref of plan.crossRefs) out.push(`  ${ref.text === ref.target ? ref.target : `${ref.text} -> ${ref.target}`}`);
  }
  // A wrapped row copied from the terminal is a broken command: say where each line is whole.
  if (wrapped.any) out.splice(note, 0, 'Long code lines wrap, indented under their $; piped (| cat) each is one line.');
  return `${out.join('\n')}\n`;
}

/** The `$` lines of a script, a command step's or a multi-line `run` check's. */
type CodeLines = (script: string) => string[];

const PAD = '     ';
/** How much further than its `$` a wrapped line's next rows start. */
const HANG = '    ';
/** A terminal narrower than this still gets rows of this much code. */
const MIN_CODE = 20;

/**
 * Each line of `script` as `$ line` under a step; with `columns`, a line longer than the
 * terminal is cut into rows that fit it (at spaces when it can, no character lost), the rows
 * after the first hanging under it, and `wrapped.any` is set.
 */
function codeLines(columns: number | undefined, wrapped: { any: boolean }): CodeLines {
  return (script) => {
    const lines = script.replace(/\n$/, '').split('\n');
    if (columns === undefined || columns <= 0) return lines.map((line) => `${PAD}$ ${line}`);
    const first = Math.max(MIN_CODE, columns - PAD.length - 2);
    const rest = Math.max(MIN_CODE, columns - PAD.length - 2 - HANG.length);
    return lines.flatMap((line) => {
      // What the terminal shows: tabs to their stops, controls gone (each still counted once).
      const shown = expandTabs(displayText(line), PAD.length + 2);
      if (shown.length <= first) return [`${PAD}$ ${line}`];
      wrapped.any = true;
      const head = wrapKeepingText(shown, first)[0] ?? '';
      return [`${PAD}$ ${head}`, ...wrapKeepingText(shown.slice(head.length), rest).map((row) => `${PAD}  ${HANG}${row}`)];
    });
  };
}

/**
 * A `contains:` text as one unambiguous word: in double quotes, in single quotes when it holds
 * double ones (`'"status": "ok"'`, which read as `""status": "ok""` before), escaped when both.
 */
function quoted(text: string): string {
  if (!text.includes('"')) return `"${text}"`;
  return text.includes("'") ? JSON.stringify(text) : `'${text}'`;
}

/** `text` with its tabs as the spaces a terminal shows for them, starting at column `from`. */
function expandTabs(text: string, from: number): string {
  let out = '';
  for (const c of text) out += c === '\t' ? ' '.repeat(8 - ((from + out.length) % 8)) : c;
  return out;
}

/** Fewer cells than this beside a step's id and flags: its title is left to the description. */
const MIN_TITLE = 12;

function renderStep(n: number, step: PlannedStep, code: CodeLines): string[] {
  const lines: string[] = [];
  const pad = PAD;
  if (step.kind === 'manual') {
    const head = `  ${String(n).padStart(2)}. ${'  '.repeat(step.depth)}[${step.done ? 'x' : ' '}] `;
    wrapText(`${step.id}: ${step.text}`, Math.max(20, 80 - head.length), { keepWords: true }).forEach((l, i) => lines.push(`${i === 0 ? head : ' '.repeat(head.length)}${l}`));
    return lines;
  }
  const a = step.attrs;
  const flags = [
    step.user ? `as ${step.user}` : '',
    step.cwd ? `in ${step.cwd}` : '',
    a.timeoutMs !== undefined ? `timeout ${durationLiteral(a.timeoutMs)}` : '',
    a.optional ? 'optional' : '',
    a.confirm ? 'confirm' : '',
    a.interactive ? 'interactive' : '',
    a.isolated ? 'isolated' : '',
    a.rollback ? 'rollback' : '',
  ].filter(Boolean);
  const head = `  ${String(n).padStart(2)}. ${step.kind} ${step.id}`;
  const tail = flags.length ? `  (${flags.join(', ')})` : '';
  // The title as the TUI shows it, beside the id it goes by here; a name is its own title.
  const room = 80 - head.length - tail.length - 2;
  const title = step.title !== step.id && room >= MIN_TITLE ? `: ${clip(step.title, room)}` : '';
  lines.push(`${head}${title}${tail}`);
  // Whole, wrapped: a plan pasted into a change request must not lose the end of a sentence.
  if (step.description) lines.push(...wrapText(step.description, 80 - pad.length, { keepWords: true }).map((l) => `${pad}${l}`));
  if (step.kind === 'command') {
    lines.push(...code(step.script));
  } else {
    for (const c of step.checks) {
      const expect = c.kind === 'http' && !(c.expect.length === 1 && c.expect[0]?.min === 200 && c.expect[0]?.max === 299)
        ? ` expect ${c.expect.map((r) => (r.min === r.max ? `${r.min}` : `${r.min}-${r.max}`)).join(',')}` : '';
      const contains = c.contains !== undefined ? ` contains ${quoted(c.contains)}` : '';
      const label = `${pad}${c.name ? `${c.name}: ` : ''}${c.kind}`;
      // A multi-line `run` check prints like a command step's script: its lines kept under the step.
      if (c.target.includes('\n')) {
        lines.push(`${label}${expect}${contains}`);
        lines.push(...code(c.target));
      } else lines.push(`${label} ${c.target}${expect}${contains}`);
      lines.push(c.attempts === 1
        ? `${pad}  1 attempt, timeout ${durationLiteral(c.timeoutMs)}`
        : `${pad}  ${c.attempts} attempts, backoff from ${durationLiteral(c.backoffMs)}, timeout ${durationLiteral(c.timeoutMs)} each`);
    }
  }
  if (step.recovery.length > 0) {
    const one = `${pad}recover: ${step.recovery.join(' | ')}`;
    // Most specific first; one per line when they do not fit on one.
    if (one.length <= 80) lines.push(one);
    else step.recovery.forEach((r, i) => lines.push(`${pad}${i === 0 ? 'recover: ' : '       | '}${r}`));
  }
  return lines;
}
