import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addSudoers, createUser, removeSudoers, removeUser, sweepStaleTestUsers } from '../helpers/test-users.js';

const isRoot = process.getuid?.() === 0;
if (!isRoot) console.log('skipping the test-user sweep tests: they create users and need root');

function userExists(name: string): boolean {
  return readFileSync('/etc/passwd', 'utf8').split('\n').some((l) => l.startsWith(`${name}:`));
}

describe.skipIf(!isRoot)('throwaway test users left by a killed run', () => {
  it('are removed at the next start; those of a run still going are kept', async () => {
    // A process that has ended stands for a test run that was killed.
    const gone = spawn('true');
    await new Promise((resolve) => gone.once('exit', resolve));
    const deadStamp = `stepgate-test pid=${gone.pid} start=1`;
    const stale = `sgstale${process.pid}`;
    execFileSync('useradd', ['-M', '-s', '/bin/bash', '-c', deadStamp, stale]);
    const staleSudoers = `/etc/sudoers.d/stepgate-test-${stale}`;
    writeFileSync(staleSudoers, `# ${deadStamp}\n${stale} ALL=(root) NOPASSWD: /bin/true\n`, { mode: 0o440 });
    const live = createUser('sglive');
    const liveSudoers = addSudoers(`stepgate-test-${live}`, `${live} ALL=(root) NOPASSWD: /bin/true`);
    try {
      const removed = sweepStaleTestUsers();
      expect(removed).toContain(stale);
      expect(removed).toContain(staleSudoers);
      expect(userExists(stale)).toBe(false);
      expect(existsSync(staleSudoers)).toBe(false);
      expect(userExists(live)).toBe(true);
      expect(existsSync(liveSudoers)).toBe(true);
    } finally {
      if (userExists(stale)) removeUser(stale);
      removeSudoers(staleSudoers);
      removeUser(live);
      removeSudoers(liveSudoers);
    }
  });
});
