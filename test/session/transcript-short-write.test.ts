/**
 * A step's transcript whose write the disk refuses (a full disk, a file-size limit): the
 * write happens in a batch flushed on a later turn of the event loop, where its error ended
 * stepgate with an uncaught exception mid-step (a review: a 3 MB step under a 1 MB limit). The
 * error now comes out of the transcript's next write (and its close), where the step runner
 * warns once and runs on without it (test/helpers/file-size-limit.ts cuts the write for real).
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { underFileSizeLimit } from '../helpers/file-size-limit.js';
import { ROOT } from '../helpers/paths.js';

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-transcript-short-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('a transcript write the disk refuses', () => {
  it('is thrown by the next write and by the close, not as an uncaught exception', { timeout: 60_000 }, async () => {
    const journal = JSON.stringify(join(ROOT, 'src', 'session', 'journal.ts'));
    const ids = JSON.stringify(join(ROOT, 'src', 'session', 'session-paths.ts'));
    const result = await underFileSizeLimit(
      40,
      `const { FileJournal } = await import(${journal});
       const { newSessionId } = await import(${ids});
       const journal = await FileJournal.open(${JSON.stringify(dir)}, newSessionId(Date.now()));
       const turn = () => new Promise((resolve) => setTimeout(resolve, 50));`,
      `(async () => {
         const t = await journal.openTranscript('flood');
         t.write('x'.repeat(300));
         await turn();
         const said = [];
         try { t.write('more'); } catch (e) { said.push('write ' + e.code); }
         try { await t.close(); } catch (e) { said.push('close ' + e.code); }
         throw new Error(said.join(', '));
       })()`,
    );
    expect(result).toEqual({ code: 3, stderr: 'write EFBIG, close EFBIG' });
    const [session] = readdirSync(dir).filter((name) => !name.includes('.'));
    expect(statSync(join(dir, session!, readdirSync(join(dir, session!))[0]!)).size).toBe(40);
  });
});
