/** A half-open interval [start, end) of hash space. */
export type Range = readonly [number, number];

/** Weights normalised to sum 1; invalid input (non-positive sum) gives equal weights. */
export function normaliseWeights(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return weights.map(() => 1 / weights.length);
  return weights.map((w) => w / total);
}

/** Variant ranges: range_i = [c_i, c_i + coverage·w_i) with c_i the sum of earlier normalised weights. */
export function variantRanges(weights: readonly number[], coverage: number): Range[] {
  const cov = Math.min(1, Math.max(0, coverage));
  let cumulative = 0;
  return normaliseWeights(weights).map((w) => {
    const start = cumulative;
    cumulative += w;
    return [start, start + cov * w] as const;
  });
}

/** Index of the first range containing h, or -1 when the unit falls outside coverage. */
export function chooseVariant(h: number, ranges: readonly Range[]): number {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i]!;
    if (h >= r[0] && h < r[1]) return i;
  }
  return -1;
}

/** Whether h lies in the half-open slice [start, end). */
export function inRange(h: number, range: Range): boolean {
  return h >= range[0] && h < range[1];
}
