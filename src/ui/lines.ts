/**
 * Pane content as plain lines with a tone. Panes build their lines purely, then show a window
 * of them, so every pane is bounded by its height and scrolls the same way.
 */
import { basename, dirname, relative } from 'node:path';
import type { ScreenSnapshot } from './context.js';
import type { Choice, FlowItem, StepState } from '../session/types.js';
import { formatDuration } from './marks.js';
import type { CheckAttempt } from './hooks/use-run-log.js';

export type Tone = 'title' | 'dim' | 'error' | 'ok' | 'warn' | 'code' | 'selected';

export interface Line {
  text: string;
  tone?: Tone;
}

/** Word-wraps prose to `width`; long words are cut. */
export function wrapText(text: string, width: number): string[] {
  const w = Math.max(8, width);
  const out: string[] = [];
  // Markdown prose: one newline is a soft break, a blank line ends a paragraph.
  const paragraphs = text.split(/\n[ \t]*\n/).map((p) => p.replace(/\s*\n\s*/g, ' '));
  paragraphs.forEach((paragraph, n) => {
    if (n > 0) out.push('');
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      let rest = word;
      while (rest.length > w) {
        if (line !== '') {
          out.push(line);
          line = '';
        }
        out.push(rest.slice(0, w));
        rest = rest.slice(w);
      }
      if (line === '') line = rest;
      else if (line.length + 1 + rest.length <= w) line += ` ${rest}`;
      else {
        out.push(line);
        line = rest;
      }
    }
    out.push(line);
  });
  while (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

/** A path as the operator typed it: relative to the working directory when inside it. */
export function shortPath(file: string, cwd = process.cwd()): string {
  const rel = relative(cwd, file);
  return rel === '' || rel.startsWith('..') ? file : rel;
}

export function stepKindLabel(item: FlowItem): string {
  return item.step.kind === 'command' ? item.step.lang : item.step.kind;
}

/** The step's description and what it does (code, checks, or the manual item). */
export function describeStep(item: FlowItem, width: number): Line[] {
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
    for (const code of step.script.replace(/\n$/, '').split('\n')) lines.push({ text: `  ${code}`, tone: 'code' });
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
      const what = `${check.kind} ${check.target}${check.contains !== undefined ? ` contains ${JSON.stringify(check.contains)}` : ''}`;
      lines.push({ text: `  ${check.name ? `${check.name}: ` : ''}${what}`, tone: 'code' });
      lines.push({ text: `    ${check.attempts} attempts, backoff from ${formatDuration(check.backoffMs)}, ${formatDuration(check.timeoutMs)} each`, tone: 'dim' });
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

/** One check attempt as the gate and the detail pane show it. */
export function attemptLine(a: CheckAttempt): Line {
  const what = a.name ?? a.target;
  const error = a.error ?? 'failed';
  const status = a.status !== undefined && !error.includes(String(a.status)) ? `status ${a.status}: ` : '';
  const result = a.ok ? `ok${a.status !== undefined ? ` ${a.status}` : ''}` : `${status}${error}`;
  return { text: `  ${a.attempt}/${a.of} ${result} (${formatDuration(a.latencyMs)}) ${what}`, tone: a.ok ? 'ok' : 'error' };
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

/** A gate choice as a menu line (without its number). */
export function choiceLabel(choice: Choice, fromFile?: string): string {
  switch (choice.kind) {
    case 'retry':
      return 'retry the step';
    case 'recover': {
      // Relative to the blocked step's runbook, as the runbook itself links it.
      const file = fromFile === undefined ? shortPath(choice.path.file) : relative(dirname(fromFile), choice.path.file) || basename(choice.path.file);
      const where = `${file}${choice.path.anchor !== undefined ? `#${choice.path.anchor}` : ''}`;
      return `recover: ${where}${choice.disabled ? ` - ${choice.disabled}` : ''}`;
    }
    case 'skip':
      return choice.reasonRequired ? 'skip, with a reason' : 'skip (optional step)';
    case 'override':
      return 'override: count it as passed, with a reason';
    case 'abort':
      return 'abort the session';
  }
}

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
