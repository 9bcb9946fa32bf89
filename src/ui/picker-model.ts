/** What the picker lists, and its filter. Pure. */

export type PickerEntry =
  | {
      kind: 'runbook';
      file: string;
      title: string;
      description?: string;
      steps: number;
      checks: number;
      /** Lint errors: such a runbook cannot be started. */
      errors: number;
      /** What other listed runbook reaches it, and as what (`checklist of deploy.md`). */
      partOf?: string;
    }
  | {
      kind: 'session';
      id: string;
      /** The session's main runbook. */
      file: string;
      title: string;
      /** blocked, interrupted, in progress ... */
      state: string;
      at?: string;
      startedAt?: number;
    };

/** Entries whose title, file or description contain every word of the filter (any case). */
export function filterEntries(entries: readonly PickerEntry[], filter: string): PickerEntry[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return [...entries];
  return entries.filter((e) => {
    const hay = `${e.title} ${e.file} ${e.kind === 'runbook' ? (e.description ?? '') : `${e.id} ${e.state}`}`.toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
