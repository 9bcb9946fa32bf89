/**
 * The runbook view's questions: a variable, a reason, quit?, and a step's confirmation. Plain
 * functions returning the prompt element, so the view's tree is that prompt itself (a question
 * replaced by another keeps its place, as it did when the screen built them inline).
 */
import type { VarSpec } from '../../runbooks/model.js';
import type { SessionActions } from '../../session/store-types.js';
import type { FlowItem, SessionState } from '../../session/types.js';
import { nothingRan } from '../../session/decisions.js';
import { AskText } from '../components/ask-text.js';
import { Question } from '../components/question.js';
import { stepName } from '../lines.js';
import type { Overlay, ViewAction } from './view-state.js';

interface Room {
  height: number;
  width: number;
  isActive: boolean;
}

export function varPrompt({
  spec,
  problem,
  actions,
  dispatch,
  ...box
}: Room & { spec: VarSpec; problem: string | undefined; actions: SessionActions; dispatch: (action: ViewAction) => void }) {
  return (
    <AskText
      key={`var-${spec.name}`}
      title={`variable ${spec.name}${spec.secret ? ' (secret, not shown)' : ''}`}
      text={spec.prompt}
      label={`${spec.name}${spec.default !== undefined ? (spec.secret ? ' [enter keeps the default]' : ` [${spec.default}]`) : ''}:`}
      mask={spec.secret}
      onSubmit={(value) => void actions.answerVar(value)}
      onCancel={() => dispatch({ type: 'open', overlay: { kind: 'confirm-quit' } })}
      escape="quit"
      problem={problem}
      clearOnSubmit
      hint={false}
      {...box}
    />
  );
}

export function quitQuestion({
  session,
  current,
  quit,
  dispatch,
  detachable,
  ...box
}: Room & { session: SessionState; current: FlowItem | undefined; quit: () => void; dispatch: (action: ViewAction) => void; detachable: boolean }) {
  // Leaving for the night should not kill a migration: where the TUI can detach, say so here.
  const detach = detachable ? ' To leave it running instead, n then ctrl-\\ (stepgate attach returns).' : '';
  return (
    <Question
      title="quit?"
      text={
        session.status.kind === 'running'
          ? `${current ? stepName(current) : 'A step'} is running. Quit interrupts it; the session stays resumable (stepgate resume ${session.id}).${detach}`
          : nothingRan(session)
            ? 'Quit now? Nothing has run in this session yet: open the runbook again to start it.'
            : `Quit now? The session stays resumable (stepgate resume ${session.id}).`
      }
      onYes={quit}
      onNo={() => dispatch({ type: 'close' })}
      {...box}
    />
  );
}

type ReasonOverlay = Extract<Overlay, { kind: 'reason' }>;

function reasonText(overlay: ReasonOverlay, target: FlowItem | undefined, cursor: number, current: FlowItem | undefined): string {
  switch (overlay.purpose) {
    case 'skip':
      return `Skip ${stepName(target)}? ${overlay.optional ? 'It is optional: a reason is welcome, not required.' : 'It is required: type why it is safe to skip it.'} The reason is journaled.`;
    case 'override':
      return `Count ${stepName(target)} as passed although it failed? Type why. The reason is journaled.`;
    case 'abort':
      return 'Abort the session? It ends as aborted (exit 1). A reason is optional.';
    case 'out-of-order':
      return `Run ${stepName(target)} out of order${overlay.index < cursor ? ' (again)' : ''}? Steps run in order; type why this one runs now. The reason is journaled, and the checklist returns to ${current ? stepName(current) : 'the next step'} afterwards.`;
  }
}

export function reasonPrompt({
  overlay,
  items,
  cursor,
  actions,
  dispatch,
  ...box
}: Room & { overlay: ReasonOverlay; items: readonly FlowItem[]; cursor: number; actions: SessionActions; dispatch: (action: ViewAction) => void }) {
  const purpose = overlay.purpose;
  return (
    <AskText
      key={`reason-${purpose}-${overlay.index}`}
      title={purpose === 'out-of-order' ? 'run out of order' : purpose}
      text={reasonText(overlay, items[overlay.index], cursor, items[cursor])}
      label="reason:"
      onSubmit={(value) => {
        const reason = value.trim();
        if (reason === '' && !overlay.optional) {
          // What is wanted, with an example, and short enough for the status bar at 80 columns.
          dispatch({ type: 'notice', text: 'a reason is required, e.g. "restarted by hand, OPS-12" (esc cancels)' });
          return;
        }
        dispatch({ type: 'close' });
        if (purpose === 'skip') void actions.skip(reason);
        else if (purpose === 'override') void actions.override(reason);
        else if (purpose === 'abort') void actions.abort(reason === '' ? undefined : reason);
        else void actions.runStepAt(overlay.index, reason);
      }}
      onCancel={() => dispatch({ type: 'close' })}
      {...box}
    />
  );
}

export function confirmQuestion({ current, actions, ...box }: Room & { current: FlowItem; actions: SessionActions }) {
  return (
    <Question
      title={`confirm ${stepName(current, 40, false)}`}
      text={`${stepName(current)} asks for confirmation before it runs. Run it now?${current.step.kind === 'command' && current.step.attrs.user !== undefined ? ` (as ${current.step.attrs.user})` : ''}`}
      code={current.step.kind === 'command' ? current.step.script.replace(/\n$/, '').split('\n') : []}
      onYes={() => void actions.confirm()}
      onNo={() => void actions.decline()}
      {...box}
    />
  );
}
