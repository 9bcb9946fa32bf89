/**
 * The runbook view: header, checklist, the detail pane (or the gate, a prompt, help), and the
 * status bar, sized so the frame never reaches the terminal's height.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Box, useStdin } from 'ink';
import { useServices, useSession, useSessionStore } from '../context.js';
import { useAttach } from '../hooks/use-attach.js';
import { useRunLog } from '../hooks/use-run-log.js';
import { useTranscript } from '../hooks/use-transcript.js';
import { useRunbookKeys } from '../hooks/use-runbook-keys.js';
import { useScreen } from '../hooks/use-screen.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { runbookLayout } from '../layout.js';
import { resumeReportLines, type Line } from '../lines.js';
import { initialViewState, syncView, viewReducer, type ViewAction, type ViewState } from '../view-state.js';
import type { Choice, FlowItem, SessionState, StepState } from '../../session/types.js';
import { AskText } from './ask-text.js';
import { Checklist } from './checklist.js';
import { GatePanel } from './gate-panel.js';
import { Header } from './header.js';
import { HelpOverlay } from './help-overlay.js';
import { PREFLIGHT_ROW } from '../checklist-rows.js';
import { Pane, Rule } from './pane.js';
import { PreflightDetail } from './preflight-detail.js';
import { Question } from './question.js';
import { StatusBar } from './status-bar.js';
import { StepDetail } from './step-detail.js';

/** The title of what resume found, shown first when a resumed session opens. */
const RESUME_TITLE = 'resumed: read this first (esc closes)';

export interface RunbookScreenProps {
  runAs: string;
  host: string;
  /** Called once the session is closed; `code` is the exit code. */
  onQuit: (code: number) => void;
  /** Back to the picker (the session is closed first and stays resumable). */
  onBack?: () => void;
}

function exitCode(session: SessionState): number {
  return session.status.kind === 'ended' && session.status.outcome === 'completed' ? 0 : 1;
}

/** How long keys are held for an interactive step that was started but has not begun to run. */
const STARTING_MS = 5000;

/** The engine's cursor step of the top frame. */
function currentItem(session: SessionState): { item: FlowItem; step: StepState; depth: number; index: number } | undefined {
  const depth = session.frames.length - 1;
  const frame = session.frames[depth];
  const item = frame?.init.items[frame.cursor];
  const step = frame?.steps[frame.cursor];
  return frame && item && step ? { item, step, depth, index: frame.cursor } : undefined;
}

/** One run of the cursor step: which step, which attempt. */
function runKey(session: SessionState): string {
  const cur = currentItem(session);
  return cur ? `${cur.depth}:${cur.index}:${cur.step.attempts}` : '';
}

function stateText(session: SessionState, attached: boolean): string {
  const frame = session.frames[session.frames.length - 1];
  const item = frame?.init.items[frame.cursor];
  const where = frame ? `${Math.min(frame.cursor + 1, frame.init.items.length)}/${frame.init.items.length}` : '';
  const status = session.status;
  switch (status.kind) {
    case 'new':
      return 'STARTING';
    case 'vars':
      return `VARS: ${status.spec.name}`;
    case 'ready':
      return item?.step.kind === 'manual' ? `MANUAL ${where}` : `READY ${where} ${item?.step.id ?? ''}`;
    case 'confirm':
      return `CONFIRM ${item?.step.id ?? ''}`;
    case 'running':
      return attached ? `ATTACHED to ${item?.step.id ?? ''}: ctrl-] detaches` : `RUNNING ${item?.step.id ?? ''}`;
    case 'blocked':
      return `BLOCKED at ${item?.step.id ?? ''}`;
    case 'ended':
      return `ENDED: ${status.outcome}`;
  }
}

/** The gate's letter keys, for the choices this gate offers (a recovery key only with a path). */
function gateHints(choices: readonly Choice[]): string[] {
  const has = (kind: Choice['kind']) => choices.some((c) => c.kind === kind && !(c.kind === 'recover' && c.disabled !== undefined));
  return [has('retry') ? 'r retry' : '', has('recover') ? 'c recover' : '', has('skip') ? 's skip' : ''].filter(Boolean);
}

