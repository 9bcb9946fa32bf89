/**
 * A session's state and the step it is at, as one phrase: "blocked at health", and with what
 * the state says in parentheses kept last, "interrupted at migrate (terminal closed, SIGHUP)":
 * an 80-column table cuts the end, and cut the step (a trial). Apart from history.ts so that the
 * picker can say it without loading the journal reader.
 */
/** What a state says in parentheses at its end: " (terminal closed, SIGHUP)". */
const ASIDE = / \(([^()]*)\)$/;

export function stateAt(state: string, at: string | undefined): string {
  if (at === undefined || at === '') return state;
  const aside = ASIDE.exec(state);
  return aside ? `${state.slice(0, aside.index)} at ${at}${aside[0]}` : `${state} at ${at}`;
}

/**
 * The state of a session whose TUI runs detached (its terminal went away, it did not stop):
 * its journal ends mid-step when a step runs, at a gate when it waits for a decision, or at a
 * step nobody has started. "running detached" for all three told a trial's operator a blocked
 * gate was a step in progress ("don't touch") when it waited for someone.
 */
export function detachedState(state: string, more?: string): string {
  const base = state.replace(ASIDE, '');
  const [words, why] = base === 'interrupted' ? ['running detached'] : base === 'blocked' ? ['detached, blocked', 'waits for a decision'] : ['detached, waiting', 'for a key to go on'];
  const aside = [why, more].filter((w) => w !== undefined);
  return aside.length > 0 ? `${words} (${aside.join('; ')})` : words;
}

/** `state` with `words` added to its aside: "interrupted (terminal closed, SIGHUP; words)". */
export function withAside(state: string, words: string): string {
  const aside = ASIDE.exec(state);
  return aside ? `${state.slice(0, aside.index)} (${aside[1]}; ${words})` : `${state} (${words})`;
}
