/** Key bindings of a text field: typing edits, enter submits, esc (or ctrl-c) cancels. */
import { useInput } from 'ink';
import type { TextInputAction, TextInputState } from './use-text-input-state.js';

export interface TextInputKeys {
  /** The latest state (not the rendered one: keys can arrive between renders). */
  get: () => TextInputState;
  dispatch: (action: TextInputAction) => void;
  onSubmit: (value: string) => void;
  onCancel: () => void;
  /** Default true. Off when raw mode is not supported. */
  isActive?: boolean;
  /** Empty the field once submitted: a refused answer is not kept for the next one to append to. */
  clearOnSubmit?: boolean;
}

export function useTextInput({ get, dispatch, onSubmit, onCancel, isActive = true, clearOnSubmit = false }: TextInputKeys): void {
  const submit = (): void => {
    onSubmit(get().value);
    if (clearOnSubmit) dispatch({ type: 'clear' });
  };
  useInput(
    (input, key) => {
      if (key.return || input === '\n') submit();
      else if (input.length > 1 && /[\r\n]/.test(input)) {
        // Typed ahead or pasted with its enter in one chunk: take the text, then submit.
        dispatch({ type: 'insert', text: input.split(/[\r\n]/)[0] ?? '' });
        submit();
      } else if (key.escape || (key.ctrl && input === 'c')) onCancel();
      else if (key.backspace || key.delete) dispatch({ type: 'backspace' });
      else if (key.leftArrow) dispatch({ type: 'left' });
      else if (key.rightArrow) dispatch({ type: 'right' });
      else if (key.ctrl && input === 'u') dispatch({ type: 'clear' });
      else if (!key.ctrl && !key.meta && !key.upArrow && !key.downArrow && !key.tab && input !== '') dispatch({ type: 'insert', text: input });
    },
    { isActive },
  );
}
