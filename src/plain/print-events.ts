/**
 * Plain mode's printing: the events of a session as lines (step headers, the step's own
 * output, one line per check attempt, the decisions taken), the summary table at the end,
 * and what blocks a session.
 */
import { relative } from 'node:path';
import { EscapeFilter } from '../session/escape-filter.js';
import { WriteBatch } from '../session/write-batch.js';
import { displayText, printable } from '../session/printable.js';
import { whyLead } from '../session/check-why.js';
import { TerminalFilter } from '../session/terminal-filter.js';
import { currentItem, gateChoices } from '../session/reducer.js';
import type { SessionStore } from '../session/store.js';
import type { FlowItem, RecoveryPath, SessionEvent, SessionState, StepState } from '../session/types.js';
import { recoveryShapeText, type RecoveryShape } from '../session/recovery-shape.js';
import { clip, wordWrap } from '../session/word-wrap.js';
import { formatDuration } from '../runbooks/duration.js';
import { isNamed, leadSentence } from '../runbooks/step-title.js';
import { stepName } from '../session/step-name.js';

/** Plain mode wraps what it says about checks and gates to this width (SSM's terminal). */
export const PLAIN_WIDTH = 80;

/** The summary table's step column is cut to this: the table stays readable at 80 columns. */
const TABLE_STEP = 36;

function stepKind(item: FlowItem): string {
  return item.step.kind === 'command' ? item.step.lang : item.step.kind;
}

/** The description's first sentence on one line, cut at a word to `max` characters (it follows a 3-space indent). */
export function firstSentence(text: string, max = PLAIN_WIDTH - 3): string {
  return clip(leadSentence(text), max);
}

export function displayPath(file: string, cwd: string): string {
  const rel = relative(cwd, file);
  return rel.startsWith('..') || rel === '' ? file : rel;
}

