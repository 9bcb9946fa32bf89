/**
 * The session's elapsed time for the header, redrawn only when its text changes: to the second
 * while a step or check runs, to the minute while the session waits for the operator. An idle
 * TUI that redrew every second cost about 1.4% of a core on a host it is there to repair.
 */
import { useEffect, useState } from 'react';
import { useServices } from '../context.js';
import { formatElapsed, formatElapsedMinutes } from '../marks.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;

export function useElapsed(startedAt: number | undefined, endedAt: number | undefined, running: boolean): string {
  const { now } = useServices();
  // Bumped by the timer: a render at the moment the text changes.
  const [tick, setTick] = useState(0);
  const live = startedAt !== undefined && endedAt === undefined;
  useEffect(() => {
    if (!live) return undefined;
    const unit = running ? SECOND : MINUTE;
    const timer = setTimeout(() => setTick((n) => n + 1), unit - ((now() - startedAt) % unit));
    return () => clearTimeout(timer);
  }, [now, live, startedAt, running, tick]);
  if (startedAt === undefined) return '--:--';
  if (endedAt !== undefined) return formatElapsed(endedAt - startedAt);
  return running ? formatElapsed(now() - startedAt) : formatElapsedMinutes(now() - startedAt);
}
