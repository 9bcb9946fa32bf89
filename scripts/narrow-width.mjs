/**
 * A fast path for string-width, Ink's measure of every line it lays out and writes (issue 14).
 *
 * string-width answers printable ASCII at once, but any other character sends the whole string
 * through Intl.Segmenter and a handful of Unicode-property regular expressions: the TUI's rows
 * hold `·`, `…` and `─`, so its first frame spent 20 to 25 ms there (an 80-column rule alone
 * costs half a millisecond a call). Most such characters are one column wide and stand alone as
 * a grapheme, so a string made only of them and printable ASCII is exactly as wide as it is long.
 *
 * Which characters qualify is asked of the bundled string-width itself, at build time: those
 * it measures as 1 alone, that form a grapheme of their own between two letters and beside
 * themselves (not a combining mark, joiner, Hangul jamo or regional indicator), in the blocks a
 * terminal UI draws with. test/cli/narrow-width.test.ts compares the two on generated strings.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The blocks searched: Latin-1 to Cyrillic, and punctuation through the miscellaneous symbols and arrows. */
const SEARCHED = [
  [0x00a0, 0x052f],
  [0x2000, 0x2bff],
];

/** The string-width that Ink and widest-line import (the top-level package, not a nested copy). */
export const STRING_WIDTH = /[\\/]node_modules[\\/]string-width[\\/]index\.js$/;

const EXPORT = 'export default function stringWidth(input, options = {}) {';

/**
 * Code point ranges, [first, last] inclusive, of the characters a string of which (with
 * printable ASCII) `stringWidth` measures as its length.
 * @param {(text: string) => number} stringWidth
 */
export function narrowRanges(stringWidth) {
  const segmenter = new Intl.Segmenter();
  const graphemes = (text) => [...segmenter.segment(text)].length;
  const ranges = [];
  for (const [first, last] of SEARCHED) {
    for (let code = first; code <= last; code++) {
      const c = String.fromCharCode(code);
      const narrow = stringWidth(c) === 1 && graphemes(`a${c}a`) === 3 && graphemes(c + c) === 2;
      if (!narrow) continue;
      const open = ranges.at(-1);
      if (open && open[1] === code - 1) open[1] = code;
      else ranges.push([code, code]);
    }
  }
  return ranges;
}

/**
 * string-width's source with the fast path in front of it. Only with ambiguous characters
 * narrow (its default, and Ink's): the ranges were measured that way.
 * @param {string} source
 * @param {number[][]} ranges
 */
export function withNarrowFastPath(source, ranges) {
  if (!source.includes(EXPORT)) throw new Error(`string-width: no \`${EXPORT}\` to put the fast path in front of; see scripts/narrow-width.mjs`);
  const table = `const __stepgateNarrow = new Uint8Array(0x10000);
for (const [first, last] of ${JSON.stringify(ranges)}) __stepgateNarrow.fill(1, first, last + 1);
function __stepgateAllNarrow(text) {
	for (let i = 0; i < text.length; i++) {
		const code = text.charCodeAt(i);
		if (code >= 0x20 && code <= 0x7e) continue;
		if (__stepgateNarrow[code] !== 1) return false;
	}
	return true;
}
`;
  const front = `export default function stringWidth(input, options = {}) {
	if (typeof input === 'string' && options.ambiguousIsNarrow !== false && __stepgateAllNarrow(input)) return input.length;
	return __stepgateStringWidth(input, options);
}
function __stepgateStringWidth(input, options = {}) {`;
  return table + source.replace(EXPORT, front);
}

/**
 * The esbuild plugin: the string-width that `root` resolves (Ink's), as bundled, with the fast
 * path. Another copy (wrap-ansi keeps an older one of its own) is bundled as it is.
 */
export function narrowWidthPlugin(root) {
  const own = stringWidthPath(root);
  return {
    name: 'string-width-narrow-fast-path',
    setup(b) {
      let ranges;
      b.onLoad({ filter: STRING_WIDTH }, async (args) => {
        if (args.path !== own) return undefined;
        ranges ??= narrowRanges((await import(pathToFileURL(args.path).href)).default);
        return { contents: withNarrowFastPath(readFileSync(args.path, 'utf8'), ranges), loader: 'js' };
      });
    },
  };
}

/** The path of the string-width that `from` (a directory holding package.json) resolves. */
export function stringWidthPath(from) {
  return createRequire(`${from}/package.json`).resolve('string-width');
}
