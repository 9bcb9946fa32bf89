/**
 * Pane content as plain lines with a tone. Panes build their lines purely, then show a window
 * of them, so every pane is bounded by its height and scrolls the same way.
 */
import { basename, dirname, relative } from 'node:path';
import { displayText, printable } from '../session/printable.js';
import { whyLead } from '../session/check-why.js';
import { wordWrap, wrapKeepingText, wrapText } from '../session/word-wrap.js';
import type { ScreenSnapshot } from './context.js';
import type { CheckStep } from '../runbooks/model.js';
import type { Choice, FlowItem, StepState } from '../session/types.js';
import type { ResumeReport } from '../session/store.js';
import { formatDuration } from '../runbooks/duration.js';
import { stepName as sessionStepName } from '../session/step-name.js';
import type { CheckAttempt } from './hooks/use-run-log.js';

export type Tone = 'title' | 'dim' | 'error' | 'ok' | 'warn' | 'code' | 'selected';

export interface Line {
  text: string;
  tone?: Tone;
}

/** A path as the operator typed it: relative to the working directory when inside it. */
export function shortPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

/** A state file's path for the screen: under the home directory as `~/...`. */
export function displayFile(file: string, home = process.env['HOME']): string {
  if (home && home !== '/' && file.startsWith(`${home}/`)) return `~${file.slice(home.length)}`;
  return file;
}

/** A step named in a sentence (a notice, a prompt, the status line): 40 columns by default, half a row, so the sentence around it still reads. */
export function stepName(item: FlowItem | undefined, max = 40, quote = true): string {
  return sessionStepName(item, max, quote);
}

export function stepKindLabel(item: FlowItem): string {
  return item.step.kind === 'command' ? item.step.lang : item.step.kind;
}

/**
 * The texts of a check step whose `${NAME}`s stepgate expands itself, in check order: each
 * `http`/`tcp` target and each `contains`. A `run:` command is not among them: bash expands it
 * from the check's environment, so the screen shows it as written.
 */
export function expandedCheckTexts(step: CheckStep): string[] {
  return step.checks.flatMap((check) => [...(check.kind === 'run' ? [] : [check.target]), ...(check.contains === undefined ? [] : [check.contains])]);
}

/** Leads a code row that continues the line above it (the line was wider than the pane). */
export const CONTINUED = '\u21b3 ';

/**
 * The step's description and what it does (code, checks, or the manual item). `shown` gives a
 * check's target or `contains` as the probe gets it (default: as written).
 */
export function describeStep(item: FlowItem, width: number, shown: (text: string) => string = (text) => text): Line[] {
  const step = item.step;
  const lines: Line[] = [];
  const prose = step.description.trim();
  if (step.kind === 'manual') {
    lines.push(...wrapText(`- [ ] ${step.text}`, width).map((text) => ({ text })));
    lines.push({ text: 'A manual item: do it, then press space (or enter) to tick it.', tone: 'dim' });
    return lines;
  }
  if (prose !== '') lines.push(...wrapText(prose, width).map((text) => ({ text })));
  if (lines.length > 0) lines.push({ text: '' });
  if (step.kind === 'command') {
    // Wrapped, not cut: the pane is where the operator reads what enter will run (a trial saw
    // `setsid -f python3 current/ser…` and found no way to read the rest before running it).
    // Measured as the pane shows it (`fit`: printable, a tab two spaces), or a row that seemed
    // to fit was cut again. A continued row is marked: four spaces alone read as an indented line.
    for (const raw of step.script.replace(/\n$/, '').split('\n')) {
      const code = displayText(raw).replace(/\t/g, '  ');
      if (code.length + 2 <= width || width < 12) {
        lines.push({ text: `  ${code}`, tone: 'code' });
        continue;
      }
      const [head = ''] = wrapKeepingText(code, width - 2);
      lines.push({ text: `  ${head}`, tone: 'code' });
      for (const row of wrapKeepingText(code.slice(head.length), width - 4)) lines.push({ text: `  ${CONTINUED}${row}`, tone: 'code' });
    }
    const flags = [
      step.attrs.timeoutMs !== undefined ? `timeout ${formatDuration(step.attrs.timeoutMs)}` : '',
      step.attrs.user !== undefined ? `as ${step.attrs.user}` : '',
      step.attrs.confirm ? 'asks to confirm' : '',
      step.attrs.interactive ? 'interactive' : '',
      step.attrs.optional ? 'optional' : '',
    ].filter(Boolean);
    if (flags.length > 0) lines.push({ text: flags.join(' · '), tone: 'dim' });
  } else {
    for (const check of step.checks) {
      const target = check.kind === 'run' ? check.target : shown(check.target);
      const what = `${check.kind} ${target}${check.contains !== undefined ? ` contains ${JSON.stringify(shown(check.contains))}` : ''}`;
      lines.push({ text: `  ${check.name ? `${check.name}: ` : ''}${what}`, tone: 'code' });
      lines.push({ text: `    ${check.attempts} attempts, backoff from ${formatDuration(check.backoffMs)}, timeout ${formatDuration(check.timeoutMs)} each`, tone: 'dim' });
    }
  }
  return lines;
}

