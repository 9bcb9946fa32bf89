/**
 * What the pane under the checklist shows: a prompt or overlay when one is open, else the
 * gate, the session's end, the preflight's findings, or the selected step. Layout only: the
 * screen hands in everything it shows.
 */
import type { ReactNode } from 'react';
import { Box } from 'ink';
import type { RunLog } from '../../session/run-log.js';
import type { SessionActions } from '../../session/store-types.js';
import type { FlowItem, SessionState } from '../../session/types.js';
import { abortedNote, passedOver } from '../../session/history.js';
import { PREFLIGHT_ROW } from '../checklist-rows.js';
import { GatePanel } from '../components/gate-panel.js';
import { HelpOverlay } from '../components/help-overlay.js';
import { Pane, Rule } from '../components/pane.js';
import { PreflightDetail } from '../components/preflight-detail.js';
import { StepDetail } from '../components/step-detail.js';
import type { ScreenSnapshot } from '../context.js';
import { stepName, wrapText, type Line } from '../lines.js';
import { confirmQuestion, quitQuestion, reasonPrompt, varPrompt } from './prompts.js';
import { asideOf, type ViewAction, type ViewState } from './view-state.js';

export interface DetailPaneProps {
  session: SessionState;
  view: ViewState;
  runAs: string;
  actions: SessionActions;
  dispatch: (action: ViewAction) => void;
  quit: () => void;
  /** The shell's screen, and which run it shows (`depth:key`). */
  screen: ScreenSnapshot | null;
  outputKey: string | undefined;
  /** Whom the session's shell is starting as, while the running step waits for it. */
  shellStarting: string | undefined;
  runLog: RunLog;
  /** The end of the gate step's transcript, standing in for a screen that is gone. */
  gateTranscriptText: string | undefined;
  /** The transcript of the selected step of a recovery path that returned (`view.aside`), once read. */
  asideTranscriptText: string | undefined;
  /** Rows of the pane; of a full-height overlay (help, a page) and of its text under the title. */
  height: number;
  overlayHeight: number;
  overlayRows: number;
  width: number;
  /** Prompts take keys (not in a test renderer without raw mode). */
  isActive: boolean;
  /** In stepgate's own tmux: ctrl-\ leaves the TUI (and a running step) running detached. */
  detachable?: boolean;
  /** Why the session refused the last action (a var's value that does not match its pattern). */
  error?: string | undefined;
}

