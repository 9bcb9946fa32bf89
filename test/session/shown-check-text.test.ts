/** What the check pane shows of a target: expanded as probed, secrets and URL passwords not. */
import { describe, expect, it } from 'vitest';
import { shownCheckText } from '../../src/session/checks.js';

const values: Record<string, string> = { PORT: '8081', DATABASE_URL: 'postgres://app:pw-in-url@db:5432/app', API_TOKEN: 'tok-123' };
const lookup = (name: string): string | undefined => values[name];
const secret = (name: string): boolean => name.endsWith('_TOKEN');
const redact = (text: string): string => text.replaceAll('tok-123', '***');

describe('shownCheckText', () => {
  it('expands what the probe gets, keeps secret names as written, and masks a URL password from a harmless name', () => {
    expect(shownCheckText('http://localhost:${PORT}/healthz', lookup, secret, redact)).toBe('http://localhost:8081/healthz');
    expect(shownCheckText('http://localhost:${PORT}/?t=${API_TOKEN}', lookup, secret, redact)).toBe('http://localhost:8081/?t=${API_TOKEN}');
    expect(shownCheckText('${DATABASE_URL}', lookup, secret, redact)).toBe('postgres://app:***@db:5432/app');
    expect(shownCheckText('http://user@host:${PORT}/', lookup, secret, redact)).toBe('http://user@host:8081/');
  });
});
