/**
 * How the terminal's rows are shared between the regions. The whole frame stays below the
 * terminal's height: Ink clears the screen and redraws everything (flicker) once its output
 * is as tall as the terminal.
 */
import { fitsInCells, headInCells, padCells } from '../session/cells.js';
import { displayText } from '../session/printable.js';
import { clip } from '../session/word-wrap.js';

/** Below either limit the compact layout is used. */
export const COMPACT_COLS = 60;
export const COMPACT_ROWS = 16;

export interface Layout {
  cols: number;
  /** Rows the frame may use (terminal rows minus one). */
  height: number;
  compact: boolean;
  /** Header lines (title line, plus the recovery breadcrumb when one is open). */
  header: number;
  /** Checklist rows. */
  list: number;
  /** Detail/gate/prompt pane rows, its title line included. */
  detail: number;
  /** The status/key-hint bar. */
  status: number;
}

/** Splits `rows` for the runbook view; `recovery` adds a breadcrumb line when there is room. */
export function runbookLayout(cols: number, rows: number, recovery: boolean): Layout {
  const c = Math.max(20, cols);
  const height = Math.max(4, rows - 1);
  const compact = cols < COMPACT_COLS || rows < COMPACT_ROWS;
  const header = recovery && !compact ? 2 : 1;
  const status = 1;
  const body = Math.max(2, height - header - status);
  // The checklist gets about 40% (a third when compact), the detail pane the rest.
  const list = Math.max(1, Math.min(body - 1, Math.floor(body * (compact ? 0.34 : 0.4))));
  const detail = Math.max(1, body - list);
  return { cols: c, height: header + list + detail + status, compact, header, list, detail, status };
}

/** The first row of a window of `height` rows over `total` that keeps `selected` in view. */
export function scrollWindow(total: number, selected: number, height: number, previousTop = 0): number {
  if (total <= height) return 0;
  let top = Math.min(Math.max(0, previousTop), total - height);
  // Keep one row of context above and below the selection when there is room.
  const margin = height >= 5 ? 1 : 0;
  if (selected - margin < top) top = selected - margin;
  if (selected + margin >= top + height) top = selected + margin - height + 1;
  return Math.min(Math.max(0, top), total - height);
}

/** Fits text into `width` cells: cut with an ellipsis, or padded with spaces. */
export function fit(text: string, width: number, pad = false): string {
  if (width <= 0) return '';
  // Most of what is fitted comes from a runbook or a server: printable only.
  const flat = displayText(text).replace(/\t/g, '  ');
  const out = fitsInCells(flat, width) ? flat : `${headInCells(flat, width - 1)}…`;
  return pad ? padCells(out, width) : out;
}

/**
 * Fits words into `width` cells: a label or title cut at a word boundary with an ellipsis (or
 * padded). Output lines of a step are cut by `fit` instead: they are not prose.
 */
export function fitWords(text: string, width: number, pad = false): string {
  if (width <= 0) return '';
  const out = clip(displayText(text).replace(/\s*\n\s*/g, ' ').replace(/\t/g, '  '), width);
  return pad ? padCells(out, width) : out;
}
