/** Counts of faults tried and held, printed as `fault figures:` lines for docs/reliability.md. */
const counts = new Map<string, { tried: number; held: number; notes: string[] }>();

export function record(kind: string, held: boolean, note?: string): void {
  const c = counts.get(kind) ?? { tried: 0, held: 0, notes: [] };
  c.tried++;
  if (held) c.held++;
  else if (note) c.notes.push(note);
  counts.set(kind, c);
}

export function printFigures(): void {
  for (const [kind, c] of counts) {
    process.stdout.write(`fault figures: ${kind}: tried ${c.tried}, held ${c.held}${c.notes.length ? ` (not held: ${c.notes.join('; ')})` : ''}\n`);
  }
}
