/**
 * `text` without what a terminal would obey rather than show: CSI and OSC sequences, any other
 * escape (charset switches like tput's ESC ( B, ESC c, ESC 7), then the control characters left
 * (shift-out, bell, backspace, C1). Tabs, newlines and carriage returns stay. Transcripts,
 * response bodies and journaled strings come from steps and servers, and are written to the
 * operator's terminal as they are: the TUI and `stepgate log` pass them through this first.
 */
export function printable(text: string): string {
  return text
    .replace(/\u001B\[[0-?]*[ -/]*[@-~]|\u001B\][^\u0007\u001B]*(?:\u0007|\u001B\\)|\u001B[ -/]*[0-~]/g, '')
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g, '');
}
