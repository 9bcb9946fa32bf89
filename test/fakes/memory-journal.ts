/**
 * A journal in memory. Events are stored as the JSON a file journal would write (a round trip
 * through JSON.stringify), so tests see exactly what would reach disk; transcripts likewise.
 */
import type { ShellSnapshot } from '../../src/exec/types.js';
import type { Journal, TranscriptSink } from '../../src/session/journal.js';
import type { SessionEvent } from '../../src/session/types.js';

export class MemoryJournal implements Journal {
  readonly lines: string[] = [];
  readonly transcripts = new Map<string, string>();
  closed = false;
  /** The kept shell state as JSON, as the file journal would write it (`saveShell`). */
  shell: string | undefined;

  constructor(readonly id = '20250101-120000-abcdef') {}

  get events(): SessionEvent[] {
    return this.lines.map((l) => JSON.parse(l) as SessionEvent);
  }

  async append(event: SessionEvent): Promise<void> {
    if (this.closed) throw new Error('journal closed');
    this.lines.push(JSON.stringify(event));
  }

  async openTranscript(name: string): Promise<TranscriptSink> {
    this.transcripts.set(name, '');
    return {
      write: (text: string) => {
        this.transcripts.set(name, (this.transcripts.get(name) ?? '') + text);
      },
      close: async () => undefined,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  async saveShell(snapshot: ShellSnapshot): Promise<void> {
    this.shell = JSON.stringify(snapshot);
  }

  async loadShell(): Promise<ShellSnapshot | undefined> {
    return this.shell === undefined ? undefined : (JSON.parse(this.shell) as ShellSnapshot);
  }

  async removeShell(): Promise<void> {
    this.shell = undefined;
  }

  /** Everything that would be on disk, for "the secret never appears" assertions. */
  dump(): string {
    return [...this.lines, ...this.transcripts.values(), this.shell ?? ''].join('\n');
  }
}