/** Prints the events of a session as they happen. Returns the unsubscribe. */
export function printEvents(store: SessionStore, out: NodeJS.WritableStream, cwd: string): () => void {
  const actions = store.getState().actions;
  let atLineStart = true;
  // A step's output to a file or pipe is written a loop turn at a time (a flood is thousands
  // of reads); stepgate's own lines flush it first, so the order stays. A terminal gets each
  // read as it comes: the operator may be answering the step.
  const batch = (out as { isTTY?: boolean }).isTTY === true ? undefined : new WriteBatch((text) => out.write(text));
  const write = (text: string): void => {
    if (text === '') return;
    batch?.flush();
    out.write(text);
    atLineStart = text.endsWith('\n');
  };
  const writeOutput = (text: string): void => {
    if (text === '') return;
    if (batch) batch.write(text);
    else out.write(text);
    atLineStart = text.endsWith('\n');
  };
  // stepgate's own lines quote the runbook (titles, headings, prose, check names) and servers
  // (error bodies): printable only, on a terminal too.
  const line = (text: string): void => {
    if (!atLineStart) write('\n');
    write(`${displayText(text)}\n`);
  };
  // A file or a pipe gets text: no colours or control sequences. A terminal gets the step's
  // output as a terminal shows it, without what would act beyond the screen (title, clipboard, reset).
  const filter = (out as { isTTY?: boolean }).isTTY === true ? new TerminalFilter() : new EscapeFilter();
  const tty = filter instanceof TerminalFilter;
  const offOutput = actions.onOutput((text) => writeOutput(tty ? filter.feed(text).replace(/\r\n/g, '\n') : filter.feed(text)));
  const offEvent = actions.onEvent((event: SessionEvent, state: SessionState) => {
    const frame = state.frames[Math.min('depth' in event ? event.depth : 0, state.frames.length - 1)];
    const item = 'index' in event ? frame?.init.items[event.index] : undefined;
    switch (event.type) {
      case 'session-started':
        // --as: whom the steps run as, said once at the top (a trial looked for it in vain).
        line(wordWrap(`== ${event.frame.title} (${displayPath(event.frame.source.file, cwd)})${event.options.as !== undefined ? ` · steps as ${event.options.as}` : ''} · session ${event.id} ==`, PLAIN_WIDTH, 3).join('\n'));
        break;
      case 'step-started': {
        if (!item || !frame) break;
        const where = state.frames.length > 1 ? `recovery ${frame.init.title} · ` : `${item.phase} · `;
        const retry = event.attempt > 1 ? ` (attempt ${event.attempt})` : '';
        const head = `-- [${event.index + 1}/${frame.init.items.length}] ${where}`;
        const tail = ` (${stepKind(item)})${retry} --`;
        // An unnamed step's title is its prose's first sentence: the line below would repeat it.
        const named = isNamed(item.step);
        line(`${head}${stepName(item, Math.max(20, PLAIN_WIDTH - head.length - tail.length), false)}${tail}`);
        if (named && item.step.description.trim() !== '' && item.step.kind !== 'manual') line(`   ${firstSentence(item.step.description)}`);
        break;
      }
      case 'check-attempt': {
        // What explains a failure leads (the body's reason, or its first line); the rest wraps
        // at word boundaries within 80 columns, as an SSM terminal shows it.
        const why = whyLead(event.why, event.error, event.output);
        const result = event.ok
          ? `ok${event.status !== undefined ? ` (${event.status})` : ''} in ${formatDuration(event.latencyMs)}`
          : `failed: ${why}${event.error ?? 'no detail'}${event.output !== undefined ? `: ${event.output}` : ''}${event.nextDelayMs !== undefined ? `; next attempt in ${formatDuration(event.nextDelayMs)}` : ''}`;
        line(wordWrap(printable(`   check ${event.name ?? event.target} attempt ${event.attempt}/${event.of}: ${result}`), PLAIN_WIDTH, 6).join('\n'));
        break;
      }
      case 'step-finished': {
        const how = event.ok
          ? 'passed'
          : event.interrupted
            ? 'interrupted'
            : event.timedOut
              ? 'timed out'
              : `failed${event.exitCode !== null ? ` (exit ${event.exitCode})` : ''}`;
        line(wordWrap(printable(`   => ${how} in ${formatDuration(event.durationMs)}${!event.ok && event.reason ? `: ${event.reason}` : ''}`), PLAIN_WIDTH, 6).join('\n'));
        break;
      }
      case 'decision': {
        const d = event.decision;
        const label = item ? stepName(item) : event.key;
        switch (d.kind) {
          case 'confirm':
            {
              const by = d.auto ? `--yes, run by ${event.who.user}` : event.who.user;
              line(item?.step.kind === 'manual' ? wordWrap(`-- [x] ${item.step.text.replace(/\s+/g, ' ')} (confirmed by ${by})`, PLAIN_WIDTH, 7).join('\n') : `   confirmed by ${by}`);
            }
            break;
          case 'recover':
            line(`== recovery for ${label}: ${displayPath(d.path.file, cwd)}${d.path.anchor ? `#${d.path.anchor}` : ''} (${d.frame.items.length} ${d.frame.items.length === 1 ? 'step' : 'steps'}) ==`);
            break;
          case 'skip':
            line(`-- ${label} skipped by ${event.who.user}: ${d.reason || 'optional step'}`);
            break;
          case 'override':
            line(`-- ${label} overridden by ${event.who.user}: ${d.reason}`);
            break;
          case 'retry':
            line(`-- retrying ${label}`);
            break;
          case 'abort':
            line(`-- aborted by ${event.who.user}${d.reason ? `: ${d.reason}` : ''}`);
            break;
          case 'decline':
            line(`-- ${label} declined`);
            break;
          case 'jump':
            line(`-- step ${d.index + 1} run out of order by ${event.who.user}: ${d.reason}`);
            break;
        }
        break;
      }
      case 'var-captured':
        line(`   captured ${event.name} = ${event.value.includes('\n') ? JSON.stringify(event.value) : event.value}`);
        break;
      case 'session-resumed':
        line(`== resumed by ${event.who.user} (pid ${event.pid}) ==`);
        break;
      case 'var-answered':
        // A default is said: taken without asking (no terminal, --yes) nobody typed it.
        if (event.source === 'default') line(`-- ${event.name} = ${event.secret ? '(secret)' : JSON.stringify(event.value ?? '')} (its default)`);
        break;
      case 'confirm-requested':
      // Written by `stepgate discard` in another process, never in a live walk.
      case 'session-discarded':
      case 'plan-replaced':
      // Said as it happens: by the shell's own line mid-session, by resume's notice on resume.
      case 'shell-reset':
      // Said by the command before the walk (preflight's findings, a lock taken over) or by
      // the TUI's terminal (attach, detach, close): nothing of a plain walk's own.
      case 'preflight':
      case 'lock-taken-over':
      case 'terminal-attached':
      case 'terminal-detached':
      case 'terminal-closed':
        break;
    }
  });
  // A step that went quiet on a question (a password prompt, a `[y/N]`): said once per prompt,
  // then the prompt again, where the answer is typed.
  const offWaiting = store.subscribe((now, before) => {
    const prompt = now.waitingForInput;
    if (prompt === undefined || prompt === before.waitingForInput) return;
    line(`[stepgate] the step may be waiting for input: it printed "${prompt}" and nothing since; keys typed on stepgate's terminal go to it, ctrl-c interrupts it`);
    write(`${displayText(prompt)} `);
  });
  return () => {
    offOutput();
    offEvent();
    offWaiting();
    writeOutput(filter.flush());
    batch?.flush();
  };
}

function statusCell(step: StepState): string {
  if (step.interrupted && step.status === 'failed') return 'interrupted';
  return step.status;
}

/** A note wrapped on a terminal takes at most this many rows. */
const NOTE_ROWS = 3;

/**
 * The final table: every step of the main flow (and any recovery frame still open). With
 * `width` (stdout is a terminal), a long note is wrapped at word boundaries under the note
 * column, so that no row is wider than `width`; without, each note is whole on its row.
 */
export function summaryTable(state: SessionState, width?: number): string {
  const rows: string[][] = [['#', 'step', 'phase', 'status', 'runs', 'time', 'note']];
  state.frames.forEach((frame, depth) => {
    frame.init.items.forEach((item, i) => {
      const s = frame.steps[i];
      if (!s) return;
      // A file or a pipe gets the note whole (cut at 60 characters it ended mid-word: "database unr").
      const note = (s.reason ?? '').split('\n')[0] ?? '';
      rows.push([
        depth === 0 ? String(i + 1) : `r${depth}.${i + 1}`,
        stepName(item, TABLE_STEP, false),
        depth === 0 ? item.phase : 'recovery',
        statusCell(s),
        String(s.attempts),
        s.durationMs === undefined ? '' : formatDuration(s.durationMs),
        width === undefined ? note : displayText(note),
      ]);
    });
  });
  if (width === undefined) {
    const widths = rows[0]?.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length))) ?? [];
    return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ').trimEnd()).join('\n');
  }
  const cells = rows.map((r) => r.map((cell) => displayText(cell)));
  const widths = cells[0]?.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length))) ?? [];
  const noteAt = widths.slice(0, 6).reduce((sum, w) => sum + w + 2, 0);
  // Too little room beside the other columns: the note goes under its row, indented.
  const beside = width - noteAt >= 24;
  const indent = beside ? noteAt : 4;
  const pad = ' '.repeat(indent);
  return cells
    .flatMap((r, i) => {
      const head = r.slice(0, 6).map((cell, c) => cell.padEnd(widths[c] ?? 0)).join('  ');
      const note = r[6] ?? '';
      if (i === 0 || note === '') return [`${head}  ${note}`.trimEnd()];
      const room = width - indent;
      let parts = wordWrap(note, room, 0);
      if (parts.length > NOTE_ROWS) {
        const last = parts[NOTE_ROWS - 1] ?? '';
        parts = [...parts.slice(0, NOTE_ROWS - 1), last.length < room ? `${last}…` : `${last.slice(0, room - 1)}…`];
      }
      const [first = '', ...rest] = parts;
      return [...(beside ? [`${head}  ${first}`] : [head.trimEnd(), `${pad}${first}`]), ...rest.map((part) => `${pad}${part}`)];
    })
    .join('\n');
}

