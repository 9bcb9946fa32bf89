/** A one-line text field's state: the value and a cursor, changed by named actions. */
import { useCallback, useRef, useState } from 'react';

export interface TextInputState {
  value: string;
  cursor: number;
}

export type TextInputAction =
  | { type: 'insert'; text: string }
  | { type: 'backspace' }
  | { type: 'left' }
  | { type: 'right' }
  | { type: 'clear' };

/** Longest answer accepted (a reason, a variable). */
export const MAX_INPUT = 500;

export function textInputReducer(state: TextInputState, action: TextInputAction): TextInputState {
  switch (action.type) {
    case 'insert': {
      // Pasted text arrives in one piece; line breaks would end a one-line answer early. Keys
      // typed fast arrive in one piece too (an SSM session sends them in batches): a backspace
      // or ctrl-u among them edits as it would alone, other control characters are dropped.
      let next = state;
      let run = '';
      const flush = (): void => {
        if (run === '') return;
        const value = (next.value.slice(0, next.cursor) + run + next.value.slice(next.cursor)).slice(0, MAX_INPUT);
        next = { value, cursor: Math.min(value.length, next.cursor + run.length) };
        run = '';
      };
      for (const char of action.text.replace(/[\r\n]+/g, ' ')) {
        if (char === '\u007F' || char === '\b' || char === '\u0015') {
          flush();
          next = textInputReducer(next, { type: char === '\u0015' ? 'clear' : 'backspace' });
        } else if (!/[\u0000-\u001F]/.test(char)) run += char;
      }
      flush();
      return next;
    }
    case 'backspace':
      if (state.cursor === 0) return state;
      return { value: state.value.slice(0, state.cursor - 1) + state.value.slice(state.cursor), cursor: state.cursor - 1 };
    case 'left':
      return { ...state, cursor: Math.max(0, state.cursor - 1) };
    case 'right':
      return { ...state, cursor: Math.min(state.value.length, state.cursor + 1) };
    case 'clear':
      return { value: '', cursor: 0 };
  }
}

/**
 * The state, a dispatch, and a getter for the latest state: keys typed faster than React
 * re-renders (a paste, a test) must see each other's edits, so enter submits all of them.
 */
export function useTextInputState(initial = ''): [TextInputState, (action: TextInputAction) => void, () => TextInputState] {
  const [state, setState] = useState<TextInputState>({ value: initial, cursor: initial.length });
  const latest = useRef(state);
  const dispatch = useCallback((action: TextInputAction) => {
    latest.current = textInputReducer(latest.current, action);
    setState(latest.current);
  }, []);
  const get = useCallback(() => latest.current, []);
  return [state, dispatch, get];
}