/** Key hints, most important first (the status bar drops from the end to fit). */
function hintsFor(session: SessionState, view: ViewState, compact: boolean, transcript: boolean): string[] {
  if (compact) return [view.attached ? 'ctrl-] detach' : '? help'];
  if (view.overlay) return ['esc close', '? help'];
  const status = session.status;
  const frame = session.frames[session.frames.length - 1];
  const kind = frame?.init.items[frame.cursor]?.step.kind;
  switch (status.kind) {
    case 'ready':
      // A manual item is ticked, not run.
      return [kind === 'manual' ? 'space tick' : 'enter run', 'a all', 's skip', '? help', 'q quit'];
    case 'running':
      if (view.attached) return ['keys go to the step'];
      // A check reads no keys: there is nothing to attach to.
      return kind === 'check' ? ['ctrl-c interrupt', '? help'] : ['i attach', 'ctrl-c interrupt', '? help'];
    case 'blocked': {
      const letters = [...gateHints(status.choices), ...(transcript ? ['t output'] : [])];
      return view.focus === 'gate' ? ['↑↓ enter', ...letters, '? help', 'esc list'] : ['enter gate', ...letters, '? help'];
    }
    case 'ended':
      return ['↑↓ review', 'q quit'];
    default:
      return ['? help', 'q quit'];
  }
}

