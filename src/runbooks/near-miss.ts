/**
 * "Did you mean": a key, attribute or fence language one typo away from one stepgate knows.
 * A near miss is worse than an unknown word: `befor:`, `timeuot=` or ```` ```chek ```` look
 * right to a reader while stepgate silently drops the checklist, the timeout or the gate.
 */

/**
 * Edit distance counting an insertion, a deletion, a substitution or a swap of two neighbours
 * (`chekc` -> `check`) as one edit each (optimal string alignment).
 */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = [Array.from({ length: b.length + 1 }, (_, j) => j)];
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      const up = rows[i - 1] ?? [];
      let best = Math.min((up[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (up[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      row[j] = best;
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? 0;
}

/**
 * The known word `word` is most likely a typo of, compared case-insensitively: one edit away
 * from a word of up to 5 letters, two from a longer one (short words are too close to each
 * other to allow more). Undefined when `word` is known itself or nothing is that close.
 */
export function nearMiss(word: string, known: Iterable<string>): string | undefined {
  const lower = word.toLowerCase();
  const words = [...known];
  if (words.includes(word)) return undefined;
  return words.find((k) => editDistance(lower, k.toLowerCase()) <= typoEdits(k));
}

/** The edits a typo of `known` makes at most: one in a word of up to 5 letters, two in a longer one. */
export function typoEdits(known: string): number {
  return known.length > 5 ? 2 : 1;
}
