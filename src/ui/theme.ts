/**
 * Colour is a hint, never the only signal: marks and words carry the meaning. Colour is off
 * with NO_COLOR (https://no-color.org, any non-empty value) or TERM=dumb.
 */
export function colorEnabled(env: Record<string, string | undefined> = process.env): boolean {
  if (env['NO_COLOR'] !== undefined && env['NO_COLOR'] !== '') return false;
  if (env['TERM'] === 'dumb') return false;
  return true;
}
