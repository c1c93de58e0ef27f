// "Did you mean ...?" for a misspelled entry or profile name: the closest known name by edit
// distance (Levenshtein with swapped neighbours counted as one edit, the commonest typo).

export function editDistance(a: string, b: string): number {
  let prev: number[] = [];
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) {
      next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) next[j] = Math.min(next[j]!, prev[j - 2]! + 1);
    }
    [prev, row] = [row, next];
  }
  return row[b.length]!;
}

/** The known name nearest to `name` (at most a third of its length away, and 3), or null. */
export function closest(name: string, known: Iterable<string>): string | null {
  let best: string | null = null;
  let bestD = Math.min(3, Math.max(1, Math.floor(name.length / 3)));
  for (const k of known) {
    const d = editDistance(name, k);
    if (d <= bestD && (best === null || d < bestD)) [best, bestD] = [k, d];
  }
  return best;
}

/** The hints for an unknown name: a suggestion when one is close, then where to look. */
export function unknownNameHints(name: string, known: Iterable<string>, hint: string): string[] {
  const near = closest(name, known);
  return [...(near ? [`did you mean ${near}?`] : []), hint];
}
