/**
 * What `stepgate sessions` (and the picker) say about a session whose last resume stopped
 * before anything ran: secret vars are asked again on every resume, and until they are, the
 * session is still where it stopped (blocked, interrupted), not "in progress".
 */
import { describe, expect, it } from 'vitest';
import { parseRunbook } from '../../src/runbooks/parse.js';
import { describeState } from '../../src/session/history.js';
import { planMain } from '../../src/session/plan.js';
import { currentItem, replay } from '../../src/session/reducer.js';
import type { SessionEvent, SessionState } from '../../src/session/types.js';

const book = parseRunbook(
  '---\nvars:\n  DEPLOY_TOKEN: { prompt: Token, secret: true }\n---\n# Deploy\n\nPull.\n\n```bash {name=pull}\ngit pull\n```\n\nMigrate.\n\n```bash {name=migrate}\n./migrate\n```\n',
  '/rb/deploy.md',
);
const main = planMain(book, new Map([[book.file, book]]));
const who = { user: 'ssm-user' };
let clock = 1000;
const at = (): number => (clock += 10);

function where(s: SessionState): { depth: number; index: number; key: string } {
  const cur = currentItem(s);
  if (!cur) throw new Error('no cursor');
  return { depth: cur.depth, index: cur.index, key: cur.item.key };
}

/** The events of a session that ran pull, then migrate, which `end` finishes (or not). */
function session(end: 'failed' | 'running'): SessionEvent[] {
  const events: SessionEvent[] = [
    { type: 'session-started', at: at(), v: 1, id: 's1', version: 't', who, host: 'h', pid: 1, cwd: '/rb', runbooks: [{ path: book.file, sha256: 'x' }], frame: main, vars: book.frontMatter.vars, options: {} },
    { type: 'var-answered', at: at(), name: 'DEPLOY_TOKEN', secret: true, source: 'prompt' },
  ];
  const step = (ok: boolean | undefined): void => {
    const c = where(replay(events, 's1'));
    events.push({ type: 'step-started', at: at(), ...c, attempt: 1 });
    if (ok !== undefined) events.push({ type: 'step-finished', at: at(), ...c, ok, exitCode: ok ? 0 : 1, durationMs: 5, timedOut: false, interrupted: false });
  };
  step(true);
  step(end === 'failed' ? false : undefined);
  return events;
}

const resumed: SessionEvent = { type: 'session-resumed', at: 0, who, pid: 2, host: 'h' };

describe('describeState after a resume that is still asking for a secret var', () => {
  it('a blocked session stays blocked at its step', () => {
    const events = session('failed');
    expect(describeState(replay(events, 's1'))).toEqual({ state: 'blocked', at: 'migrate', finished: false });
    const again = replay([...events, { ...resumed, at: at() }], 's1');
    expect(again.status.kind).toBe('vars');
    expect(describeState(again)).toEqual({ state: 'blocked', at: 'migrate', finished: false });
  });
  it('an interrupted step stays interrupted', () => {
    const again = replay([...session('running'), { ...resumed, at: at() }], 's1');
    expect(again.status.kind).toBe('vars');
    expect(describeState(again)).toEqual({ state: 'interrupted', at: 'migrate', finished: false });
  });
});
