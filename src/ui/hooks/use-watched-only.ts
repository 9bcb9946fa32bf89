/**
 * Whether only watchers are at a terminal now (see `UiServices.watchedOnly`), following each
 * attach and detach: a boolean, so the view re-renders only when it flips.
 */
import { useSyncExternalStore } from 'react';
import { useServices } from '../context.js';

const never = (): (() => void) => () => undefined;

export function useWatchedOnly(): boolean {
  const { watchedOnly, onAttachChange } = useServices();
  return useSyncExternalStore(onAttachChange ?? never, () => watchedOnly?.() ?? false);
}
