/**
 * A `--skip` id that names no step: the warning gives the id meant (a typo away) or every id,
 * each beside the step's own words, since an unnamed step's id is made up and shown nowhere
 * in the TUI. Within 80 columns.
 */
import { describe, expect, it } from 'vitest';
import { unknownSkipLines, type SkippableStep } from '../../src/commands/unknown-skip.js';

const STEPS: SkippableStep[] = [
  { id: 'work-1', title: 'Tell the team.' },
  { id: 'work-2', title: 'Restart the service so the new config is read.' },
  { id: 'work-3', title: 'echo hi' },
  { id: 'healthz', title: 'The new release must answer on /healthz, with the release it was given, within five attempts.' },
];

const fits = (lines: string[]): void => {
  for (const line of lines) expect(line.length, line).toBeLessThanOrEqual(80);
};

describe('an unknown --skip id', () => {
  it('gives the nearest ids with their titles when it is a typo away', () => {
    const lines = unknownSkipLines('helthz', STEPS);
    expect(lines).toEqual([
      'stepgate: --skip helthz names no step of this runbook or its recovery paths, so',
      '  nothing was run. Did you mean:',
      '    healthz  The new release must answer on /healthz, with the release it was…',
    ]);
    fits(lines);
    // A made-up id a digit off: every id at that distance, not the first one found.
    expect(unknownSkipLines('work-4', STEPS).slice(2)).toEqual(['    work-1  Tell the team.', '    work-2  Restart the service so the new config is read.', '    work-3  echo hi']);
    expect(unknownSkipLines('work-33', STEPS).slice(2)).toEqual(['    work-3  echo hi']);
  });

  it('lists every id with its title when none is near, and says where the rest are past thirty', () => {
    const lines = unknownSkipLines('restart', STEPS);
    expect(lines.slice(1)).toEqual([
      '  nothing was run. Its steps:',
      '    work-1   Tell the team.',
      '    work-2   Restart the service so the new config is read.',
      '    work-3   echo hi',
      '    healthz  The new release must answer on /healthz, with the release it was…',
    ]);
    fits(lines);
    const many = Array.from({ length: 40 }, (_, i): SkippableStep => ({ id: `step-${i + 1}`, title: `Step ${i + 1}.` }));
    const listed = unknownSkipLines('zzz', many);
    expect(listed.filter((l) => l.startsWith('    step-'))).toHaveLength(30);
    expect(listed.at(-1)).toBe('    and 10 more: stepgate plan FILE lists every step with its id');
    fits(listed);
  });
});
