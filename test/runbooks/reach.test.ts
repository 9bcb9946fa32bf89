/**
 * What a session may run: the plan, then every recovery path a step that can block offers. A
 * manual item is confirmed or waits and never blocks, so a recovery-looking link beside one is
 * prose, not a path (a trial: ssm.md's closing "recovery.md holds the procedures", beside its
 * last item, made preflight check recovery.md and refuse to start on a bare host).
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { reachableSteps } from '../../src/runbooks/reach.js';
import type { Runbook } from '../../src/runbooks/model.js';

const RECOVERY = '# Recovery\n\n## Roll back\n\n```bash {name=undo}\necho undo\n```\n';

function reached(main: string): string[] {
  const books = new Map<string, Runbook>([['/rb/recovery.md', parseRunbook(RECOVERY, '/rb/recovery.md')]]);
  return reachableSteps(parseRunbook(main, '/rb/main.md'), (file) => books.get(file)).map((r) => `${r.role} ${r.step.id}`);
}

describe('reachable steps', () => {
  it('follow a recovery-looking link beside a step that can block', () => {
    expect(reached('# Main\n\n## Deploy\n\nIf it fails, see [recovery](recovery.md).\n\n```bash {name=deploy}\ntrue\n```\n')).toEqual(['main deploy', 'recovery undo']);
  });

  it('do not follow one beside manual items only', () => {
    expect(reached('# Main\n\n## Deploy\n\n```bash {name=deploy}\ntrue\n```\n\n## Afterwards\n\n[recovery.md](recovery.md) holds the procedures.\n\n- [ ] Tell the channel\n')).toEqual([
      'main deploy',
      'main afterwards-1',
    ]);
  });
});
