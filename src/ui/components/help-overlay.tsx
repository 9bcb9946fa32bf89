/** Every key, from the keymap itself (so help and behaviour cannot drift apart). */
import { Box } from 'ink';
import { BINDINGS, MODAL_KEYS } from '../keymap.js';
import type { Line } from '../lines.js';
import { Pane, Rule } from './pane.js';

const NAMES: Record<string, string> = { up: '↑', down: '↓', pageup: 'PgUp', pagedown: 'PgDn', space: 'space', enter: 'enter', esc: 'esc' };

export function helpLines(): Line[] {
  const pad = Math.max(...BINDINGS.map((b) => b.keys.map((k) => NAMES[k] ?? k).join(' ').length), ...MODAL_KEYS.map((m) => m.keys.length));
  const seen = new Set<string>();
  const lines: Line[] = [];
  for (const b of BINDINGS) {
    const keys = b.keys.map((k) => NAMES[k] ?? k).join(' ');
    const id = `${keys}|${b.help}`;
    if (seen.has(id)) continue;
    seen.add(id);
    lines.push({ text: `${keys.padEnd(pad)} ${b.help}` });
  }
  for (const m of MODAL_KEYS) lines.push({ text: `${m.keys.padEnd(pad)} ${m.help}` });
  lines.push({ text: '' });
  lines.push({ text: 'marks: [ ] pending  [>] running  [x] passed  [!] failed  [-] skipped  [~] overridden', tone: 'dim' });
  return lines;
}

export function HelpOverlay({ height, width, scroll }: { height: number; width: number; scroll: number }) {
  return (
    <Box flexDirection="column" height={height}>
      <Rule text="keys (esc or ? closes, ↑↓ scroll)" width={width} />
      <Pane lines={helpLines()} height={Math.max(1, height - 1)} width={width} top={scroll} />
    </Box>
  );
}
