/**
 * The runbook view: header, checklist, the detail pane (or the gate, a prompt, help), and the
 * status bar, sized so the frame never reaches the terminal's height.
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import { Box, useStdin } from 'ink';
import type { SessionState } from '../../session/types.js';
import { PREFLIGHT_ROW } from '../checklist-rows.js';
import { Checklist } from '../components/checklist.js';
import { Header } from '../components/header.js';
import { StatusBar } from '../components/status-bar.js';
import { useServices, useSession, useSessionStore } from '../context.js';
import { useRunLog } from '../hooks/use-run-log.js';
import { useScreen } from '../hooks/use-screen.js';
import { useTerminalSize } from '../hooks/use-terminal-size.js';
import { useTranscript } from '../hooks/use-transcript.js';
import { useWatchedOnly } from '../hooks/use-watched-only.js';
import { runbookLayout } from '../layout.js';
import { detailPane } from './detail-pane.js';
import { KEYS_GO_TO_STEPGATE } from './update.js';
import { WATCHER_HINTS, hintsFor, stateText } from './status-line.js';
import { useRunbookKeys } from './use-runbook-keys.js';
import { useStepAttach } from './use-step-attach.js';
import { useViewerPages } from './use-viewer-pages.js';
import { asideOf, initialViewState, syncView, viewReducer, type ViewAction, type ViewState } from './view-state.js';

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

export function RunbookScreen({ runAs, host, onQuit, onBack }: RunbookScreenProps) {
  const store = useSessionStore();
  const services = useServices();
  const { isRawModeSupported } = useStdin();
  const { cols, rows } = useTerminalSize();
  const [ready, setReady] = useState(false);
  const session = useSession((s) => s.session);
  const [viewState, setViewState] = useState(initialViewState);
  const viewRef = useRef(viewState);
  const setView = useCallback((view: ViewState) => {
    viewRef.current = view;
    setViewState(view);
  }, []);
  const dispatch = useCallback(
    (action: ViewAction) => setView(viewReducer(syncView(viewRef.current, store.getState().session), action)),
    [store, setView],
  );
  // The selection follows the engine in the very frame the engine moves.
  const view = syncView(viewState, session);
  // The screen only through the throttled hook: subscribing to the store's screen here too
  // would re-render the whole view on every snapshot.
  const error = useSession((s) => s.error);
  const briefNotice = useSession((s) => s.briefNotice);
  const screen = useScreen();
  const shellStarting = useSession((s) => s.shellStarting);
  const waitingForInput = useSession((s) => s.waitingForInput);
  const runLog = useRunLog();
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

  const { attached, startInteractive } = useStepAttach(store, viewRef, dispatch, status.kind, current);

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

  // Help and the viewer take the checklist's rows too; their title rule takes one.
  const overlayHeight = layout.detail + layout.list;
  const overlayRows = overlayHeight - 1;
  useRunbookKeys({
    store,
    transcripts: runLog.transcripts,
    ...(runLog.lost !== undefined ? { lost: runLog.lost } : {}),
    services,
    viewRef,
    setView,
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
  useViewerPages(store, viewRef, dispatch, layout.cols);

  const items = frame?.init.items ?? [];
  const width = layout.cols;
  const paneHeight = layout.detail;
  const preflightShown = view.selected === PREFLIGHT_ROW && session.frames.length === 1 ? session.preflight : undefined;
  const selectedIndex = items[view.selected] ? view.selected : preflightShown ? PREFLIGHT_ROW : cursor;

  // The gate of a command step whose run is no longer on the shell's screen (resumed after a
  // crash, a drop or a quit; failed or cut short): the end of its transcript stands in for the
  // screen, so why it failed is on the gate, not behind `t`.
  const gateScreen = current && outputKey === `${depth}:${current.key}` ? screen : null;
  const gateTranscript = status.kind === 'blocked' && current ? runLog.transcripts.get(current.key) : undefined;
  const gateTranscriptText = useTranscript(gateScreen === null && current?.step.kind === 'command' ? gateTranscript : undefined);

  // A step of a recovery path that returned, selected under the step it returned to: its
  // output is on the shell's screen only while it is the last run there.
  const aside = asideOf(view, session);
  const asideOnScreen = aside !== undefined && outputKey === `${aside.returned.depth}:${aside.item.key}`;
  const asideTranscriptText = useTranscript(aside && !asideOnScreen && aside.item.step.kind === 'command' ? runLog.transcripts.get(aside.item.key) : undefined);

  // A var's refused value is said in its prompt, whole (the status line would cut it).
  const errorInPrompt = status.kind === 'vars' && view.overlay === undefined;
  const pane = detailPane({
    detachable: services.detachable === true,
    error: errorInPrompt ? error : undefined,
    session,
    view,
    runAs,
    actions,
    dispatch,
    quit,
    screen,
    outputKey,
    shellStarting,
    runLog,
    gateTranscriptText,
    asideTranscriptText,
    height: paneHeight,
    overlayHeight,
    overlayRows,
    width,
    isActive: isRawModeSupported,
  });
  const fullHeightOverlay = view.overlay?.kind === 'help' || view.overlay?.kind === 'viewer';
  // Attached, the keys already go to the step: nothing to say.
  const waiting = status.kind === 'running' && !view.attached ? waitingForInput : undefined;
  // A step that may be waiting for an answer says so over the stray-key notice, which says less (a trial).
  const viewNotice = waiting !== undefined && view.notice === KEYS_GO_TO_STEPGATE ? undefined : view.notice;
  const notice = viewNotice ?? (errorInPrompt ? undefined : error) ?? briefNotice ?? (waiting !== undefined ? `the step may be waiting for input: "${waiting}"` : undefined) ?? session.notice;
  const state = stateText(session, view.attached, shellStarting);
  const watchedOnly = useWatchedOnly();
  const hints = !ready ? [] : watchedOnly ? WATCHER_HINTS : hintsFor(session, view, layout.compact, gateTranscript !== undefined, aside !== undefined);
  return (
    <Box flexDirection="column" width={width} height={layout.height}>
      <Header width={width} runAs={runAs} host={host} crumb={layout.header > 1} />
      {fullHeightOverlay ? null : <Checklist height={layout.list} width={width} selected={selectedIndex} aside={aside ? view.aside : undefined} notes={!layout.compact} />}
      {pane ?? <Box height={paneHeight} />}
      <StatusBar state={state.text} keep={state.keep} {...(notice ? { notice } : {})} hints={hints} width={width} />
    </Box>
  );
}
