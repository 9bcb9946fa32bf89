/**
 * A step's transcript the disk cut short (or never took): `t` says so, as log and report do,
 * so the viewer's text is not read as the step's whole output.
 */
import { cleanup } from 'ink-testing-library';
import { afterEach, describe, expect, it } from 'vitest';
import { enter, renderSession } from './helpers.js';

afterEach(() => cleanup());

const FILE = '/rb/two.md';
const RUNBOOK = '# Two\n\n## Work\n\nPrints.\n\n```bash {name=prints}\necho hello\n```\n\nPrints too.\n\n```bash {name=more}\necho more\n```\n';

describe('t on a step whose transcript was lost', () => {
  it('says it was cut short, or not written', async () => {
    let opened = 0;
    const r = await renderSession({ [FILE]: RUNBOOK }, FILE, {
      before: (t) => {
        const original = t.journal.openTranscript.bind(t.journal);
        t.journal.openTranscript = async (name) => {
          opened += 1;
          if (opened === 2) throw new Error('EMFILE: too many open files');
          const sink = await original(name);
          return { ...sink, write: () => { throw new Error('ENOSPC: no space left on device'); }, close: sink.close };
        };
        t.shell.reply({ output: 'hello\n' }, { output: 'more\n' });
      },
    });
    await r.waitForFrame('enter run');
    r.press(enter);
    await r.waitForFrame(/ok \d+ms/);
    r.press(enter);
    await r.waitForFrame('session completed');
    r.press('k');
    r.press('t');
    await r.waitForFrame("more's transcript was not written: EMFILE: too many open files");
    r.press('k');
    r.press('t');
    // The fake journal's transcripts live in memory: no path to open, the notice alone.
    await r.waitForFrame("prints's transcript was cut short: ENOSPC: no space left on device");
  });

  it('the run log keeps why each step\'s latest transcript was lost, and forgets it when a later run keeps its transcript', async () => {
    const { foldRunLog, EMPTY_RUN_LOG } = await import('../../src/session/run-log.js');
    const finished = (transcriptLost?: string) => ({ type: 'step-finished' as const, at: 1, depth: 0, index: 0, key: '/rb/x.md#a', ok: true, exitCode: 0, durationMs: 1, timedOut: false, interrupted: false, transcript: '/t/a.log', ...(transcriptLost !== undefined ? { transcriptLost } : {}) });
    const cut = foldRunLog(EMPTY_RUN_LOG, finished('cut short: EFBIG'));
    expect(cut.lost?.get('/rb/x.md#a')).toBe('cut short: EFBIG');
    expect(foldRunLog(cut, finished()).lost?.has('/rb/x.md#a')).toBe(false);
  });
});
