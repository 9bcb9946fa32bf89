/** The services clock, re-read every `intervalMs` while `active` (elapsed time, countdowns). */
import { useEffect, useState } from 'react';
import { useServices } from '../context.js';

export function useNow(intervalMs: number, active = true): number {
  const { now } = useServices();
  const [time, setTime] = useState(() => now());
  useEffect(() => {
    setTime(now());
    if (!active) return undefined;
    const timer = setInterval(() => setTime(now()), intervalMs);
    return () => clearInterval(timer);
  }, [now, intervalMs, active]);
  return time;
}
