/** Every key, from the keymap itself (so help and behaviour cannot drift apart). */
import { Box } from 'ink';
import { BINDINGS, MODAL_KEYS } from '../keymap.js';
import { wrapText, type Line } from '../lines.js';
import { Pane, Rule } from './pane.js';

const NAMES: Record<string, string> = { up: '↑', down: '↓', pageup: 'PgUp', pagedown: 'PgDn', space: 'space', enter: 'enter', esc: 'esc' };

const MARKS = ['[ ] pending', '[>] running', '[x] passed', '[!] failed', '[-] skipped', '[~] overridden'];

/**
 * The help as lines `width` wide: a key column, then its help wrapped under itself (a long
 * help is never cut). The key handler counts these same lines to stop scrolling at the last.
 */
export function helpLines(width = 80): Line[] {
  const rows: Array<{ keys: string; help: string }> = [];
  const seen = new Set<string>();
  for (const b of BINDINGS) {
    const keys = b.keys.map((k) => NAMES[k] ?? k).join(' ');
    const id = `${keys}|${b.help}`;
    if (seen.has(id)) continue;
    seen.add(id);
    rows.push({ keys, help: b.help });
  }
  for (const m of MODAL_KEYS) rows.push({ keys: m.keys, help: m.help });
  const pad = Math.max(...rows.map((r) => r.keys.length));
  const lines: Line[] = [];
  for (const row of rows) {
    wrapText(row.help, width - pad - 1).forEach((text, i) => lines.push({ text: `${(i === 0 ? row.keys : '').padEnd(pad)} ${text}` }));
  }
  lines.push({ text: '' });
  // The marks, as many to a line as fit.
  let line = '';
  for (const mark of MARKS) {
    if (line === '') line = `marks: ${mark}`;
    else if (line.length + 2 + mark.length > width) {
      lines.push({ text: line, tone: 'dim' });
      line = `       ${mark}`;
    } else line += `  ${mark}`;
  }
  lines.push({ text: line, tone: 'dim' });
  return lines;
}

export function HelpOverlay({ height, width, scroll }: { height: number; width: number; scroll: number }) {
  return (
    <Box flexDirection="column" height={height}>
      <Rule text="keys (esc or ? closes, ↑↓ scroll)" width={width} />
      <Pane lines={helpLines(width)} height={Math.max(1, height - 1)} width={width} top={scroll} />
    </Box>
  );
}
