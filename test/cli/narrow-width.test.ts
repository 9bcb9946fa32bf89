/**
 * The build's fast path in front of string-width (scripts/narrow-width.mjs) against the
 * string-width it wraps: the same width for every character it searched, alone and in strings
 * mixed with what must still take the slow path (combining marks, joiners, emoji, wide and
 * Hangul characters, escape sequences), with either ambiguous width; and the bundle has it.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededRandom } from '../helpers/seeded-random.js';
import { ROOT } from '../helpers/paths.js';

type Width = (text: string, options?: { ambiguousIsNarrow?: boolean }) => number;
interface NarrowWidth {
  narrowRanges(width: Width): number[][];
  withNarrowFastPath(source: string, ranges: number[][]): string;
  stringWidthPath(from: string): string;
}

let original: Width;
let patched: Width;
let ranges: number[][];
let dir: string;

beforeAll(async () => {
  const tool = (await import(pathToFileURL(join(ROOT, 'scripts/narrow-width.mjs')).href)) as NarrowWidth;
  const path = tool.stringWidthPath(ROOT);
  original = ((await import(pathToFileURL(path).href)) as { default: Width }).default;
  ranges = tool.narrowRanges(original);
  // The patched module, written elsewhere: its own imports pointed at the files they resolve to.
  const from = createRequire(path);
  const source = tool.withNarrowFastPath(readFileSync(path, 'utf8'), ranges).replace(/from '([^'.][^']*)'/g, (_, spec: string) => `from '${pathToFileURL(from.resolve(spec)).href}'`);
  dir = mkdtempSync(join(tmpdir(), 'stepgate-narrow-'));
  writeFileSync(join(dir, 'string-width.mjs'), source);
  patched = ((await import(pathToFileURL(join(dir, 'string-width.mjs')).href)) as { default: Width }).default;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));


describe('string-width with the narrow fast path', () => {
  it('takes the fast path for the characters a TUI row holds', () => {
    const narrow = (c: string) => ranges.some(([first = 0, last = -1]) => c.charCodeAt(0) >= first && c.charCodeAt(0) <= last);
    for (const c of ['·', '…', '─', '│', '▸', '✓', '✗', '●', '—', 'é', 'ж']) expect(narrow(c), c).toBe(true);
    for (const c of ['\u0301', '\u200d', '\ufe0f', '\u1100', '中', '\u00ad', '\u200b']) expect(narrow(c), c).toBe(false);
  });

  it('measures every searched character alone as string-width does, with either ambiguous width', () => {
    const differ: string[] = [];
    for (const [first, last] of [
      [0x00a0, 0x052f],
      [0x2000, 0x2bff],
    ] as const) {
      for (let code = first; code <= last; code++) {
        const c = String.fromCharCode(code);
        if (patched(c) !== original(c) || patched(c, { ambiguousIsNarrow: false }) !== original(c, { ambiguousIsNarrow: false })) differ.push(code.toString(16));
      }
    }
    expect(differ).toEqual([]);
  });

  it('measures mixed strings as string-width does', () => {
    const next = seededRandom(14);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)] as T;
    const narrowChars = ranges.flatMap(([first = 0, last = -1]) => Array.from({ length: Math.min(last - first + 1, 40) }, (_, i) => String.fromCharCode(first + i)));
    const others = ['\u0301', '\u0308', '\u200d', '\ufe0f', '\u20e3', '\u1100', '\u1161', '\u11a8', '中', '가', '😀', '👍🏽', '🇫🇷', '\u00ad', '\u200b', '\u001b[31m', '\u001b[0m', '\t', '\n', '\u009b1m'];
    const ascii = Array.from({ length: 95 }, (_, i) => String.fromCharCode(0x20 + i));
    for (let n = 0; n < 20_000; n++) {
      const parts: string[] = [];
      const length = 1 + Math.floor(next() * 30);
      const foreign = next() < 0.5;
      for (let i = 0; i < length; i++) {
        const r = next();
        parts.push(r < 0.45 ? pick(ascii) : r < 0.9 || !foreign ? pick(narrowChars) : pick(others));
      }
      const text = parts.join('');
      expect(patched(text), JSON.stringify(text)).toBe(original(text));
      expect(patched(text, { ambiguousIsNarrow: false }), JSON.stringify(text)).toBe(original(text, { ambiguousIsNarrow: false }));
    }
  });

  it('is in the bundle (npm test builds it first)', () => {
    const chunks = join(ROOT, 'dist', 'chunks');
    const withFastPath = readdirSync(chunks).filter((name) => name.endsWith('.js') && readFileSync(join(chunks, name), 'utf8').includes('__stepgateAllNarrow(input)'));
    expect(withFastPath).toHaveLength(1);
  });
});
