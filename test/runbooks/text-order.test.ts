/** Names in the order an operator looks for them, whatever the host's locale, without ICU. */
import { describe, expect, it } from 'vitest';
import { compareText } from '../../src/runbooks/text-order.js';

describe('compareText', () => {
  it('folds case first, then orders by code point; equal names are equal', () => {
    expect(['recovery.md', 'README.md', 'deploy.md', 'Deploy.md', 'checklists.md', 'ssm.md'].sort(compareText)).toEqual([
      'checklists.md',
      'Deploy.md',
      'deploy.md',
      'README.md',
      'recovery.md',
      'ssm.md',
    ]);
    expect(['i-0b', 'i-0a', 'i-10', 'i-09'].sort(compareText)).toEqual(['i-09', 'i-0a', 'i-0b', 'i-10']);
    expect(compareText('a.md', 'a.md')).toBe(0);
    expect(compareText('/rb/a.md', '/rb/b.md')).toBeLessThan(0);
  });
});
