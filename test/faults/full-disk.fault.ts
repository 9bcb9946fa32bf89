/**
 * A full disk under the state directory (a small tmpfs, mounted because the suite runs as
 * root; skipped with its reason otherwise): `run` must stop with a clear error, must not start
 * a step whose start it could not journal, and must leave what it had written readable, so that
 * once there is room again the session resumes.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Workspace } from '../e2e/plain-harness.js';
import { printFigures, record } from './tally.js';

afterAll(() => printFigures());

const root = process.getuid?.() === 0;
if (!root) process.stdout.write('full-disk faults skipped: mounting a tmpfs needs root\n');

function mountSmallDisk(ws: Workspace, kb: number): string {
  const mount = join(ws.dir, 'disk');
  mkdirSync(mount, { mode: 0o700 });
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${kb}k,mode=0700`, 'tmpfs', mount]);
  return mount;
}

function fill(path: string): void {
  try {
    execFileSync('sh', ['-c', `cat /dev/zero > '${path}'`], { stdio: 'ignore' });
  } catch {
    // ENOSPC: what was wanted
  }
}

/** Every journal line under the state dir parses as JSON (a cut last line is allowed only if resume copes). */
function journalsReadable(state: string): { lines: number; bad: number } {
  const sessions = join(state, 'sessions');
  let lines = 0;
  let bad = 0;
  if (!existsSync(sessions)) return { lines, bad };
  for (const name of readdirSync(sessions).filter((n) => n.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(sessions, name), 'utf8').split('\n').filter(Boolean)) {
      lines++;
      try {
        JSON.parse(line);
      } catch {
        bad++;
      }
    }
  }
  return { lines, bad };
}

describe.skipIf(!root)('a full disk for the state directory', () => {
  it('full before the run: a clear error, no step started, nothing written half', async () => {
    const ws = new Workspace();
    const mount = mountSmallDisk(ws, 256);
    try {
      const state = join(mount, 'state');
      fill(join(mount, 'filler'));
      const marker = join(ws.dir, 'ran.txt');
      const file = ws.write('full.md', `# Full\n\nOne.\n\n\`\`\`bash {name=one}\necho ran > ${marker}\n\`\`\`\n`);
      const r = await ws.run(['run', file, '--yes'], { STEPGATE_STATE_DIR: state, HOME: ws.dir });
      const clear = /no space left|ENOSPC|disk is full/i.test(r.stderr) && !/\n\s+at .*\.js:\d+/.test(r.stderr);
      const readable = journalsReadable(state);
      record('full disk before the run: clear error', clear && r.code !== 0, `exit ${r.code}: ${r.stderr.slice(0, 200)}`);
      record('full disk before the run: step not started', !existsSync(marker));
      record('full disk before the run: journals readable', readable.bad === 0, `${readable.bad} bad lines`);
      process.stdout.write(`fault figures: full disk before the run | exit ${r.code} | ${r.stderr.trim().split('\n')[0]}\n`);
      expect(existsSync(marker)).toBe(false);
      expect(r.code).not.toBe(0);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(r.stderr).toMatch(/no space left|ENOSPC|disk is full/i);
      expect(readable.bad).toBe(0);
    } finally {
      execFileSync('umount', ['-l', mount]);
      ws.remove();
    }
  }, 120_000);

  it('full during the run: no step runs that the journal could not record, and resume finishes once there is room', async () => {
    const ws = new Workspace();
    const mount = mountSmallDisk(ws, 1024);
    try {
      const state = join(mount, 'state');
      const filler = join(mount, 'filler');
      const log = join(ws.dir, 'ran.log');
      // The journal's last page may still have room after the disk is full (tmpfs), so steps
      // follow until an append fails.
      const after = Array.from({ length: 40 }, (_, i) => `Step ${i}.\n\n\`\`\`bash {name=s${i}}\necho s${i} >> ${log}\n\`\`\`\n`).join('\n');
      const file = ws.write('fills.md', `# Fills\n\nFill the disk.\n\n\`\`\`bash {name=fill}\ncat /dev/zero > ${filler} 2>/dev/null; true\n\`\`\`\n\n${after}`);
      const r = await ws.run(['run', file, '--yes'], { STEPGATE_STATE_DIR: state, HOME: ws.dir });
      const ranWhileFull = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      const readable = journalsReadable(state);
      const [id] = readdirSync(join(state, 'sessions')).filter((n) => n.endsWith('.jsonl')).map((n) => n.slice(0, -6));
      const journaled = new Set(
        readFileSync(join(state, 'sessions', `${id ?? ''}.jsonl`), 'utf8')
          .split('\n')
          .flatMap((l) => /"type":"step-started".*"key":"[^"]*#(s\d+)"/.exec(l)?.[1] ?? []),
      );
      const unjournaled = ranWhileFull.filter((s) => !journaled.has(s));
      execFileSync('rm', ['-f', filler]);
      const resumed = await ws.run(['resume', id ?? '', '--yes', '--rerun-interrupted'], { STEPGATE_STATE_DIR: state, HOME: ws.dir });
      const ran = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      const twice = ran.filter((s, i) => ran.indexOf(s) !== i);
      const rerunNamed = /re-running interrupted step (s\d+)/.exec(resumed.stdout)?.[1];
      const silent = twice.filter((s) => s !== rerunNamed);
      const clear = r.code !== 0 && /no space left|ENOSPC|disk is full/i.test(r.stderr) && !/\n\s+at .*\.js:\d+/.test(r.stderr);
      record('full disk during the run: clear error', clear, `exit ${r.code}: ${r.stderr.slice(-300)}`);
      record('full disk during the run: steps run without a journaled start', unjournaled.length === 0, unjournaled.join(','));
      record('full disk during the run: journals readable', readable.bad === 0, `${readable.bad} bad lines`);
      record('full disk during the run: resumed once there was room, no silent re-run', resumed.code === 0 && silent.length === 0 && ran.length >= 40, `resume exit ${resumed.code}, re-run ${silent.join(',')}`);
      process.stdout.write(`fault figures: full disk during the run | exit ${r.code} | ${ranWhileFull.length} of 40 steps ran while full, ${unjournaled.length} unjournaled | ${r.stderr.trim().split('\n').slice(-2).join(' / ')} | resume exit ${resumed.code}\n`);
      expect(r.stderr).not.toMatch(/\n\s+at .*\.js:\d+/);
      expect(unjournaled).toEqual([]);
      expect(readable.bad).toBe(0);
      expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
      expect(silent).toEqual([]);
    } finally {
      execFileSync('umount', ['-l', mount]);
      ws.remove();
    }
  }, 180_000);
});