/** The output pane: the headless terminal's lines (scrollback then viewport). */
export function outputLines(screen: ScreenSnapshot | null, tail = Infinity): Line[] {
  if (!screen || screen.lines.length === 0) return [{ text: '(no output yet)', tone: 'dim' }];
  // Only the lines the pane can show: a flood re-renders a screenful, not the scrollback.
  const from = Number.isFinite(tail) ? Math.max(0, screen.lines.length - tail) : 0;
  return screen.lines.slice(from).map((text) => ({ text }));
}

/**
 * One check attempt as text: `n/of result (latency)`. A failed attempt leads with what explains
 * it (`why`: the body's status/error/message/reason/detail, or its first line), then the
 * probe's error, which for a bad HTTP status quotes the head of the response body. `named`
 * prefixes the check's name (or target) for a step with several checks.
 */
export function attemptText(a: CheckAttempt, named = false): string {
  const error = a.error ?? 'failed';
  const status = a.status !== undefined && !error.includes(String(a.status)) ? `status ${a.status}: ` : '';
  const why = whyLead(a.why, error, a.output);
  const result = a.ok ? `ok${a.status !== undefined ? ` ${a.status}` : ''}` : `${why}${status}${error}${a.output !== undefined ? `: ${a.output}` : ''}`;
  return printable(`  ${a.attempt}/${a.of} ${named ? `${a.name ?? a.target}: ` : ''}${result} (${formatDuration(a.latencyMs)})`);
}

/** Cuts `text` into rows of `width`; rows after the first are indented by `indent`. */
export function hardWrap(text: string, width: number, indent: number): string[] {
  const w = Math.max(8, width);
  const rows = [text.slice(0, w)];
  const step = Math.max(4, w - indent);
  for (let at = w; at < text.length; at += step) rows.push(`${' '.repeat(w - step)}${text.slice(at, at + step)}`);
  return rows;
}

/**
 * Check attempts in at most `room` rows of `width`. The latest attempt of each check comes
 * last, one row each, so every check's state shows; the rows left go first to those latest
 * attempts' whole text (failed ones first, wrapped at word boundaries), then to earlier
 * attempts, newest first, one row each (cut with an ellipsis). Without a `room` every attempt
 * is shown whole.
 */
export function attemptLines(attempts: readonly CheckAttempt[], width: number, room = Infinity): Line[] {
  if (room <= 0 || attempts.length === 0) return [];
  const named = new Set(attempts.map((a) => a.check)).size > 1;
  const latestOf = new Map<number, CheckAttempt>();
  for (const a of attempts) latestOf.set(a.check, a);
  const latest = [...latestOf.values()].sort((x, y) => x.check - y.check).slice(-room);
  const older = attempts.filter((a) => latestOf.get(a.check) !== a);
  const wrapped = latest.map((a) => wordWrap(attemptText(a, named), width, 6));
  const take = latest.map(() => 1);
  let spare = room - latest.length;
  for (const failedFirst of [true, false]) {
    latest.forEach((a, i) => {
      if (a.ok === failedFirst) return;
      const more = Math.min(spare, (wrapped[i]?.length ?? 1) - 1);
      take[i] = 1 + more;
      spare -= more;
    });
  }
  // Cut where the row ends, not at a word: a response body is one long word whose head is the news.
  const rowsOf = (text: string): string => (text.length <= width ? text : `${text.slice(0, Math.max(0, width - 1))}…`);
  const shownOlder = spare > 0 ? older.slice(-spare) : [];
  const out: Line[] = shownOlder.map((a) => ({ text: rowsOf(attemptText(a, named)), tone: a.ok ? 'ok' : 'error' }));
  latest.forEach((a, i) => {
    const rows = wrapped[i] ?? [];
    const n = take[i] ?? 1;
    const kept = rows.slice(0, n);
    // A cut block ends with the ellipsis that a single cut row would have.
    if (n < rows.length) kept[n - 1] = `${(kept[n - 1] ?? '').slice(0, Math.max(0, width - 1))}…`;
    for (const text of kept) out.push({ text, tone: a.ok ? 'ok' : 'error' });
  });
  return out;
}

/**
 * A transcript for the viewer: every line whole, long ones (a JSON body on one line) wrapped
 * at `width`, at spaces where a line has them and with every character kept. Carriage-return redraws (progress bars) keep their last state, and terminal
 * escapes are dropped: the viewer shows text, not a terminal.
 */
