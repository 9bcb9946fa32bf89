/**
 * The TUI on the operator's screen: Ink and React loaded behind the first frame, the alternate
 * screen, signals (a hang-up closes the session so the running step's end is journaled), who
 * is attached when it runs detached, and the last words on stderr when it ends.
 */
import type * as ReactModule from 'react';
import type * as InkModule from 'ink';
import type * as AppModule from '../ui/app.js';
import { currentWho } from '../session/host.js';
import type { SessionStore } from '../session/store.js';
import { describeState } from '../session/history.js';
import type { SessionState } from '../session/types.js';
import { readTranscript } from '../session/transcripts.js';
import { TerminalFilter } from '../session/terminal-filter.js';
import { colorEnabled } from '../ui/theme.js';
import { attentionAfter } from '../session/attention.js';
import { nothingRan } from '../session/decisions.js';
import { attentionBytes, notifySupport } from '../ui/attention.js';
import type { SessionHandle, UiServices } from '../ui/context.js';
import type { PickerEntry } from '../ui/picker-model.js';
import { loadRunbookFile } from './load.js';
import { loadExec, wallClock } from './run.js';
import { claimOutputLoss, droppedReason, isDrop, outputGone, type Interruption } from './output-loss.js';
import { applyTuiHeapFlags, detachedChild } from './detach.js';
import { Presence } from './presence.js';
import { EXIT } from './exit-codes.js';
import { describeError } from '../errors.js';

/** Switch to the alternate screen (the operator's scrollback is left as it was). */
const ALT_ON = '\u001B[?1049h\u001B[H';
const ALT_OFF = '\u001B[?1049l';
/** How long after the first render the session's shell starts (see `showTui`). */
const SHELL_AHEAD_AFTER_MS = 300;

/**
 * Everything the TUI writes passes a terminal filter: Ink draws with CSI only, so an OSC (a
 * window title, a clipboard write), a DCS or ESC c can only come from a runbook's or a
 * server's text that reached a frame unsanitized, and is dropped before the terminal sees it.
 */
function guardTerminal(stream: NodeJS.WriteStream): (bytes: string) => void {
  const filter = new TerminalFilter();
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? filter.feed(chunk) : chunk, ...rest)) as typeof stream.write;
  // stepgate's own sequences (the attention notification), which the filter would drop.
  return (bytes) => {
    write(bytes);
  };
}

/**
 * Rings for the operator when the session asks for attention (a gate blocks, a manual item
 * waits, a long step ends): the bell, and OSC 9 where the terminal declares it. `--quiet`: never.
 */
function ringer(write: (bytes: string) => void, quiet: boolean): (store: SessionStore) => void {
  const support = notifySupport(process.env, detachedChild() !== undefined);
  const watched = new WeakSet<SessionStore>();
  return (store) => {
    if (quiet || watched.has(store)) return;
    watched.add(store);
    store.getState().actions.onEvent((event, state) => {
      const attention = attentionAfter(event, state);
      if (attention !== undefined) write(attentionBytes(attention, support));
    });
  };
}

export interface Opened extends SessionHandle {
  release(): Promise<void>;
}

/** Set when this TUI's deploy lock was taken over: why it stops (the step's reason, the last words). */
let lockLost: string | undefined;

/** This TUI's deploy lock was taken over: it stops saying why. */
export function markLockLost(text: string): void {
  lockLost = text;
}

export /** Shown on the status line for a few seconds, then the line says where the session is again. */
function showBriefly(store: SessionStore, notice: string): void {
  store.setState({ briefNotice: notice });
  setTimeout(() => {
    if (store.getState().briefNotice === notice) store.setState({ briefNotice: undefined });
  }, 6000).unref();
}

/** What the TUI draws with: React's createElement, Ink's render and the root component. */
export interface UiModules {
  createElement: typeof ReactModule.createElement;
  render: typeof InkModule.render;
  App: typeof AppModule.App;
}

export /**
 * React's development build checks every render; an operator's terminal wants the lean one.
 * React picks its build when first loaded; the variable is put back right after, so the steps'
 * shell never sees it (NODE_ENV=production would change what `npm install` in a step does).
 */
function loadUi(): Promise<UiModules> {
  // Once per process: whoever asks first (a preload, the session) starts it, the rest share it.
  uiLoading ??= importUi();
  return uiLoading;
}

let uiLoading: Promise<UiModules> | undefined;

async function importUi(): Promise<UiModules> {
  const nodeEnv = process.env['NODE_ENV'];
  if (nodeEnv === undefined) process.env['NODE_ENV'] = 'production';
  try {
    const [react, { render }, { App }] = await Promise.all([import('react'), import('ink'), import('../ui/app.js')]);
    // React is CommonJS: a bundler may hand its exports over as `default` only.
    const lib = react as unknown as { createElement?: typeof react.createElement; default?: { createElement?: typeof react.createElement } };
    const createElement = typeof lib.createElement === 'function' ? lib.createElement : lib.default?.createElement;
    if (createElement === undefined) throw new Error('React has no createElement (a broken bundle?)');
    return { createElement, render, App };
  } finally {
    if (nodeEnv === undefined) delete process.env['NODE_ENV'];
  }
}

export interface PickerOpener {
  dir: string;
  entries: PickerEntry[];
  open(entry: PickerEntry): Promise<Opened>;
  refresh(): Promise<PickerEntry[]>;
}

