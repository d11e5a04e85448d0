import { chiSquareSurvival } from './distributions.js';

export interface SrmResult {
  chiSquare: number;
  df: number;
  pValue: number;
}

/**
 * Sample-ratio mismatch: Pearson's χ² of the units seen per variant against the configured weights
 * (normalised here, so 50/50 and 0.5/0.5 are the same). Like gbstats, variants with weight ≤ 0 add
 * nothing to χ² (their units still count in the total shared out) and df is the number of variants
 * minus one; no units at all is no evidence (p = 1).
 */
export function srmTest(observed: number[], weights: number[]): SrmResult {
  if (observed.length !== weights.length) throw new RangeError(`observed has ${observed.length} variants, weights ${weights.length}`);
  for (const [i, o] of observed.entries()) if (!(o >= 0 && Number.isFinite(o))) throw new RangeError(`observed[${i}] must be a count ≥ 0, got ${o}`);
  for (const [i, w] of weights.entries()) if (!Number.isFinite(w)) throw new RangeError(`weights[${i}] must be a finite number, got ${w}`);
  const df = Math.max(0, observed.length - 1);
  const total = observed.reduce((a, b) => a + b, 0);
  const totalWeight = weights.reduce((a, w) => a + (w > 0 ? w : 0), 0);
  if (total === 0 || df === 0 || totalWeight === 0) return { chiSquare: 0, df, pValue: 1 };
  let chiSquare = 0;
  for (let i = 0; i < observed.length; i++) {
    if (weights[i]! <= 0) continue;
    const expected = (weights[i]! / totalWeight) * total;
    chiSquare += (observed[i]! - expected) ** 2 / expected;
  }
  return { chiSquare, df, pValue: chiSquareSurvival(chiSquare, df) };
}
