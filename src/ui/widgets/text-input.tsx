/** A one-line text field: label, value (masked for secrets) and a block cursor. */
import { useEffect } from 'react';
import { Text } from 'ink';
import { fit } from '../layout.js';
import { useTextInput } from './use-text-input.js';
import { useTextInputState } from './use-text-input-state.js';

export interface TextInputProps {
  label: string;
  /** Show `*` for each character typed (secret vars). Default false. */
  mask?: boolean;
  width: number;
  onSubmit: (value: string) => void;
  onCancel: () => void;
  /** Called with the value as it is typed (the picker's live filter). */
  onChange?: (value: string) => void;
  /** Default true. */
  isActive?: boolean;
  /** Called once the field listens to keys (keys typed before that would be lost). */
  onReady?: () => void;
  /** Empty the field once submitted (a var's value: a refused one is said, not kept to be appended to). */
  clearOnSubmit?: boolean;
}

export function TextInput({ label, mask = false, width, onSubmit, onCancel, onChange, isActive = true, onReady, clearOnSubmit = false }: TextInputProps) {
  const [state, dispatch, get] = useTextInputState();
  useEffect(() => {
    onChange?.(state.value);
  }, [state.value, onChange]);
  useTextInput({ get, dispatch, onSubmit, onCancel, isActive, clearOnSubmit });
  useEffect(() => onReady?.(), [onReady]);
  const shown = mask ? '*'.repeat(state.value.length) : state.value;
  const room = Math.max(4, width - label.length - 2);
  // Keep the end of a long answer (where the cursor usually is) in view.
  const visible = shown.length >= room ? shown.slice(shown.length - room + 1) : shown;
  const cursorAt = Math.min(visible.length, Math.max(0, state.cursor - (shown.length - visible.length)));
  return (
    <Text wrap="truncate">
      {fit(label, Math.max(1, width - 6))} {visible.slice(0, cursorAt)}
      <Text inverse>{visible[cursorAt] ?? ' '}</Text>
      {visible.slice(cursorAt + 1)}
    </Text>
  );
}
