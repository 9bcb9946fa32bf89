/**
 * A blocked step: what failed (the exit status and the end of its output, or each check
 * attempt with its status or error), then the ways out as a numbered menu. A step whose run
 * was cut short points to its transcript; after a crash (a fresh shell, no screen) the end of
 * that transcript stands in for the screen.
 */
import { Box, Text } from 'ink';
import type { ScreenSnapshot } from '../context.js';
import type { Choice, FlowItem, StepState } from '../../session/types.js';
import { useColor, useSession } from '../context.js';
import type { CheckAttempt } from '../hooks/use-run-log.js';
import { NOT_STARTED } from '../../session/step-runner.js';
import { fit, fitWords } from '../layout.js';
import { attemptLines, stepName, choiceKey, choiceLabel, displayFile, failureLine, hardWrap, transcriptLines, wrapText, type Line } from '../lines.js';
import { recoveryShapeText } from '../../session/recovery-shape.js';
import { Pane, Rule } from './pane.js';

/** Between the recovery shapes the store selector joins (no label holds it). */
const SHAPE_SEP = '\u0000';

export interface GatePanelProps {
  item: FlowItem;
  step: StepState;
  choices: readonly Choice[];
  /** Highlighted choice. */
  index: number;
  /** The menu has the keys. */
  focused: boolean;
  screen: ScreenSnapshot | null;
  attempts: readonly CheckAttempt[] | undefined;
  /** The transcript of the step's latest run, when known. */
  transcript?: string | undefined;
  /** That transcript's text, once read (only asked for when the screen cannot show the run). */
  transcriptText?: string | undefined;
  height: number;
  width: number;
}

/** The last `count` lines of a transcript as text (escapes dropped, long lines wrapped). */
function tail(text: string, count: number, width: number): string[] {
  const lines = transcriptLines(text, width);
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  return count <= 0 ? [] : lines.slice(-count);
}

export function GatePanel({ item, step, choices, index, focused, screen, attempts, transcript, transcriptText, height, width }: GatePanelProps) {
  const color = useColor();
  // A key is shown once, on the choice it takes: with two recovery paths `c` takes the first,
  // so a `[c]` on every path row would promise what it does not do.
  const shown = new Set<string>();
  // Joined into one string: the selector returns a primitive, and the menu is redone when a
  // path's shape changes, not on every store update.
  const shapes = useSession((s) => choices.map((c) => (c.kind === 'recover' ? recoveryShapeText(c.path, s.actions.recoveryShape(c.path)) : '')).join(SHAPE_SEP)).split(SHAPE_SEP);
  const menu = choices.map((choice, i) => {
    const key = shown.has(choiceKey(choice)) ? '' : choiceKey(choice);
    shown.add(key);
    const head = `${i === index && focused ? '>' : ' '} ${i + 1}.${key ? ` [${key}]` : '    '} `;
    return `${head}${choiceLabel(choice, item.file, shapes[i], width - head.length)}`;
  });
  // The menu always shows; what failed gets the rows that are left.
  const room = Math.max(0, height - 2 - menu.length);
  const what: Line[] = [];
  const failure = wrapText(`[!] ${failureLine(item, step)}`, width);
  // "Its outcome is unknown" is the point of an interrupted step's line: it is not cut.
  const wrapFailure = step.interrupted === true && failure.length > 1 && room > 0;
  if (wrapFailure) what.push({ text: fit(`    ${failure.slice(1).join(' ')}`, width), tone: 'error' });
  // A run cut short (Ctrl-C, or a crash seen on resume): its outcome is unknown, and the
  // transcript is where to read what it did before the operator re-runs or skips it.
  // Stopped before its script ran (the session's shell was still starting): there is no output to point to.
  const ran = !(step.reason ?? '').endsWith(NOT_STARTED);
  if (step.interrupted && ran && transcript !== undefined && room > what.length) {
    for (const text of transcriptPathLines(displayFile(transcript), width).slice(0, room - what.length)) what.push({ text, tone: 'warn' });
  }
  const left = room - what.length;
  if (item.step.kind === 'check') {
    what.push(...attemptLines(attempts ?? [], width, left));
  } else if (screen && item.step.kind === 'command') {
    for (const text of left > 0 ? screen.lines.slice(-left) : []) what.push({ text });
  } else if (transcriptText !== undefined) {
    for (const text of tail(transcriptText, left, width)) what.push({ text });
  }
  const menuHeight = Math.min(menu.length, Math.max(1, height - 2));
  const menuTop = Math.max(0, Math.min(index - menuHeight + 1, menu.length - menuHeight));
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={`BLOCKED at ${stepName(item, Math.max(12, width - 30))} (attempt ${step.attempts})`} width={width} />
      <Text wrap="truncate" color={color('red')}>
        {wrapFailure ? failure[0] : fitWords(`[!] ${failureLine(item, step)}`, width)}
      </Text>
      <Pane lines={what} height={Math.max(0, height - 2 - menuHeight)} width={width} top={0} />
      <Box flexDirection="column" height={menuHeight}>
        {menu.slice(menuTop, menuTop + menuHeight).map((text, i) => (
          <Text key={i} wrap="truncate" inverse={focused && i + menuTop === index}>
            {fit(text, width)}
          </Text>
        ))}
      </Box>
    </Box>
  );
}

/**
 * Where the interrupted run's output is: the whole path, on a row of its own when it does not
 * fit after the words (a path broken across rows copies as two pieces), broken only when it is
 * wider than the pane; a path cut short points nowhere.
 */
export function transcriptPathLines(path: string, width: number): string[] {
  const head = 'its output until then (t shows it):';
  if (head.length + 1 + path.length <= width) return [`${head} ${path}`];
  if (2 + path.length <= width) return [head, `  ${path}`];
  return [head, ...hardWrap(path, width, 0)];
}
