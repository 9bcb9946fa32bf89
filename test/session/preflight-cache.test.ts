/**
 * The preflight cache only ever saves work: what it holds survives a process, a damaged or
 * foreign file is ignored rather than trusted, and it is private state like the journals.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ScriptWords } from '../../src/exec/types.js';
import { openPreflightCache } from '../../src/session/preflight-cache.js';

let dir: string;
let env: NodeJS.ProcessEnv;
const words: ScriptWords = { commands: [{ name: 'git', line: 1, how: 'literal', at: 0 }], defines: [], cds: [] };

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stepgate-pfcache-'));
  chmodSync(dir, 0o700);
  env = { STEPGATE_STATE_DIR: join(dir, 'state') };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('preflight cache', () => {
  it('keeps words and parses across processes, keyed by the exact script and bash', () => {
    const first = openPreflightCache(env);
    expect(first.words('git pull')).toBeUndefined();
    first.rememberWords('git pull', words);
    first.rememberBash('ubuntu', '/bin/bash 5.2.15(1)-release');
    first.rememberParsed('/bin/bash 5.2.15(1)-release', 'git pull');
    first.save();

    const second = openPreflightCache(env);
    expect(second.words('git pull')).toEqual(words);
    expect(second.words('git pull ')).toBeUndefined();
    expect(second.lastBash('ubuntu')).toBe('/bin/bash 5.2.15(1)-release');
    expect(second.lastBash('other')).toBeUndefined();
    expect(second.parsedBy('/bin/bash 5.2.15(1)-release', 'git pull')).toBe(true);
    // Another bash, or one changed character, is looked at afresh.
    expect(second.parsedBy('/bin/bash 5.3.0(1)-release', 'git pull')).toBe(false);
    expect(second.parsedBy('/bin/bash 5.2.15(1)-release', 'git pul')).toBe(false);
  });

  it('is written 0600 and holds hashes, not the scripts', () => {
    const cache = openPreflightCache(env);
    cache.rememberParsed('/bin/bash 5', 'curl -H "Authorization: Bearer $TOKEN" https://example.invalid');
    cache.save();
    const file = join(dir, 'state', 'preflight-cache.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).not.toContain('example.invalid');
  });

  it('ignores a damaged file and a file of the wrong shape, and replaces it on the next save', () => {
    const cache = openPreflightCache(env);
    cache.rememberWords('ls', words);
    cache.save();
    const file = join(dir, 'state', 'preflight-cache.json');
    for (const damaged of ['{"version":1,"words":', '[]', '{"version":2,"words":{},"parsed":{},"bash":{}}', '\0\0\0']) {
      writeFileSync(file, damaged);
      const reopened = openPreflightCache(env);
      expect(reopened.words('ls')).toBeUndefined();
      reopened.rememberWords('ls', words);
      reopened.save();
      expect(openPreflightCache(env).words('ls')).toEqual(words);
    }
  });

  it('does not write when nothing was learnt, and keeps the newest entries within its bound', () => {
    openPreflightCache(env).save();
    expect(() => statSync(join(dir, 'state', 'preflight-cache.json'))).toThrow();
    const cache = openPreflightCache(env);
    for (let i = 0; i < 4100; i++) cache.rememberParsed('/bin/bash 5', `echo ${i}`);
    cache.save();
    const reopened = openPreflightCache(env);
    expect(reopened.parsedBy('/bin/bash 5', 'echo 4099')).toBe(true);
    expect(reopened.parsedBy('/bin/bash 5', 'echo 0')).toBe(false);
  });
});
