import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MarkerScanner, markerPrefix } from '../../src/exec/marker.js';
import type { ScanItem } from '../../src/exec/marker.js';

const NONCE = '0123456789abcdef0123456789abcdef';

function scanAll(chunks: string[]): ScanItem[] {
  const scanner = new MarkerScanner(NONCE);
  const items = chunks.flatMap((c) => scanner.feed(c));
  const rest = scanner.flush();
  if (rest) items.push({ type: 'text', text: rest });
  // Merge adjacent text so results do not depend on chunking.
  const merged: ScanItem[] = [];
  for (const item of items) {
    const last = merged.at(-1);
    if (item.type === 'text' && last?.type === 'text') last.text += item.text;
    else merged.push(item.type === 'text' ? { ...item } : item);
  }
  return merged;
}

function splitAt(text: string, cuts: number[]): string[] {
  const points = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
  const parts: string[] = [];
  let prev = 0;
  for (const p of points) {
    parts.push(text.slice(prev, p));
    prev = p;
  }
  parts.push(text.slice(prev));
  return parts;
}

describe('MarkerScanner', () => {
  it('separates markers from text', () => {
    const stream = `hello\r\n${markerPrefix(NONCE)}d;7;0\u0007after`;
    expect(scanAll([stream])).toEqual([
      { type: 'text', text: 'hello\r\n' },
      { type: 'marker', marker: { kind: 'd', fields: ['7', '0'] } },
      { type: 'text', text: 'after' },
    ]);
  });

  it('ignores look-alikes with another nonce and other OSC sequences', () => {
    const fake = `${markerPrefix('ffffffffffffffffffffffffffffffff')}d;1;0\u0007\u001b]0;title\u0007`;
    expect(scanAll([fake])).toEqual([{ type: 'text', text: fake }]);
  });

  it('gives the same result however the stream is split', () => {
    const segment = fc.oneof(
      fc.string({ maxLength: 20 }).map((text) => ({ text, item: { type: 'text', text } as ScanItem })),
      fc.tuple(fc.constantFrom('d', 'x', 'r'), fc.array(fc.stringMatching(/^[0-9a-z/]{0,8}$/), { maxLength: 3 })).map(([kind, fields]) => ({
        text: `${markerPrefix(NONCE)}${[kind, ...fields].join(';')}\u0007`,
        item: { type: 'marker', marker: { kind, fields } } as ScanItem,
      })),
      fc.constantFrom('\u001b', '\u001b]', '\u001b]69').map((text) => ({ text, item: { type: 'text', text } as ScanItem })),
    );
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 12 }), fc.array(fc.nat(), { maxLength: 6 }), (segments, cuts) => {
        const stream = segments.map((s) => s.text).join('');
        const whole = scanAll([stream]);
        expect(scanAll(splitAt(stream, cuts))).toEqual(whole);
        const markers = whole.filter((i) => i.type === 'marker');
        expect(markers).toEqual(segments.map((s) => s.item).filter((i) => i.type === 'marker'));
        const text = whole.filter((i) => i.type === 'text').map((i) => (i.type === 'text' ? i.text : '')).join('');
        expect(text).toBe(segments.filter((s) => s.item.type === 'text').map((s) => s.text).join(''));
      }),
      { numRuns: 300 },
    );
  });
});
