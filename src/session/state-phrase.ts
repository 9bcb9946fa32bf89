/**
 * A session's state and the step it is at, as one phrase: "blocked at health", and with what
 * the state says in parentheses kept last, "interrupted at migrate (terminal closed, SIGHUP)":
 * an 80-column table cuts the end, and cut the step (a trial). Apart from history.ts so that the
 * picker can say it without loading the journal reader.
 */
export function stateAt(state: string, at: string | undefined): string {
  if (at === undefined || at === '') return state;
  const aside = / \([^()]*\)$/.exec(state);
  return aside ? `${state.slice(0, aside.index)} at ${at}${aside[0]}` : `${state} at ${at}`;
}
