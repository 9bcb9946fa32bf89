/**
 * scripts/elf.mjs reads what a binary needs from the host; BUILD-INFO.json's minimum glibc and
 * the launcher's check rest on it. Checked against binutils' readelf on the binaries the
 * package ships: this machine's node and the compiled pty addon.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compareVersions, highestVersion, readElfNeeds, type ElfNeeds } from '../scripts/elf.mjs';

const root = join(import.meta.dirname, '..');
const binaries = [process.execPath, join(root, 'node_modules', 'node-pty', 'build', 'Release', 'pty.node')];
const readelf = spawnSync('readelf', ['--version']).status === 0;
if (!readelf) console.log('elf.test: readelf (binutils) is not installed: the comparison with it is skipped');

/** readelf -V's "Version needs" section as {file: [names]}. */
function readelfVersions(file: string): Record<string, string[]> {
  const text = execFileSync('readelf', ['-V', '-W', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const versions: Record<string, string[]> = {};
  let current: string[] | undefined;
  const needs = text.slice(text.indexOf("Version needs section '.gnu.version_r'"));
  for (const line of needs.split('\n')) {
    const fileMatch = /File: (\S+)/.exec(line);
    if (fileMatch?.[1]) versions[fileMatch[1]] = current = [];
    const nameMatch = /Name: (\S+)/.exec(line);
    if (nameMatch?.[1] && current) current.push(nameMatch[1]);
  }
  return versions;
}

function readelfNeeded(file: string): string[] {
  const text = execFileSync('readelf', ['-d', '-W', file], { encoding: 'utf8' });
  return [...text.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1] ?? '');
}

describe('readElfNeeds', () => {
  it.skipIf(!readelf).each(binaries)('agrees with readelf on %s', (file) => {
    const needs = readElfNeeds(file);
    expect(needs.versions).toEqual(readelfVersions(file));
    expect(needs.libraries).toEqual(readelfNeeded(file));
  });

  it('finds the dynamic loader of an executable and none in a shared object', () => {
    const [node, addon] = binaries.map((file) => readElfNeeds(file ?? ''));
    expect(node?.interpreter).toMatch(/^\/lib.*\/ld-linux[-\w.]*\.so\.\d$/);
    expect(addon?.interpreter).toBeNull();
    expect(node?.libraries).toContain('libc.so.6');
  });

  it('refuses a file that is not ELF, naming it', () => {
    expect(() => readElfNeeds(join(root, 'package.json'))).toThrow(`${join(root, 'package.json')}: not an ELF file`);
  });
});

describe('highestVersion', () => {
  it('compares numerically and ignores GLIBC_PRIVATE', () => {
    const needs: ElfNeeds[] = [
      { interpreter: null, libraries: [], versions: { 'libc.so.6': ['GLIBC_2.4', 'GLIBC_PRIVATE', 'GLIBC_2.34', 'GLIBC_2.2.5'] } },
      { interpreter: null, libraries: [], versions: { 'libc.so.6': ['GLIBC_2.9'], 'libstdc++.so.6': ['GLIBCXX_3.4.9', 'GLIBCXX_3.4.22', 'CXXABI_1.3'] } },
    ];
    expect(highestVersion(needs, 'GLIBC_')).toBe('2.34');
    expect(highestVersion(needs, 'GLIBCXX_')).toBe('3.4.22');
    expect(highestVersion(needs, 'GCC_')).toBeNull();
    expect(compareVersions('2.34', '2.4')).toBeGreaterThan(0);
    expect(compareVersions('2.2.5', '2.2')).toBeGreaterThan(0);
    expect(compareVersions('3.4', '3.4.0')).toBe(0);
  });
});