export /** Renders the TUI on the alternate screen until the operator quits (or a signal); the exit code. */
async function showTui(ui: Promise<UiModules>, opened: Opened | undefined, picker: PickerOpener | undefined, options: { note?: string; quiet?: boolean } = {}): Promise<number> {
  const { note } = options;
  const releases: Array<() => Promise<void>> = opened ? [opened.release] : [];
  let lastStore: SessionStore | undefined = opened?.store;
  // Inside the private tmux server: who comes and goes is journaled, `attach` finds the session.
  const child = detachedChild();
  const presence = child ? new Presence(child.server, () => lastStore) : undefined;
  const hold = (store: SessionStore): void => {
    const session = store.getState().session;
    const runbook = session.frames[0]?.init.source.file;
    if (child && session.id && runbook !== undefined) child.hold({ id: session.id, runbook });
  };
  if (opened) hold(opened.store);
  if (note !== undefined && opened) showBriefly(opened.store, note);
  const services: UiServices = {
    now: () => wallClock.now(),
    color: colorEnabled(),
    loadRunbook: async (file) => (await loadRunbookFile(file)).runbook,
    readTranscript: (path) => readTranscript(path),
    ...(presence ? { attended: () => presence.attended(), watchedOnly: () => presence.watchedOnly(), onAttachChange: (listener: () => void) => presence.onChange(listener) } : {}),
    detachable: child !== undefined,
  };
  const { createElement, render, App } = await ui;
  let exitCode: number = EXIT.blocked;
  const ring = ringer(guardTerminal(process.stdout), options.quiet === true);
  if (opened) ring(opened.store);
  process.stdout.write(ALT_ON);
  const app = render(
    createElement(App, {
      services,
      ...(opened ? { session: opened } : {}),
      ...(picker
        ? {
            picker: {
              ...picker,
              open: async (entry: PickerEntry) => {
                const handle = await picker.open(entry);
                // The TUI is on the screen already: its shell may start at once.
                handle.store.getState().actions.prepareShell();
                releases.push(handle.release);
                lastStore = handle.store;
                hold(handle.store);
                ring(handle.store);
                return handle;
              },
            },
          }
        : {}),
      onExit: (code: number) => {
        exitCode = code;
        app.unmount();
      },
    }),
    { exitOnCtrlC: false, patchConsole: true, maxFps: 30 },
  );
  applyTuiHeapFlags();
  // Who is attached is asked of tmux once the first frame is drawn: starting that tmux client
  // takes the main thread 10 ms or more (until it answers, the launcher's client counts).
  void presence?.start();
  // The shell and probes load behind the first frame (they are not needed to draw it).
  setImmediate(() => {
    loadExec().catch(() => undefined);
  });
  // Then the session's shell starts while the operator reads the first step, once the first
  // frames are on the screen: started at once, its fork and bash's start-up on the other core
  // made the first full frame 40 ms later (bench/ui.bench.mjs, three interleaved batches). A
  // step started before then opens the shell itself.
  const shellAhead = setTimeout(() => opened?.store.getState().actions.prepareShell(), SHELL_AHEAD_AFTER_MS);
  // A hang-up (SSM session dropped), a kill or an outside SIGINT (the TUI's own Ctrl-C is a key
  // in raw mode): close the session so the running step's end is journaled, leave it
  // resumable, and exit 130 like plain mode.
  let dropped = false;
  const onSignal = (signal: Interruption): void => {
    const drop = isDrop(signal);
    // SIGHUP and the failed writes of the closed terminal come together: one drop, journaled once.
    if (drop && dropped) return;
    exitCode = EXIT.interrupted;
    const actions = lastStore?.getState().actions;
    let cause = lockLost ?? `stepgate got ${signal} while it ran and stopped it`;
    if (drop) {
      dropped = true;
      // The terminal is gone: Ink's last writes fail with EIO and must not crash the close.
      outputGone();
      cause = droppedReason(signal);
      // Journaled as a drop, not as the operator's Ctrl-C (issue 11, item 9).
      void actions?.record({ type: 'terminal-closed', signal, kept: false, terminal: { who: currentWho() } }).catch(() => undefined);
    }
    void (actions?.close(cause) ?? Promise.resolve()).finally(() => app.unmount());
  };
  for (const s of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.on(s, onSignal);
  const releaseOutput = claimOutputLoss(onSignal);
  // Keys fire intents without awaiting them. If one fails (the journal's disk is full), say so
  // on the status line instead of letting Node kill the process with the terminal still in
  // raw mode on the alternate screen.
  const onRejection = (reason: unknown): void => {
    const message = describeError(reason);
    if (lastStore) lastStore.setState({ error: `stepgate error: ${message}` });
    else process.stderr.write(`stepgate: ${message}\n`);
  };
  process.on('unhandledRejection', onRejection);
  try {
    await app.waitUntilExit();
  } finally {
    clearTimeout(shellAhead);
    for (const s of ['SIGHUP', 'SIGTERM', 'SIGINT'] as const) process.off(s, onSignal);
    releaseOutput();
    process.off('unhandledRejection', onRejection);
    presence?.stop();
    process.stdout.write(ALT_OFF);
    await lastStore?.getState().actions.close().catch(() => undefined);
    for (const release of releases) await release().catch(() => undefined);
  }
  if (lockLost !== undefined) process.stderr.write(`${lockLost}\n`);
  const session = lastStore?.getState().session;
  if (session && session.id) {
    const status = session.status;
    const how =
      status.kind === 'ended'
        ? status.outcome
        : nothingRan(session)
          ? 'closed before anything ran (nothing to resume: open the runbook again to start)'
          : `is unfinished (${unfinishedWords(session)}); continue with: stepgate resume ${session.id}`;
    process.stderr.write(`stepgate: session ${session.id} ${how}\n`);
  }
  return exitCode;
}

/** What `stepgate sessions` says of it (`interrupted at slow`), not the engine's word for its state. */
function unfinishedWords(session: SessionState): string {
  const { state, at } = describeState(session);
  return at === undefined ? state : `${state} at ${at}`;
}
