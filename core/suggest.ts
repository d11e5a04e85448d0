import { closest, distance } from 'fastest-levenshtein';

/** The best "did you mean" candidate, if any is close enough to be a typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  if (candidates.length === 0) return undefined;
  const best = closest(word, candidates as string[]);
  return distance(word.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

/** A hint that names the closest candidate, else the fallback. */
export function suggestHint(word: string, candidates: readonly string[], fallback: string): string {
  const guess = didYouMean(word, candidates);
  return guess ? `did you mean "${guess}"?` : fallback;
}