export function RunbookScreen({ runAs, host, onQuit, onBack }: RunbookScreenProps) {
  const store = useSessionStore();
  const services = useServices();
  const { isRawModeSupported } = useStdin();
  const { cols, rows } = useTerminalSize();
  const [ready, setReady] = useState(false);
  const session = useSession((s) => s.session);
  const [viewState, setViewState] = useState(initialViewState);
  const viewRef = useRef(viewState);
  const dispatch = useCallback(
    (action: ViewAction) => {
      viewRef.current = viewReducer(syncView(viewRef.current, store.getState().session), action);
      setViewState(viewRef.current);
    },
    [store],
  );
  // The selection follows the engine in the very frame the engine moves.
  const view = syncView(viewState, session);
  // The screen only through the throttled hook: subscribing to the store's screen here too
  // would re-render the whole view on every snapshot.
  const error = useSession((s) => s.error);
  const screen = useScreen();
  const runLog = useRunLog();
  const checkLog = runLog.attempts;
  const depth = session.frames.length - 1;
  const frame = session.frames[depth];
  const cursor = frame?.cursor ?? 0;
  const status = session.status;
  const layout = runbookLayout(cols, rows, depth > 0);
  const actions = store.getState().actions;

  // Which step's run the shell screen shows (the screen is cleared when a command step starts).
  const [outputKey, setOutputKey] = useState<string | undefined>();
  const current = frame?.init.items[cursor];
  useEffect(() => {
    if (status.kind === 'running' && current?.step.kind === 'command') setOutputKey(`${depth}:${current.key}`);
  }, [status.kind, depth, current]);

  // An `interactive` step attaches by itself; a step that ends detaches.
  useEffect(() => {
    if (status.kind === 'running' && current?.step.kind === 'command' && current.step.attrs.interactive) dispatch({ type: 'attach' });
    if (status.kind !== 'running' && viewRef.current.attached) dispatch({ type: 'detach' });
  }, [status.kind, current, dispatch]);
  // The key that started an interactive step is followed at once by the operator's answer:
  // until the step runs, what they type is held for it (see `attached`).
  const starting = useRef<number | undefined>(undefined);
  useEffect(() => {
    starting.current = undefined;
  }, [status.kind]);
  /** The run the operator detached from with ctrl-]: it is not attached again by itself. */
  const detachedRun = useRef<string | undefined>(undefined);

  // The step's terminal is as wide as the pane and as tall as its body.
  useEffect(() => {
    actions.resize(Math.max(20, layout.cols), Math.max(4, layout.detail - 1));
  }, [actions, layout.cols, layout.detail]);

  const closing = useRef(false);
  const quit = useCallback(() => {
    if (closing.current) return;
    closing.current = true;
    dispatch({ type: 'notice', text: 'closing the session...' });
    const code = exitCode(store.getState().session);
    void store
      .getState()
      .actions.close()
      .finally(() => onQuit(code));
  }, [store, onQuit, dispatch]);
  const back = useCallback(() => {
    if (!onBack || closing.current) return;
    closing.current = true;
    void store
      .getState()
      .actions.close()
      .finally(() => onBack());
  }, [store, onBack]);

  // Keys before the step's run has begun are typed ahead (held for it), never lost.
  const write = useCallback((data: string) => {
    const actions = store.getState().actions;
    if (store.getState().session.status.kind === 'running') actions.write(data);
    else actions.typeAhead(data);
  }, [store]);
  const detach = useCallback(() => {
    detachedRun.current = runKey(store.getState().session);
    dispatch({ type: 'detach' });
  }, [store, dispatch]);
  // Attached from the moment an interactive step is started, not from the render that shows
  // it: keys that arrive before the attach effect has run go to the step, not to the checklist.
  const attached = useCallback((): boolean => {
    const session = store.getState().session;
    // A prompt the key opened instead (a reason for running out of order) has the keys.
    if (starting.current !== undefined && session.status.kind !== 'running') return !viewRef.current.overlay && Date.now() - starting.current < STARTING_MS;
    if (session.status.kind !== 'running') return false;
    if (syncView(viewRef.current, session).attached) return true;
    const cur = currentItem(session);
    return cur?.item.step.kind === 'command' && cur.item.step.attrs.interactive && detachedRun.current !== runKey(session);
  }, [store]);
  const startInteractive = useCallback(() => {
    starting.current = Date.now();
  }, []);
  // Subscribed before the view's keys (useRunbookKeys): on one input the step's keys are
  // forwarded first, and the view's handler then sees them as attached and leaves them.
  useAttach(attached, write, detach);

  const overlay = view.overlay;
  // Help and the viewer take the checklist's rows too; their title rule takes one.
  const overlayHeight = layout.detail + layout.list;
  const overlayRows = overlayHeight - 1;
  useRunbookKeys({
    store,
    transcripts: runLog.transcripts,
    services,
    viewRef,
    dispatch,
    page: layout.detail - 1,
    overlayRows,
    width: layout.cols,
    quit,
    ...(onBack ? { back } : {}),
    isActive: isRawModeSupported,
    attached,
    startInteractive,
  });
  // Keys typed before useInput subscribed would be lost: the hints appear once it has.
  useEffect(() => setReady(true), []);
  // A resume that found a torn journal line or changed runbooks says so before anything else;
  // an interrupted step alone is said by its gate.
  const reported = useRef(false);
  useEffect(() => {
    const report = store.getState().resume;
    if (!report || (report.torn === undefined && report.changed.length === 0)) return;
    const open = viewRef.current.overlay;
    const showing = open?.kind === 'viewer' && open.title === RESUME_TITLE;
    // Once when the view opens; again, re-wrapped, when the terminal is resized under it.
    if (reported.current && !showing) return;
    reported.current = true;
    const lines = resumeReportLines(report, store.getState().session.id, layout.cols);
    dispatch({ type: 'open', overlay: { kind: 'viewer', title: RESUME_TITLE, lines, scroll: showing ? Math.min(open.scroll, lines.length) : 0 } });
  }, [store, dispatch, layout.cols]);

  // A transcript or runbook page open across a resize is laid out again at the new width,
  // keeping the reader near the same place.
  const laidOutAt = useRef(layout.cols);
  useEffect(() => {
    if (laidOutAt.current === layout.cols) return;
    laidOutAt.current = layout.cols;
    const open = viewRef.current.overlay;
    if (open?.kind !== 'viewer' || !open.rewrap) return;
    const lines = open.rewrap(layout.cols);
    const scroll = open.lines.length > 0 ? Math.round((open.scroll / open.lines.length) * lines.length) : 0;
    dispatch({ type: 'open', overlay: { ...open, lines, scroll: Math.min(scroll, Math.max(0, lines.length - 1)) } });
  }, [dispatch, layout.cols]);

  const items = frame?.init.items ?? [];
  const selectedItem = items[view.selected] ?? current;
  const selectedStep = frame?.steps[view.selected] ?? frame?.steps[cursor];
  const width = layout.cols;
  const paneHeight = layout.detail;
  const preflightShown = view.selected === PREFLIGHT_ROW && session.frames.length === 1 ? session.preflight : undefined;
  const selectedIndex = items[view.selected] ? view.selected : preflightShown ? PREFLIGHT_ROW : cursor;

  // The gate of a command step whose run is no longer on the shell's screen (resumed after a
  // crash): the end of its transcript stands in for the screen.
  const gateStep = status.kind === 'blocked' ? frame?.steps[cursor] : undefined;
  const gateScreen = current && outputKey === `${depth}:${current.key}` ? screen : null;
  const gateTranscript = status.kind === 'blocked' && current ? runLog.transcripts.get(current.key) : undefined;
  const gateTranscriptText = useTranscript(gateStep?.interrupted && gateScreen === null && current?.step.kind === 'command' ? gateTranscript : undefined);

  let pane: React.ReactNode = null;
  if (status.kind === 'vars') {
    const spec = status.spec;
    pane = (
      <AskText
        key={`var-${spec.name}`}
        title={`variable ${spec.name}${spec.secret ? ' (secret, not shown)' : ''}`}
        text={spec.prompt}
        label={`${spec.name}${spec.default !== undefined ? (spec.secret ? ' [enter keeps the default]' : ` [${spec.default}]`) : ''}:`}
        mask={spec.secret}
        onSubmit={(value) => void actions.answerVar(value)}
        onCancel={() => dispatch({ type: 'open', overlay: { kind: 'confirm-quit' } })}
        height={paneHeight}
        width={width}
        isActive={isRawModeSupported && overlay?.kind !== 'confirm-quit'}
      />
    );
  }
  if (overlay?.kind === 'confirm-quit') {
    pane = (
      <Question
        title="quit?"
        text={
          status.kind === 'running'
            ? `${current?.step.id ?? 'A step'} is running. Quit interrupts it; the session stays resumable (stepgate resume ${session.id}).`
            : `Quit now? The session stays resumable (stepgate resume ${session.id}).`
        }
        onYes={quit}
        onNo={() => dispatch({ type: 'close' })}
        height={paneHeight}
        width={width}
        isActive={isRawModeSupported}
      />
    );
  } else if (overlay?.kind === 'reason') {
    const target = items[overlay.index];
    const purpose = overlay.purpose;
    const what =
      purpose === 'skip'
        ? `Skip ${target?.step.id}? ${overlay.optional ? 'It is optional: a reason is welcome, not required.' : 'It is required: type why it is safe to skip it.'} The reason is journaled.`
        : purpose === 'override'
          ? `Count ${target?.step.id} as passed although it failed? Type why. The reason is journaled.`
          : purpose === 'abort'
            ? 'Abort the session? It ends as aborted (exit 1). A reason is optional.'
            : `Run ${target?.step.id} out of order${overlay.index < cursor ? ' (again)' : ''}? Steps run in order; type why this one runs now. The reason is journaled, and the checklist returns to ${current?.step.id ?? 'the next step'} afterwards.`;
    pane = (
      <AskText
        key={`reason-${purpose}-${overlay.index}`}
        title={purpose === 'out-of-order' ? 'run out of order' : purpose}
        text={what}
        label="reason:"
        onSubmit={(value) => {
          const reason = value.trim();
          if (reason === '' && !overlay.optional) {
            dispatch({ type: 'notice', text: 'a reason is required (esc cancels)' });
            return;
          }
          dispatch({ type: 'close' });
          if (purpose === 'skip') void actions.skip(reason);
          else if (purpose === 'override') void actions.override(reason);
          else if (purpose === 'abort') void actions.abort(reason === '' ? undefined : reason);
          else void actions.runStepAt(overlay.index, reason);
        }}
        onCancel={() => dispatch({ type: 'close' })}
        height={paneHeight}
        width={width}
        isActive={isRawModeSupported}
      />
    );
  } else if (overlay?.kind === 'help') {
    pane = <HelpOverlay height={overlayHeight} width={width} scroll={overlay.scroll} />;
  } else if (overlay?.kind === 'refs') {
    pane = (
      <Box flexDirection="column" height={paneHeight}>
        <Rule text="open which runbook? (enter opens, esc closes)" width={width} />
        <Pane
          lines={overlay.refs.map((r, i) => ({ text: `${i === overlay.index ? '>' : ' '} ${r.label}`, ...(i === overlay.index ? { tone: 'selected' as const } : {}) }))}
          height={paneHeight - 1}
          width={width}
          top={Math.max(0, overlay.index - paneHeight + 2)}
        />
      </Box>
    );
  } else if (overlay?.kind === 'viewer') {
    pane = (
      <Box flexDirection="column" height={overlayHeight}>
        <Rule text={overlay.title} width={width} />
        <Pane lines={overlay.lines.map((text) => ({ text }))} height={overlayRows} width={width} top={overlay.scroll} />
      </Box>
    );
  } else if (status.kind === 'confirm' && current) {
    pane = (
      <Question
        title={`confirm ${current.step.id}`}
        text={`${current.step.id} asks for confirmation before it runs. Run it now?${current.step.kind === 'command' && current.step.attrs.user !== undefined ? ` (as ${current.step.attrs.user})` : ''}`}
        code={current.step.kind === 'command' ? current.step.script.replace(/\n$/, '').split('\n') : []}
        onYes={() => void actions.confirm()}
        onNo={() => void actions.decline()}
        height={paneHeight}
        width={width}
        isActive={isRawModeSupported}
      />
    );
  } else if (pane === null && status.kind === 'blocked' && current && frame && view.selected === cursor) {
    pane = (
      <GatePanel
        item={current}
        step={frame.steps[cursor] ?? { status: 'failed', attempts: 0 }}
        choices={status.choices}
        index={view.gateIndex}
        focused={view.focus === 'gate'}
        screen={gateScreen}
        attempts={checkLog.get(current.key)}
        transcript={gateTranscript}
        transcriptText={gateTranscriptText}
        height={paneHeight}
        width={width}
      />
    );
  } else if (pane === null && status.kind === 'ended' && (view.selected >= items.length || view.selected === cursor)) {
    const ended: Line[] = [
      { text: `The session ended: ${status.outcome}${status.reason ? ` (${status.reason})` : ''}.` },
      { text: `Audit trail: stepgate log ${session.id}` },
      { text: '' },
      { text: '↑↓ select a step to review it; q quits.', tone: 'dim' },
    ];
    // The last step's output (often the check that ended it all) stays in view.
    const last = screen ? items.find((i) => `${depth}:${i.key}` === outputKey) : undefined;
    const out = screen ? screen.lines.slice() : [];
    while (out.length > 0 && (out[out.length - 1] ?? '').trim() === '') out.pop();
    const room = paneHeight - 1 - ended.length - 2;
    if (last && out.length > 0 && room > 0) {
      ended.push({ text: '' }, { text: `output of ${last.step.id}${out.length > room ? ` (last ${room} lines)` : ''}:`, tone: 'dim' });
      for (const text of out.slice(-room)) ended.push({ text });
    }
    pane = (
      <Box flexDirection="column" height={paneHeight}>
        <Rule text={`session ${status.outcome}`} width={width} />
        <Pane
          lines={ended}
          height={paneHeight - 1}
          width={width}
          top={0}
        />
      </Box>
    );
  } else if (pane === null && preflightShown) {
    pane = <PreflightDetail preflight={preflightShown} runAs={runAs} height={paneHeight} width={width} scroll={view.detailScroll} />;
  } else if (pane === null && selectedItem && selectedStep) {
    const key = `${depth}:${selectedItem.key}`;
    const previous = items[selectedIndex - 1];
    const before =
      // The step that just ran stays in view under the next one (a manual item that asks to
      // check it, or the next step before it runs): enter, enter, enter still shows each output.
      (selectedItem.step.kind === 'manual' || selectedStep.status === 'pending') && previous?.step.kind === 'command' && screen && outputKey === `${depth}:${previous.key}`
        ? { id: previous.step.id, screen }
        : undefined;
    pane = (
      <StepDetail
        {...(before ? { before } : {})}
        item={selectedItem}
        step={selectedStep}
        screen={outputKey === key ? screen : null}
        attempts={checkLog.get(selectedItem.key)}
        height={paneHeight}
        width={width}
        scroll={view.detailScroll}
      />
    );
  }
  const fullHeightOverlay = overlay?.kind === 'help' || overlay?.kind === 'viewer';
  const notice = view.notice ?? error ?? session.notice;
  return (
    <Box flexDirection="column" width={width} height={layout.height}>
      <Header width={width} runAs={runAs} host={host} crumb={layout.header > 1} />
      {fullHeightOverlay ? null : <Checklist height={layout.list} width={width} selected={selectedIndex} notes={!layout.compact} />}
      {pane ?? <Box height={paneHeight} />}
      <StatusBar state={stateText(session, view.attached)} {...(notice ? { notice } : {})} hints={ready ? hintsFor(session, view, layout.compact, gateTranscript !== undefined) : []} width={width} />
    </Box>
  );
}