export function detailPane(props: DetailPaneProps): ReactNode {
  const { session, view, actions, dispatch, height, width, isActive } = props;
  const depth = session.frames.length - 1;
  const frame = session.frames[depth];
  const cursor = frame?.cursor ?? 0;
  const items = frame?.init.items ?? [];
  const current = items[cursor];
  const status = session.status;
  const overlay = view.overlay;
  const room = { height, width, isActive };

  switch (overlay?.kind) {
    case 'confirm-quit':
      return quitQuestion({ session, current, quit: props.quit, dispatch, detachable: props.detachable === true, ...room });
    case 'reason':
      return reasonPrompt({ overlay, items, cursor, actions, dispatch, ...room });
    case 'help':
      return <HelpOverlay height={props.overlayHeight} width={width} scroll={overlay.scroll} />;
    case 'refs':
      return (
        <Box flexDirection="column" height={height}>
          <Rule text="open which runbook? (enter opens, esc or q closes)" width={width} />
          <Pane
            lines={overlay.refs.map((r, i) => ({ text: `${i === overlay.index ? '>' : ' '} ${r.label}`, ...(i === overlay.index ? { tone: 'selected' as const } : {}) }))}
            height={height - 1}
            width={width}
            top={Math.max(0, overlay.index - height + 2)}
          />
        </Box>
      );
    case 'viewer':
      return (
        <Box flexDirection="column" height={props.overlayHeight}>
          <Rule text={overlay.title} width={width} />
          <Pane lines={overlay.lines.map((text) => ({ text }))} height={props.overlayRows} width={width} top={overlay.scroll} />
        </Box>
      );
    case undefined:
      break;
  }
  if (status.kind === 'confirm' && current) return confirmQuestion({ current, actions, ...room });
  if (status.kind === 'vars') return varPrompt({ spec: status.spec, problem: props.error, actions, dispatch, height, width, isActive });
  const { screen, outputKey, runLog } = props;
  const aside = asideOf(view, session);
  if (aside) {
    // A step of the recovery path that returned: its output, from the screen while it is the
    // last run there, else from its transcript.
    return (
      <StepDetail
        item={aside.item}
        step={aside.step}
        screen={outputKey === `${aside.returned.depth}:${aside.item.key}` ? screen : null}
        transcriptText={props.asideTranscriptText}
        attempts={runLog.attempts.get(aside.item.key)}
        height={height}
        width={width}
        scroll={view.detailScroll}
      />
    );
  }
  if (status.kind === 'blocked' && current && frame && view.selected === cursor) {
    return (
      <GatePanel
        item={current}
        step={frame.steps[cursor] ?? { status: 'failed', attempts: 0 }}
        choices={status.choices}
        index={view.gateIndex}
        focused={view.focus === 'gate'}
        screen={outputKey === `${depth}:${current.key}` ? screen : null}
        attempts={runLog.attempts.get(current.key)}
        transcript={runLog.transcripts.get(current.key)}
        transcriptText={props.gateTranscriptText}
        height={height}
        width={width}
      />
    );
  }
  if (status.kind === 'ended' && (view.selected >= items.length || view.selected === cursor)) {
    return endedPane(session, status, screen, stepNameOf(items.find((i) => `${depth}:${i.key}` === outputKey)), height, width);
  }
  const preflight = view.selected === PREFLIGHT_ROW && session.frames.length === 1 ? session.preflight : undefined;
  if (preflight) return <PreflightDetail preflight={preflight} runAs={props.runAs} height={height} width={width} scroll={view.detailScroll} />;
  const selectedItem = items[view.selected] ?? current;
  const selectedStep = frame?.steps[view.selected] ?? frame?.steps[cursor];
  if (!selectedItem || !selectedStep) return null;
  const selectedIndex = items[view.selected] ? view.selected : cursor;
  const previous = items[selectedIndex - 1];
  const back = frame?.returned?.index === selectedIndex && selectedStep.status === 'pending' ? frame.returned : undefined;
  // Back from a recovery path, the step that ran last is that path's last command step.
  const lastRun = back ? back.frame.init.items.findLast((it, j) => it.step.kind === 'command' && back.frame.steps[j]?.status !== 'pending') : undefined;
  const before =
    back !== undefined
      ? lastRun && screen && outputKey === `${back.depth}:${lastRun.key}`
        ? { name: stepName(lastRun), screen }
        : undefined
      : // The step that just ran stays in view under the next one (a manual item that asks to
        // check it, or the next step before it runs): enter, enter, enter still shows each output.
        (selectedItem.step.kind === 'manual' || selectedStep.status === 'pending') && previous?.step.kind === 'command' && screen && outputKey === `${depth}:${previous.key}`
        ? { name: stepName(previous), screen }
        : undefined;
  const returned = back ? returnedLine(back.frame.init.title, selectedItem) : undefined;
  const starting = status.kind === 'running' && selectedIndex === cursor ? props.shellStarting : undefined;
  return (
    <StepDetail
      {...(before ? { before } : {})}
      {...(returned ? { returned } : {})}
      {...(starting !== undefined ? { starting } : {})}
      item={selectedItem}
      step={selectedStep}
      screen={outputKey === `${depth}:${selectedItem.key}` ? screen : null}
      attempts={runLog.attempts.get(selectedItem.key)}
      height={height}
      width={width}
      scroll={view.detailScroll}
    />
  );
}

function stepNameOf(item: FlowItem | undefined): string | undefined {
  return item ? stepName(item) : undefined;
}

/** What the pane says under a step a recovery path returned to, which waits to run again. */
function returnedLine(title: string, item: FlowItem): string {
  const what = item.step.kind === 'check' ? 'the check' : stepName(item);
  return `recovery ${title} finished. Read what it printed (↓ selects its steps above, t shows one's whole output), then enter runs ${what} again.`;
}

/** The session's end, with the last step's output (often the check that ended it all) in view. */
function endedPane(session: SessionState, status: Extract<SessionState['status'], { kind: 'ended' }>, screen: ScreenSnapshot | null, lastName: string | undefined, height: number, width: number): ReactNode {
  const ended: Line[] = [
    { text: `The session ended: ${status.outcome}${status.reason ? ` (${status.reason})` : ''}${status.outcome === 'completed' && passedOver(session) ? ` (${passedOver(session)})` : ''}.` },
    ...wrapText(abortedNote(session) ?? '', width).filter((text) => text !== '').map((text) => ({ text, tone: 'warn' as const })),
    { text: `Audit trail: stepgate log ${session.id}` },
    { text: '' },
    { text: '↑↓ select a step to review it; q quits.', tone: 'dim' },
  ];
  const out = screen ? screen.lines.slice() : [];
  while (out.length > 0 && (out[out.length - 1] ?? '').trim() === '') out.pop();
  const room = height - 1 - ended.length - 2;
  if (screen && lastName !== undefined && out.length > 0 && room > 0) {
    ended.push({ text: '' }, { text: `output of ${lastName}${out.length > room ? ` (last ${room} lines)` : ''}:`, tone: 'dim' });
    for (const text of out.slice(-room)) ended.push({ text });
  }
  return (
    <Box flexDirection="column" height={height}>
      <Rule text={`session ${status.outcome}`} width={width} />
      <Pane lines={ended} height={height - 1} width={width} top={0} />
    </Box>
  );
}
