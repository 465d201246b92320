/** Edit distance (insertions, deletions, substitutions) between two words, for "did you mean" suggestions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidates close to `word`, nearest first: within two edits (as cobra, kubectl's command library, suggests), or
 * starting with it. Empty when nothing is close.
 */
export function nearest(word: string, candidates: readonly string[]): string[] {
  return candidates
    .map((candidate) => ({ candidate, distance: candidate.startsWith(word) && word.length > 0 ? 0 : editDistance(word, candidate) }))
    .filter(({ distance }) => distance <= 2)
    .sort((a, b) => a.distance - b.distance || a.candidate.localeCompare(b.candidate))
    .map(({ candidate }) => candidate);
}

/** " (did you mean X or Y?)" for the nearest candidates, or "" when none is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const close = nearest(word, candidates).slice(0, 2);
  return close.length === 0 ? '' : `; did you mean ${close.join(' or ')}?`;
}
