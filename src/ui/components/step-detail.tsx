/**
 * The selected step: its description and code, or, once it ran, its live/finished output from
 * the headless terminal screen (anchored to the bottom, like a terminal; PgUp scrolls back).
 * A check step shows each attempt and the countdown to the next one.
 */
import { basename } from 'node:path';
import { useMemo } from 'react';
import { Box } from 'ink';
import { useSession, type ScreenSnapshot } from '../context.js';
import type { FlowItem, StepState } from '../../session/types.js';
import { cellWidth } from '../../session/cells.js';
import { useNow } from '../hooks/use-now.js';
import type { CheckAttempt } from '../hooks/use-run-log.js';
import { attemptLines, countdownLine, describeStep, expandedCheckTexts, failureLine, outputLines, shortPath, stepKindLabel, transcriptLines, wrapText, type Line } from '../lines.js';
import { headingText } from '../checklist-rows.js';
import { stepTitle } from '../../runbooks/step-title.js';
import { fitWords } from '../layout.js';
import { statusMark, statusNote } from '../marks.js';
import { Pane, RULE_CHROME, Rule } from './pane.js';

export interface StepDetailProps {
  item: FlowItem;
  step: StepState;
  /** The shell screen when it shows this step's run; null otherwise. */
  screen: ScreenSnapshot | null;
  attempts: readonly CheckAttempt[] | undefined;
  height: number;
  width: number;
  scroll: number;
  /**
   * For a manual item or a step not run yet: the step just before it and the screen showing
   * its run, so that output stays in view (in the rows the item's own text leaves).
   */
  before?: { name: string; screen: ScreenSnapshot };
  /**
   * The end of the step's transcript, for a finished command step whose run is no longer on
   * the shell's screen (an earlier step of a recovery path that returned).
   */
  transcriptText?: string | undefined;
  /**
   * A recovery path returned to this step, which waits to run again: this line leads, and the
   * previous output (`before`, the path's last step) follows instead of the step's text.
   */
  returned?: string | undefined;
  /** Whom the session's shell is starting as: the step runs, but its command has not started. */
  starting?: string | undefined;
}

export function StepDetail({ item, step, screen, attempts, height, width, scroll, before, transcriptText, returned, starting }: StepDetailProps) {
  // Two values, not the object: a new object each render would redo the lines each render.
  const beforeName = before?.name;
  const beforeScreen = before?.screen;
  const now = useNow(250, step.status === 'running' && item.step.kind === 'check');
  // Said instead of "running" until the shell is up: the command has not started.
  const waiting = starting !== undefined && step.status === 'running' ? `starting the shell as ${starting}…` : undefined;
  const finishedCommand = item.step.kind === 'command' && step.status !== 'pending' && step.status !== 'running';
  const fromTranscript = screen === null && finishedCommand && transcriptText !== undefined;
  const showOutput = (screen !== null && item.step.kind === 'command' && step.status !== 'pending') || fromTranscript;
  // A check's targets as probed, joined into one string: the selector returns a primitive, and
  // the lines are redone when a var's answer changes one, not on every store update.
  const probed = useSession((s) => (item.step.kind === 'check' ? expandedCheckTexts(item.step).map((text) => s.actions.shownCheckText(item, text)).join(PROBED_SEP) : ''));
  const lines = useMemo((): Line[] => {
    if (showOutput) {
      const out = fromTranscript ? transcriptLines(transcriptText ?? '', width).map((text): Line => ({ text })) : outputLines(screen, height + scroll);
      if (step.status === 'failed') out.push({ text: failureLine(item, step), tone: 'error' });
      return out;
    }
    // Back from a recovery path: what it printed last matters more here than the step's text.
    const lead = returned ?? (waiting !== undefined ? `${waiting} (the step runs once it is up)` : undefined);
    const body: Line[] = lead !== undefined ? wrapText(lead, width).map((text): Line => ({ text, tone: 'warn' })) : [];
    if (returned === undefined || !beforeScreen) body.push(...describeStep(item, width, probedLookup(item, probed)));
    // The attempts of the run before the recovery path are not this step's news any more.
    if (item.step.kind === 'check' && attempts && attempts.length > 0 && returned === undefined) {
      body.push({ text: '' });
      body.push(...attemptLines(attempts, width));
      const countdown = step.status === 'running' ? countdownLine(attempts[attempts.length - 1], now) : undefined;
      if (countdown) body.push(countdown);
    }
    if (step.status === 'skipped' || step.status === 'overridden') body.push({ text: `${step.status}: ${step.reason ?? ''}`, tone: 'warn' });
    if (step.status === 'failed') body.push({ text: failureLine(item, step), tone: 'error' });
    if (beforeName !== undefined && beforeScreen && (item.step.kind === 'manual' || step.status === 'pending')) {
      // The end of the previous step's output, in the rows the item's text leaves.
      const out = beforeScreen.lines.slice();
      while (out.length > 0 && (out[out.length - 1] ?? '').trim() === '') out.pop();
      const room = Math.max(0, height - 1 - body.length - 2);
      if (out.length > 0 && room > 0) {
        body.push({ text: '' });
        body.push({ text: `output of ${beforeName}${out.length > room ? ` (last ${room} lines)` : ''}:`, tone: 'dim' });
        for (const text of out.slice(-room)) body.push({ text });
      }
    }
    return body;
  }, [showOutput, fromTranscript, transcriptText, returned, waiting, screen, item, step, width, attempts, now, height, scroll, beforeName, beforeScreen, probed]);
  const bodyHeight = Math.max(1, height - 1);
  // Output follows the bottom; text starts at the top.
  const top = showOutput ? Math.max(0, lines.length - bodyHeight - scroll) : scroll;
  const title = detailTitle(item, step, width - RULE_CHROME, showOutput, waiting === undefined ? undefined : 'starting the shell');
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={title} width={width} />
      <Pane lines={lines} height={bodyHeight} width={width} top={top} />
    </Box>
  );
}

