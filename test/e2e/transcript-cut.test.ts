/**
 * A step's transcript the disk stops taking (here a file-size limit, as a full disk would): the
 * step runs on, and the journal says the transcript is not the step's whole output, so that `log`
 * and `report` do not present a cut file as the record of what the step printed.
 */
import { spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI } from '../helpers/paths.js';
import { collect, Workspace } from './plain-harness.js';

let ws: Workspace;
beforeEach(() => {
  ws = new Workspace();
});
afterEach(() => ws.remove());

const LIMIT = 100_000;

describe('a transcript cut short by the disk', () => {
  it('is journaled on the step it belongs to and shown by log and report; the session goes on', async () => {
    // 600 kB of output (stdout goes to /dev/null, which no size limit touches), then a step after it.
    const file = ws.write('flood.md', '# Flood\n\n```bash {name=flood}\nseq 1 100000\n```\n\n```bash {name=after}\necho after\n```\n');
    const child = spawn('sh', ['-c', `exec prlimit --fsize=${LIMIT} "${process.execPath}" "${CLI}" run "${file}" --yes >/dev/null`], { cwd: ws.dir, env: ws.env(), stdio: ['ignore', 'ignore', 'pipe'] });
    const { code, stderr } = await collect(child);
    expect(code, stderr).toBe(0);
    const [id] = ws.sessionIds();
    const finished = ws.events(id!).filter((e) => e.type === 'step-finished');
    expect(finished.map((e) => [e.key.split('#')[1], e.ok])).toEqual([
      ['flood', true],
      ['after', true],
    ]);
    const [flood, after] = finished;
    expect(flood!.transcriptLost).toMatch(/^cut short: EFBIG: file too large/);
    expect(statSync(flood!.transcript!).size).toBeLessThanOrEqual(LIMIT);
    expect(after!.transcriptLost).toBeUndefined();
    const trail = await ws.run(['log', id!]);
    expect(trail.stdout).toMatch(/\n +transcript cut short: EFBIG: file too large/);
    const report = await ws.run(['report', id!]);
    expect(report.stdout).toMatch(/^- `flood` run 1: `[^`]+` \(cut short: EFBIG: file too large[^)]*\)$/m);
  }, 60_000);
});
