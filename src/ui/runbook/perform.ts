/**
 * Carries out what `update` asked for: actions on the session store, the walk for `a`, and
 * pages read through the services (a transcript, a linked runbook) opened as overlays.
 */
import { describeError } from '../../errors.js';
import { currentItem } from '../../session/decisions.js';
import { DEFAULT_POLICY } from '../../session/next-move.js';
import type { SessionStore } from '../../session/store.js';
import { walk } from '../../session/walk.js';
import type { UiServices } from '../context.js';
import { displayFile, stepName, transcriptLines } from '../lines.js';
import { crossRefChoices, runbookLines } from '../refs.js';
import type { RunbookIntent } from './update.js';
import type { RefChoice, ViewAction } from './view-state.js';

export interface PerformDeps {
  store: SessionStore;
  services: UiServices;
  dispatch: (action: ViewAction) => void;
  width: number;
  quit: () => void;
  back?: () => void;
  /** An interactive step was just started by a key: what follows is for it. */
  startInteractive?: () => void;
}

/** Performs intents; one per view, as it counts the walks (`latest` gives the current deps). */
export class IntentPerformer {
  /** Bumped by any intent that is not navigation: a walk that sees it changed stops. */
  private walks = 0;

  constructor(private readonly latest: () => PerformDeps) {}

  perform(intents: readonly RunbookIntent[]): void {
    for (const intent of intents) this.one(intent);
  }

  private notice(text: string): void {
    this.latest().dispatch({ type: 'notice', text });
  }

  private one(intent: RunbookIntent): void {
    const { store, quit, back, startInteractive } = this.latest();
    const actions = store.getState().actions;
    switch (intent.kind) {
      case 'halt-walk':
        this.walks += 1;
        return;
      case 'run-step':
        return void actions.runStep();
      case 'confirm':
        return void actions.confirm();
      case 'retry':
        return void actions.retry();
      case 'choose-recovery':
        return void actions.chooseRecovery(intent.index);
      case 'run-all':
        return void this.runAll();
      case 'interrupt':
        return actions.interrupt();
      case 'show-transcript':
        return void this.showTranscript(intent.name, intent.path);
      case 'find-refs':
        return this.findRefs(intent.item);
      case 'open-ref':
        return void this.openRef(intent.ref);
      case 'back':
        return back?.();
      case 'quit':
        return quit();
      case 'hold-keys':
        // A step that is already running is attached by its own rule.
        if (store.getState().session.status.kind !== 'running') startInteractive?.();
        return;
    }
  }

  /**
   * `a` walks steps until something needs the operator; any other intent stops the walk, so a
   * gate choice made while it winds down is never followed by steps nobody asked for.
   */
  private async runAll(): Promise<void> {
    const gen = ++this.walks;
    const { store, services } = this.latest();
    // The terminal that pressed `a` went away at some point of the walk: whoever attaches
    // since did not ask for it, and saw only RUNNING (a trial: after a drop and an attach, the
    // next step started with no key pressed and nothing on screen saying why).
    let left = false;
    const stopWatching = services.onAttachChange?.(() => {
      if (services.attended?.() === false) left = true;
    });
    // A recovery path that returns stops the walk before the blocked step runs again: its
    // steps' output is on this screen one at a time, and the operator reads it first.
    try {
      await walk(store, { ...DEFAULT_POLICY, stopOnReturn: true }, {
        halt: (moves, next) => {
          if (this.walks !== gen) return 'another intent';
          if (moves === 0 || next.kind !== 'run') return undefined;
          // The operator's terminal went away: the step that ran has finished, the next waits for them.
          const gone = services.attended?.() === false;
          if (!gone && !left) return undefined;
          const at = stepName(currentItem(store.getState().session)?.item, 30);
          // Short: a notice longer than the status line is cut (a trial read "...when the last step fi…").
          this.notice(gone ? `walk stopped at ${at}: nobody was attached; a goes on` : `walk stopped at ${at}: its terminal left mid-step; a goes on`);
          return 'unattended';
        },
      });
    } finally {
      stopWatching?.();
    }
  }

  private findRefs(item: Parameters<typeof crossRefChoices>[0]): void {
    const load = this.latest().services.loadRunbook;
    if (!load) return this.notice('opening runbooks is not available here');
    void load(item.file).then(
      (book) => {
        const refs = crossRefChoices(item, book);
        if (refs.length === 0) return this.notice(`${stepName(item, 30)} and its section link to no runbook`);
        if (refs.length === 1 && refs[0]) return void this.openRef(refs[0]);
        this.latest().dispatch({ type: 'open', overlay: { kind: 'refs', refs, index: 0 } });
      },
      (error: unknown) => this.notice(`cannot read ${item.file}: ${describeError(error)}`),
    );
  }

  private async openRef(ref: RefChoice): Promise<void> {
    const { services, width, dispatch } = this.latest();
    if (!services.loadRunbook) return this.notice('opening runbooks is not available here');
    try {
      const book = await services.loadRunbook(ref.file);
      const layOut = (w: number): string[] => runbookLines(book, ref.anchor, w).lines.map((l) => l.text);
      const { title } = runbookLines(book, ref.anchor, width);
      dispatch({ type: 'open', overlay: { kind: 'viewer', title, lines: layOut(width), scroll: 0, rewrap: layOut } });
    } catch (error) {
      this.notice(`cannot open ${ref.label}: ${describeError(error)}`);
    }
  }

  private async showTranscript(name: string, path: string): Promise<void> {
    const { services, dispatch } = this.latest();
    if (!services.readTranscript) return this.notice(`the transcript is ${path}`);
    try {
      const text = await services.readTranscript(path);
      const layOut = (w: number): string[] => transcriptLines(text, w);
      const title = `transcript of ${name} (esc or q closes): ${displayFile(path)}`;
      dispatch({ type: 'open', overlay: { kind: 'viewer', title, lines: layOut(this.latest().width), scroll: 0, rewrap: layOut } });
    } catch (error) {
      this.notice(`cannot read ${path}: ${describeError(error)}`);
    }
  }
}
