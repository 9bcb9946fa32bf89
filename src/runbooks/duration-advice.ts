/**
 * What lint says about a duration written as people say one (`30 s`, `3 seconds`), or with a
 * unit easy to mistake: a bare number counts seconds, and `timeout: 3000` (meant as
 * milliseconds) waits 50 minutes per attempt before a dead service is reported.
 */

const UNITS: Readonly<Record<string, string>> = {
  ms: 'ms', msec: 'ms', msecs: 'ms', millisecond: 'ms', milliseconds: 'ms',
  s: 's', sec: 's', secs: 's', second: 's', seconds: 's',
  m: 'm', min: 'm', mins: 'm', minute: 'm', minutes: 'm',
  h: 'h', hr: 'h', hrs: 'h', hour: 'h', hours: 'h',
};

/**
 * For a number and a unit written otherwise than stepgate reads them (`30 s`, `3 seconds`,
 * `2mins`): the spelling it reads, and why the text is not one.
 */
export function misspeltDuration(text: string): { literal: string; why: string } | undefined {
  const m = /^(\d+(?:\.\d+)?)(\s*)([a-z]+)$/i.exec(text.trim());
  const unit = m ? UNITS[(m[3] ?? '').toLowerCase()] : undefined;
  // `30s` is read as it is.
  if (!m || unit === undefined || (m[2] === '' && unit === m[3])) return undefined;
  const spaceOnly = m[2] !== '' && unit === m[3];
  return { literal: `${m[1]}${unit}`, why: spaceOnly ? 'a duration has no space' : 'a duration is a number then ms, s, m or h, with no space' };
}

/**
 * From this many seconds up (16 minutes), a bare number is more likely milliseconds meant than
 * seconds; below it, `timeout=600` is a ten-minute step as often as not (a review: 300 warned
 * about ordinary timeouts).
 */
export const LONG_BARE_SECONDS = 1000;

/**
 * For a bare number of seconds (`3000`, a number or its text) of LONG_BARE_SECONDS or more:
 * how long that is in words, and the spellings for each reading.
 */
export function longBareSeconds(value: unknown): { words: string; seconds: string; otherwise: string[] } | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value.trim() : '';
  if (!/^\d+(?:\.\d+)?$/.test(text) || Number(text) < LONG_BARE_SECONDS) return undefined;
  const n = Number(text);
  const otherwise = Number.isInteger(n / 1000) ? [`${n / 1000}s`, `${text}ms`] : [`${text}ms`];
  return { words: secondsInWords(n), seconds: `${text}s`, otherwise };
}

/** 3000 -> `50 minutes`, 3725 -> `1 hour 2 minutes 5 seconds`. */
function secondsInWords(total: number): string {
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = Math.round((total % 60) * 10) / 10;
  const part = (n: number, unit: string): string => (n === 0 ? '' : `${n} ${unit}${n === 1 ? '' : 's'}`);
  return [part(hours, 'hour'), part(minutes, 'minute'), part(seconds, 'second')].filter((p) => p !== '').join(' ');
}