export function transcriptLines(text: string, width: number): string[] {
  const out: string[] = [];
  const plain = printable(text);
  const lines = plain.replace(/\r\n/g, '\n').split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const line = (raw.split('\r').filter((part) => part !== '').pop() ?? '').replace(/\t/g, '  ');
    if (line === '') out.push('');
    else out.push(...wrapKeepingText(line, width));
  }
  return out.length > 0 ? out : ['(the transcript is empty)'];
}

/**
 * What `resume` found, as plain mode prints it: a torn last journal line, runbooks changed
 * since the session started (step by step), the step a crash cut short, the fresh shell.
 */
export function resumeReportLines(report: ResumeReport, id: string, width: number): string[] {
  const out: string[] = [];
  const say = (text: string): void => {
    out.push(...wrapText(text, width));
  };
  if (report.torn) {
    say(`The journal of session ${id} ended in a torn line (line ${report.torn.line}, ${report.torn.bytes} bytes, cut off by a crash mid-write). It was dropped; the session is rebuilt from the events before it.`);
    out.push('');
  }
  for (const change of report.changed) {
    say(`${shortPath(change.file)} changed since the session started:`);
    const { added, removed, edited } = change.diff;
    for (const key of added) out.push(...hardWrap(`  + added   ${key}`, width, 12));
    for (const key of removed) out.push(...hardWrap(`  - removed ${key}`, width, 12));
    for (const key of edited) out.push(...hardWrap(`  ~ edited  ${key} (will run again)`, width, 12));
    if (added.length + removed.length + edited.length === 0) out.push('  (no step changed: prose or a linked file only)');
    out.push('');
  }
  if (report.interrupted) {
    say(`${report.interrupted.title} was running when stepgate stopped; its outcome is unknown: re-run it or skip it with a reason.`);
    if (report.interrupted.transcript !== undefined) say(`What it printed until then: ${displayFile(report.interrupted.transcript)} (t shows it).`);
    out.push('');
  }
  say(`The audit trail: stepgate log ${id}`);
  return out;
}

/** The countdown to a retrying check's next attempt, or undefined when none is due. */
export function countdownLine(a: CheckAttempt | undefined, now: number): Line | undefined {
  if (!a || a.ok || a.nextDelayMs === undefined) return undefined;
  const left = a.at + a.nextDelayMs - now;
  const when = left > 0 ? `in ${(left / 1000).toFixed(1)}s` : 'now';
  return { text: `  next attempt (${a.attempt + 1}/${a.of}) ${when}`, tone: 'warn' };
}

/** Why a step failed, in one line. */
export function failureLine(item: FlowItem, step: StepState): string {
  if (step.interrupted) return step.reason ?? 'interrupted';
  if (step.timedOut) return step.reason ?? 'timed out';
  if (item.step.kind === 'check') return step.reason ?? 'a check failed';
  const exit = step.exitCode === null || step.exitCode === undefined ? 'no exit status' : `exit status ${step.exitCode}`;
  const took = step.durationMs !== undefined ? ` after ${formatDuration(step.durationMs)}` : '';
  return `${exit}${took}${step.reason ? `: ${step.reason}` : ''}`;
}

/**
 * A gate choice as a menu line (without its number); `shape`: `recoveryShapeText` of a recover
 * choice (session/recovery-shape.ts). Within `room` cells a long path gives way to its shape:
 * `(3 steps, rolls back)` says what the choice does, and the row's end is what is cut.
 */
export function choiceLabel(choice: Choice, fromFile?: string, shape = '', room = Infinity): string {
  switch (choice.kind) {
    case 'retry':
      return 'retry the step';
    case 'recover': {
      // Relative to the blocked step's runbook, as the runbook itself links it.
      const file = fromFile === undefined ? shortPath(choice.path.file) : relative(dirname(fromFile), choice.path.file) || basename(choice.path.file);
      const where = `${file}${choice.path.anchor !== undefined ? `#${choice.path.anchor}` : ''}`;
      const tail = `${shape}${choice.disabled ? ` - ${choice.disabled}` : ''}`;
      const fits = room - 'recover: '.length - tail.length;
      return `recover: ${where.length > fits && fits >= MIN_PATH ? `${where.slice(0, fits - 1)}…` : where}${tail}`;
    }
    case 'skip':
      return choice.reasonRequired ? 'skip, with a reason' : 'skip (optional step)';
    case 'override':
      return 'override: count it as passed, with a reason';
    case 'abort':
      return 'abort the session';
  }
}

/** The fewest cells a recovery path keeps when it gives way to its shape. */
const MIN_PATH = 16;

/** Keys that take a gate choice directly. */
export function choiceKey(choice: Choice): string {
  switch (choice.kind) {
    case 'retry':
      return 'r';
    case 'recover':
      return 'c';
    case 'skip':
      return 's';
    case 'override':
    case 'abort':
      return '';
  }
}

export { printable, wordWrap, wrapText };
