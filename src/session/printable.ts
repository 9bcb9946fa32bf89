import { TerminalFilter } from './terminal-filter.js';

/**
 * `text` without what a terminal would obey rather than show: CSI and OSC sequences, any other
 * escape (charset switches like tput's ESC ( B, ESC c, ESC 7), then the control characters left
 * (shift-out, bell, backspace, C1). Tabs, newlines and carriage returns stay. Transcripts,
 * response bodies and journaled strings come from steps and servers, and are written to the
 * operator's terminal as they are: the TUI and `stepgate log` pass them through this first.
 */
export function printable(text: string): string {
  // OSC, DCS and the like first, as a terminal reads them (they may hold ESC, or be cut off).
  const filter = new TerminalFilter();
  return (filter.feed(text) + filter.flush())
    .replace(/\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[ -/]*[0-~]/g, '')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, '');
}

/** Bidirectional overrides and isolates: they reorder what is shown (a name that reads backwards). */
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text from a runbook, a journal or a server in stepgate's own lines (a title, a heading, a
 * check's name, an error body): `printable`, and without carriage returns (a lone CR lets the
 * text overwrite its own line on the screen) or bidirectional controls.
 */
export function displayText(text: string): string {
  return printable(text).replace(/\r\n/g, '\n').replace(/\r/g, '').replace(BIDI_CONTROLS, '');
}

/**
 * JSON for a terminal: JSON.stringify escapes C0 controls (ESC too) but writes DEL, C1
 * controls (U+009B is a CSI, U+009D an OSC to some terminals) and bidirectional controls as
 * they are; these become `\uXXXX` too. Still the same JSON to a parser.
 */
export function terminalJson(value: unknown, space?: number): string {
  return JSON.stringify(value, null, space).replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Text another user controls (a runbook's path, a step's name in their session), as one unit
 * in a sentence of stepgate's: bare when it is a plain word or path, else in double quotes,
 * JSON-escaped. A path holding `) ... it resumes as X (sudo ... | sh)` read as stepgate's own
 * words, a command to copy (a review's finding): quoted, it reads as the string it is.
 */
export function displayWord(text: string): string {
  const shown = displayText(text).replace(/[\t\n]/g, ' ');
  return /^[\w./@:+,=~-]+$/.test(shown) ? shown : JSON.stringify(shown);
}
