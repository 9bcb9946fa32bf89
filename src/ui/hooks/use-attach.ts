/**
 * Attach: while active, every key goes to the running step's terminal as the bytes the
 * terminal sent (a sudo prompt, y/n, ctrl-c to the step), except ctrl-] which detaches.
 * Reads Ink's input stream rather than `useInput`, which would lose the raw sequences.
 */
import { useEffect } from 'react';
import { useStdin } from 'ink';
import { DETACH } from '../keymap.js';

export function useAttach(active: boolean, write: (data: string) => void, detach: () => void): void {
  const { internal_eventEmitter: events, setRawMode, isRawModeSupported } = useStdin();
  useEffect(() => {
    if (!active || !isRawModeSupported) return undefined;
    setRawMode(true);
    const onInput = (data: string): void => {
      const at = data.indexOf(DETACH);
      if (at === -1) {
        write(data);
        return;
      }
      if (at > 0) write(data.slice(0, at));
      detach();
    };
    events.on('input', onInput);
    return () => {
      events.off('input', onInput);
      setRawMode(false);
    };
  }, [active, isRawModeSupported, events, setRawMode, write, detach]);
}
