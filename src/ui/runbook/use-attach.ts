/**
 * Attach: while `attached()` holds, every key goes to the running step's terminal as the bytes
 * the terminal sent (a sudo prompt, y/n, ctrl-c to the step), except ctrl-] which detaches.
 * Reads Ink's input stream rather than `useInput`, which would lose the raw sequences. The
 * listener stays subscribed and asks `attached()` per key, so no key falls between attaching
 * and a new subscription.
 */
import { useEffect, useRef } from 'react';
import { useStdin } from 'ink';
import { DETACH } from '../keymap.js';

export function useAttach(attached: () => boolean, write: (data: string) => void, detach: () => void): void {
  const { internal_eventEmitter: events, isRawModeSupported } = useStdin();
  const latest = useRef({ attached, write, detach });
  latest.current = { attached, write, detach };
  useEffect(() => {
    if (!isRawModeSupported) return undefined;
    const onInput = (data: string): void => {
      const { attached: on, write: send, detach: off } = latest.current;
      if (!on()) return;
      const at = data.indexOf(DETACH);
      if (at === -1) {
        send(data);
        return;
      }
      if (at > 0) send(data.slice(0, at));
      off();
    };
    events.on('input', onInput);
    return () => {
      events.off('input', onInput);
    };
  }, [events, isRawModeSupported]);
}
