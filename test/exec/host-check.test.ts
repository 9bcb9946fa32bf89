/**
 * The host-check script (what preflight asks the run-as user's bash) run by a real bash: a
 * script this bash parsed before is not parsed again, and then no temporary directory is made
 * (mktemp and rm are processes: the usual second start forks neither); a new one is parsed and
 * a syntax error read back.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hostCheckScript, readHostAnswers } from '../../src/exec/host-check.js';
import type { HostQuery } from '../../src/exec/types.js';

let bin: string;
const calls = (): string[] => (existsSync(path.join(bin, 'calls')) ? readFileSync(path.join(bin, 'calls'), 'utf8').split('\n').filter(Boolean) : []);

beforeEach(() => {
  // mktemp and rm that say they were called, then do their work.
  bin = mkdtempSync(path.join(os.tmpdir(), 'stepgate-hostcheck-'));
  for (const tool of ['mktemp', 'rm']) {
    writeFileSync(path.join(bin, tool), `#!/bin/sh\necho ${tool} >> ${bin}/calls\n${execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim()} "$@"\n`, { mode: 0o755 });
  }
});
afterEach(() => rmSync(bin, { recursive: true, force: true }));

function ask(query: HostQuery) {
  const stdout = execFileSync('bash', ['-s'], { input: hostCheckScript(query), encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env['PATH']}` } });
  return { answers: readHostAnswers(query, stdout), bash: /^@@SG bash 0 (.*)$/m.exec(stdout)?.[1] ?? '' };
}

const base: HostQuery = { env: {}, scripts: {}, names: [], paths: {}, dirs: [], hosts: [], space: [] };

describe('host check: parsing scripts', () => {
  it('parses new scripts in a temporary directory it removes, and reads a syntax error back', () => {
    const { answers } = ask({ ...base, scripts: { good: 'echo fine\n', bad: 'if then fi\n' } });
    expect(answers.syntax['good']).toBeUndefined();
    expect(answers.syntax['bad']).toMatch(/syntax error/);
    expect(calls()).toEqual(['mktemp', 'rm']);
  });

  it('does not parse again what this bash parsed before, and then makes no directory', () => {
    const { bash } = ask({ ...base, scripts: { good: 'echo fine\n' } });
    writeFileSync(path.join(bin, 'calls'), '');
    const { answers } = ask({ ...base, scripts: { good: 'echo fine\n' }, parsedBefore: { bash, keys: ['good'] } });
    expect(answers.syntax).toEqual({ good: undefined });
    expect(calls()).toEqual([]);
  });

  it('a bash other than the one that parsed before parses again', () => {
    const { answers } = ask({ ...base, scripts: { bad: 'if then fi\n' }, parsedBefore: { bash: '/bin/bash 1.0', keys: ['bad'] } });
    expect(answers.syntax['bad']).toMatch(/syntax error/);
    expect(calls()).toEqual(['mktemp', 'rm']);
  });
});
