/**
 * Two terminals attached to one detached TUI: when it ends, each client reads its result file,
 * and the first to finish removes the directory. The other used to say "the TUI ended without
 * saying how" and exit 1, after a session that had completed (a trial). It now reads how the
 * session stands from its journal.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { cameBack } from '../../src/commands/detach.js';
import { CLI } from '../helpers/paths.js';

let dir: string;
const before = process.env['STEPGATE_STATE_DIR'];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-came-back-'));
  process.env['STEPGATE_STATE_DIR'] = join(dir, 'state');
});
afterAll(() => {
  if (before === undefined) delete process.env['STEPGATE_STATE_DIR'];
  else process.env['STEPGATE_STATE_DIR'] = before;
  rmSync(dir, { recursive: true, force: true });
});

/** A session run in plain mode to its end; its id. */
function session(name: string, script: string): string {
  writeFileSync(join(dir, name), `# ${name}\n\nA step.\n\n\`\`\`bash {name=only}\n${script}\n\`\`\`\n`);
  const run = spawnSync(process.execPath, [CLI, 'run', name, '--yes'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  const id = /session (\d{8}-\d{6}-[0-9a-f]{6})/.exec(run.stdout)?.[1];
  if (id === undefined) throw new Error(`no session id in: ${run.stdout}${run.stderr}`);
  return id;
}

/** What cameBack says and returns for a TUI directory another client already removed (or, `left`, one the TUI left without a result). */
async function lostRace(id: string | undefined, left = false): Promise<{ code: number; said: string }> {
  const gone = join(dir, `gone-${Math.random().toString(16).slice(2)}`);
  if (left) mkdirSync(gone);
  const writes: string[] = [];
  const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    writes.push(String(chunk));
    return true;
  });
  try {
    const code = await cameBack(gone, 'exited', false, false, id);
    return { code, said: writes.join('') };
  } finally {
    spy.mockRestore();
  }
}

describe('a client that finds the ended TUI already cleaned up', () => {
  it('says how the session stands from its journal, with its exit code', async () => {
    const done = session('done.md', 'true');
    const completed = await lostRace(done);
    expect(completed.code).toBe(0);
    expect(completed.said).toBe(`stepgate: the TUI ended (another terminal attached to it had its last words): session ${done} completed\n`);

    const stuck = session('stuck.md', 'false');
    const blocked = await lostRace(stuck);
    expect(blocked.code).toBe(1);
    expect(blocked.said).toContain(`session ${stuck} blocked at only; continue with: stepgate resume ${stuck}`);
  });

  it('says the TUI died when its directory is there without a result (a trial killed it: no other terminal had attached)', async () => {
    const stuck = session('killed.md', 'false');
    const killed = await lostRace(stuck, true);
    expect(killed.code).toBe(1);
    expect(killed.said).toContain(`the TUI ended (it was killed or crashed before it could say how): session ${stuck} blocked at only`);
    expect(killed.said).not.toContain('another terminal');
  });

  it('without a session to read (the picker, or no id), says it does not know', async () => {
    const unknown = await lostRace(undefined);
    expect(unknown.code).toBe(1);
    expect(unknown.said).toBe('stepgate: the TUI ended without saying how (see stepgate sessions)\n');
  });
});
