import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keptCsi, TerminalFilter } from '../../src/session/terminal-filter.js';
import { displayText, terminalJson } from '../../src/session/printable.js';

const ESC = '\u001b';
const HOSTILE = [
  `${ESC}]0;title\u0007`,
  `${ESC}]2;title${ESC}\\`,
  `${ESC}]52;c;${'QUJD'.repeat(3000)}\u0007`,
  `${ESC}c`,
  `${ESC}Ptmux;${ESC}${ESC}]52;c;Zm9v\u0007${ESC}\\`,
  `${ESC}[21t`,
  `${ESC}[8;100;200t`,
  '\u009d0;c1 title\u009c',
  `${ESC}]4;1;rgb:ff/00/00\u0007`,
  // A hyperlink is kept, but not one with control characters in it (a review: a C1 OSC 52 inside).
  `${ESC}]8;;\u0018\u009d52;c;Zm9v\u0007`,
  `${ESC}]8;;https://example.com/\u0001x${ESC}\\`,
  // Queries: the reply is typed into whatever reads the operator's keys, and names the terminal.
  `${ESC}[c`,
  `${ESC}[>c`,
  `${ESC}[=c`,
  `${ESC}[6n`,
  `${ESC}[?6n`,
  `${ESC}[>0q`,
  `${ESC}[?2004$p`,
  `${ESC}[?u`,
  `${ESC}Z`,
  '\u0005',
  // Modes that outlive the output: a keyboard lock, a new line mode, 132 columns, focus reports.
  `${ESC}[2h`,
  `${ESC}[20h`,
  `${ESC}[?3h`,
  `${ESC}[?1004h`,
  `${ESC}[5i`,
  // A re-review: leaving UTF-8 makes later text's bytes C1 controls; a screen window's name;
  // a repeat count that keeps a terminal busy; mouse reports typed into the shell after the run.
  `${ESC}%@`,
  `${ESC}k`,
  `${ESC}[999999999b`,
  `${ESC}[?1003h`,
];

function through(filter: TerminalFilter, text: string, size: number): string {
  let out = '';
  for (let at = 0; at < text.length; at += size) out += filter.feed(text.slice(at, at + size));
  return out + filter.flush();
}

describe('a step\'s output on the operator\'s terminal', () => {
  it('keeps colours, cursor moves and hyperlinks, drops titles, clipboard, resets, device strings and C1', () => {
    const kept = `${ESC}[32mgreen${ESC}[0m ${ESC}[2K${ESC}[1A ${ESC}]8;;https://example.com${ESC}\\link${ESC}]8;;${ESC}\\ ${ESC}7${ESC}8\r\n`;
    const text = `a${HOSTILE.join('b')}c ${kept}`;
    const expected = `a${'b'.repeat(HOSTILE.length - 1)}c ${kept}`;
    for (const size of [1, 2, 3, 7, 64, 4096, text.length]) expect(through(new TerminalFilter(), text, size), `chunks of ${size}`).toBe(expected);
  });

  it('keeps what draws and the modes a full-screen program sets, and only those of a list of modes', () => {
    const drawing = [`${ESC}[1;31;48;5;200m`, `${ESC}[38:2::1:2:3m`, `${ESC}[12;40H`, `${ESC}[3J`, `${ESC}[?25l`, `${ESC}[?1049h`, `${ESC}[?2026h`, `${ESC}[5;20r`, `${ESC}[2 q`, `${ESC}[4h`, `${ESC}[!p`, `${ESC}[?2K`];
    for (const csi of drawing) expect(keptCsi(csi), JSON.stringify(csi)).toBe(csi);
    // One sequence setting allowed and refused modes keeps the allowed ones; mouse reporting
    // only where the caller turns it off after (the relay).
    expect(keptCsi(`${ESC}[?1000;1004;1006h`, { mouse: true })).toBe(`${ESC}[?1000;1006h`);
    expect(keptCsi(`${ESC}[?1000;1004;1049h`)).toBe(`${ESC}[?1049h`);
    expect(through(new TerminalFilter({ mouse: true }), `${ESC}[?1003h`, 2)).toBe(`${ESC}[?1003h`);
    expect(through(new TerminalFilter(), `${ESC}%G`, 1)).toBe(`${ESC}%G`);
    expect(keptCsi(`${ESC}[?1004;3l`)).toBe('');
    expect(keptCsi(`${ESC}[1?h`)).toBe('');
  });

  it('knows whether what passed left the alternate screen on (leaving it when off moves the cursor back over earlier lines)', () => {
    const filter = new TerminalFilter();
    expect(filter.altScreen).toBe(false);
    through(filter, `${ESC}[?1000;1049hdrawn`, 3);
    expect(filter.altScreen).toBe(true);
    through(filter, `${ESC}[?1049l[detached]\r\n`, 2);
    expect(filter.altScreen).toBe(false);
    through(filter, `${ESC}[?47h`, 1);
    expect(filter.altScreen).toBe(true);
  });

  it('never lets an OSC, DCS or ESC c through, however the output is cut', () => {
    const pieces = fc.constantFrom(...HOSTILE, 'plain text ', `${ESC}[31m`, '\r\n', ESC, `${ESC}]`, '\u0007', `${ESC}\\`);
    fc.assert(
      fc.property(fc.array(pieces, { maxLength: 12 }), fc.integer({ min: 1, max: 50 }), (parts, size) => {
        const out = through(new TerminalFilter(), parts.join(''), size);
        expect(out).not.toMatch(/\u001b[\]PX^_cZ]|[\u0005\u0080-\u009f]|\u001b\[[0-9;]*[tcn]|\u001b\[[>=]/);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('text from a runbook or a server in stepgate\'s own lines', () => {
  it('displayText keeps words, tabs and newlines and drops sequences, controls, lone CRs and bidi overrides', () => {
    expect(displayText(`Deploy ${HOSTILE.join('')}now\r\nnext\rover\tab \u202eevil\u202c`)).toBe('Deploy now\nnextover\tab evil');
  });

  it('terminalJson escapes what JSON.stringify leaves raw (DEL, C1, bidi) and parses back the same', () => {
    const value = { title: `a\u009b2Jb\u009d0;x\u0007\u202e${ESC}c` };
    const text = terminalJson(value, 2);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(JSON.parse(text)).toEqual(value);
  });
});
