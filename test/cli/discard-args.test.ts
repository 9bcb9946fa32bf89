import { describe, expect, it } from 'vitest';
import { reasonAsWords } from '../../src/commands/discard.js';
import { parseCommand } from '../../src/commands/parse-command.js';
import { DISCARD } from '../../src/commands/specs.js';

const read = (argv: string[]): { id?: string; reason: string } | number => {
  const parsed = parseCommand(DISCARD, reasonAsWords(argv));
  if (typeof parsed === 'number') return parsed;
  const [id, ...words] = parsed.positionals;
  return { ...(id !== undefined ? { id } : {}), reason: (parsed.values.reason ?? words.join(' ')).trim() };
};

describe('stepgate discard ID REASON...', () => {
  it('reads the words after the id as the reason, also those that look like options', () => {
    expect(read(['20261207-1', 'trial', 'of', '--as', 'on', 'demo'])).toEqual({ id: '20261207-1', reason: 'trial of --as on demo' });
    expect(read(['20261207-1', '-x', 'marks', 'it'])).toEqual({ id: '20261207-1', reason: '-x marks it' });
  });
  it('still takes --reason before or right after the id', () => {
    expect(read(['--reason', 'superseded', '20261207-1'])).toEqual({ id: '20261207-1', reason: 'superseded' });
    expect(read(['20261207-1', '--reason', 'superseded'])).toEqual({ id: '20261207-1', reason: 'superseded' });
    expect(read(['20261207-1', '--reason=superseded'])).toEqual({ id: '20261207-1', reason: 'superseded' });
  });
  it('refuses an unknown option before the id, as before', () => {
    expect(read(['--as', 'x', '20261207-1', 'why'])).toBe(2);
  });
});