/** What blocks the session, and the ways out, for the operator or the CI log. */
export function describeBlock(state: SessionState, cwd: string, shapeOf: (path: RecoveryPath) => RecoveryShape | undefined = () => undefined): string {
  const cur = currentItem(state);
  if (!cur) return 'blocked';
  const lines = wordWrap(`BLOCKED at step ${stepName(cur.item)} (${displayPath(cur.item.file, cwd)}:${cur.item.step.position.line})${cur.step.reason ? `: ${cur.step.reason}` : ''}`, PLAIN_WIDTH, 2);
  // A block of several checks: each one's last state, so the operator sees which ones failed.
  if (cur.item.step.kind === 'check' && cur.step.checks !== undefined && cur.step.checks.length > 1) {
    for (const c of cur.step.checks) {
      if (!c) continue;
      const state = c.ok ? 'ok' : `${whyLead(c.why, c.error)}${c.error ?? 'failed'}`;
      lines.push(...wordWrap(printable(`  [${c.ok ? 'x' : '!'}] ${c.name ?? c.target} ${c.attempt}/${c.of}: ${state}`), PLAIN_WIDTH, 8));
    }
  }
  const recoveries = gateChoices(state).filter((c) => c.kind === 'recover');
  if (recoveries.length === 0) lines.push('no recovery path is declared for this step');
  else {
    lines.push('recovery paths:');
    for (const c of recoveries) {
      if (c.kind !== 'recover') continue;
      lines.push(`  ${c.index + 1}. ${displayPath(c.path.file, cwd)}${c.path.anchor ? `#${c.path.anchor}` : ''} (${c.path.origin})${recoveryShapeText(c.path, shapeOf(c.path))}${c.disabled ? ` - ${c.disabled}` : ''}`);
    }
  }
  return lines.join('\n');
}
