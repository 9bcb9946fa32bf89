/**
 * Durations in runbooks: `500ms`, `2s`, `3m`, `1h`, or a bare number of seconds.
 * Returns milliseconds, or undefined when the text is not a duration. There is no space
 * between the number and its unit: the unquoted fence attribute `timeout=30 s` cannot hold
 * one, so no place takes one, and a duration is spelt the same wherever it is written.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') {
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  }
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!match) return undefined;
  const amount = Number(match[1]);
  const unit = match[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : unit === 'm' ? 60_000 : 3_600_000;
  return Math.round(amount * factor);
}

/**
 * The shortest exact spelling of a duration, as a runbook writes it (`parseDuration`'s
 * inverse), for configured values: 2000 -> `2s`, 300000 -> `5m`, 250 -> `250ms`.
 */
export function durationLiteral(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/**
 * The one formatter of a measured time, for people: 850ms, 2.4s, 3m05s, 1h02m. To the whole
 * second (`precision: 's'`, a table column): 0s, 4s, 1m15s. `spaced` for prose (the Markdown
 * report): 850 ms, 2.4 s, 3 min 05 s, 1 h 02 min.
 */
export function formatDuration(ms: number, options: { precision?: 'ms' | 's'; spaced?: boolean } = {}): string {
  const whole = options.precision === 's';
  const [sp, min] = options.spaced === true ? [' ', ' min'] : ['', 'm'];
  const t = whole ? Math.round(Math.max(0, ms) / 1000) * 1000 : ms;
  if (!whole && t < 1000) return `${Math.max(0, Math.round(t))}${sp}ms`;
  if (t < 60_000) return `${whole ? t / 1000 : (t / 1000).toFixed(1)}${sp}s`;
  const s = Math.floor(t / 1000);
  if (s < 3600) return `${Math.floor(s / 60)}${min}${sp}${String(s % 60).padStart(2, '0')}${sp}s`;
  return `${Math.floor(s / 3600)}${sp}h${sp}${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}${min}`;
}