/** Between the probed texts of `StepDetail`'s selector: a character no target or `contains` holds. */
const PROBED_SEP = '\u0000';

/** Each text of `expandedCheckTexts` mapped to its probed form, from the selector's joined string. */
function probedLookup(item: FlowItem, probed: string): (text: string) => string {
  if (item.step.kind !== 'check') return (text) => text;
  const written = expandedCheckTexts(item.step);
  const shown = probed.split(PROBED_SEP);
  const byText = new Map(written.map((text, i) => [text, shown[i] ?? text]));
  return (text) => byText.get(text) ?? text;
}

/** A title gets at least this much of the rule before the file and line give way to it. */
const MIN_TITLE = 40;
/** The checklist's name is cut to this much: it repeats the heading row above the step. */
const MAX_SECTION = 24;

/**
 * The pane's rule for a step, in `room` cells: its mark, its title (its name, or the item's own
 * words: a made-up id such as `pre-deploy-1` means nothing to an operator), its kind, the
 * checklist it belongs to, where it is written, and its state (`note`, when its state's word
 * would mislead); the title is cut at a word to fit, and the file and line go first when
 * keeping them would leave the title less than MIN_TITLE cells.
 */
export function detailTitle(item: FlowItem, step: StepState, room: number, output: boolean, note = statusNote(step)): string {
  const mark = `${statusMark(step.status)} `;
  const kind = ` · ${stepKindLabel(item)}`;
  const section = item.sectionTitle !== undefined || item.phase === 'before' || item.phase === 'after' ? ` · ${fitWords(headingText(item), MAX_SECTION)}` : '';
  const line = `:${item.step.position.line}`;
  // The path as typed, else the file's name alone (the checklist says which runbook), else nothing.
  const places = [` · ${shortPath(item.file)}${line}`, ` · ${basename(item.file)}${line}`];
  const tail = `${note ? ` · ${note}` : ''}${output ? ' · output' : ''}`;
  const title = stepTitle(item.step, item.sectionTitle);
  const left = room - cellWidth(mark) - cellWidth(kind) - cellWidth(section) - cellWidth(tail);
  for (const where of places) if (cellWidth(title) + cellWidth(where) <= left) return `${mark}${title}${kind}${section}${where}${tail}`;
  for (const where of places) if (left - cellWidth(where) >= MIN_TITLE) return `${mark}${fitWords(title, left - cellWidth(where))}${kind}${section}${where}${tail}`;
  return `${mark}${fitWords(title, Math.max(MIN_TITLE / 2, left))}${kind}${section}${tail}`;
}
