/**
 * The host-check script (what preflight asks the run-as user's bash) run by a real bash: a
 * script this bash parsed before is not parsed again, and then no temporary directory is made
 * (mktemp and rm are processes: the usual second start forks neither); a new one is parsed and
 * a syntax error read back; a probe ended by a signal mid-parse, or left by a stepgate that died
 * mid-parse, leaves no directory behind.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { askHost, hostCheckScript, readHostAnswers } from '../../src/exec/host-check.js';
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

describe('host check: a probe ended mid-way', () => {
  const SCRIPTS = { one: 'echo one\n', two: 'echo two\n', three: 'if then fi\n' };
  let tmp: string;

  beforeEach(() => {
    // The probe's TMPDIR, and a mktemp that makes the parse-message files FIFOs: each `bash -n`
    // blocks opening its stderr, so the probe stays in its parse phase, the directory made,
    // until a signal ends it. It says on stderr when the directory exists.
    tmp = mkdtempSync(path.join(os.tmpdir(), 'stepgate-hostcheck-tmp-'));
    const real = execFileSync('sh', ['-c', 'command -v mktemp'], { encoding: 'utf8' }).trim();
    writeFileSync(path.join(bin, 'mktemp'), `#!/bin/sh\nd=$(${real} "$@") || exit 1\nfor i in 0 1 2; do mkfifo "$d/$i"; done\necho "made $d" >&2\necho "$d"\n`, { mode: 0o755 });
  });

  afterEach(() => {
    // Without the traps the FIFOs stay, and a parse blocked on one with them: opening each
    // for reading lets it go.
    for (const dir of readdirSync(tmp)) for (const fifo of readdirSync(path.join(tmp, dir))) closeSync(openSync(path.join(tmp, dir, fifo), constants.O_RDONLY | constants.O_NONBLOCK));
    rmSync(tmp, { recursive: true, force: true });
  });

  const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${bin}:${process.env['PATH']}`, TMPDIR: tmp });

  for (const signal of ['SIGTERM', 'SIGHUP', 'SIGINT', 'SIGQUIT'] as const) {
    it(`removes its directory when it gets ${signal} while parsing`, async () => {
      const probe = spawn('bash', ['-s'], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
      probe.stdin.end(hostCheckScript({ ...base, scripts: SCRIPTS }));
      let said = '';
      await new Promise<void>((made) => probe.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()).includes('made ') && made()));
      const dir = /made (\S+)/.exec(said)?.[1] ?? '';
      expect(existsSync(dir)).toBe(true);
      const ended = new Promise<number | null>((r) => probe.on('close', (code) => r(code)));
      probe.kill(signal);
      expect(await ended).toBe(128 + os.constants.signals[signal]);
      expect(readdirSync(tmp)).toEqual([]);
    });
  }

  it('removes it when stepgate dies mid-parse: its stdout and stderr closed, then a parse ends', async () => {
    const probe = spawn('bash', ['-s'], { env: env(), stdio: ['pipe', 'pipe', 'pipe'] });
    probe.stdin.end(hostCheckScript({ ...base, scripts: SCRIPTS }));
    let said = '';
    await new Promise<void>((made) => probe.stderr.on('data', (chunk: Buffer) => (said += chunk.toString()).includes('made ') && made()));
    const dir = /made (\S+)/.exec(said)?.[1] ?? '';
    // As a SIGKILLed stepgate leaves them: the read ends of the probe's stdout and stderr closed.
    probe.stdout.destroy();
    probe.stderr.destroy();
    const ended = new Promise<void>((r) => probe.on('exit', () => r()));
    // The first parse goes on and ends: the probe says so to the closed stdout (PIPE), and its
    // cleanup kills the two still blocked, which bash reports on the closed stderr.
    // Read to its end: the open waits for that parse to open its stderr, however late it starts.
    await readFile(path.join(dir, '0'));
    await ended;
    expect(readdirSync(tmp)).toEqual([]);
  });

  it('removes it when askHost\'s deadline ends the probe (TERM), whose parses were still blocked', async () => {
    const saved = { PATH: process.env['PATH'], TMPDIR: process.env['TMPDIR'] };
    Object.assign(process.env, { PATH: env()['PATH'], TMPDIR: tmp });
    try {
      await expect(askHost({ ...base, scripts: SCRIPTS }, 1_000)).rejects.toThrow(/did not answer within 1s/);
    } finally {
      for (const [name, value] of Object.entries(saved)) if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    expect(readdirSync(tmp)).toEqual([]);
  });
});
