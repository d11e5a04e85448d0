import { tCdf, tQuantile } from './distributions.js';
import type { Alternative } from './types.js';

/** An interval and a p-value for a lift. */
export interface TestResult {
  ci: [number, number];
  pValue: number;
}

/**
 * Fixed-horizon Welch t test of H0: lift = 0. 'greater' is H1: lift > 0 (interval open above),
 * 'less' H1: lift < 0 (open below). Tail probabilities use the lower tail of t by symmetry, so small
 * p-values keep their precision instead of vanishing in 1 - cdf.
 */
export function welchTest(estimate: number, se: number, dof: number, alpha: number, alternative: Alternative): TestResult {
  const t = estimate / se;
  if (alternative === 'two-sided') {
    const half = tQuantile(1 - alpha / 2, dof) * se;
    return { ci: [estimate - half, estimate + half], pValue: Math.min(1, 2 * tCdf(-Math.abs(t), dof)) };
  }
  const half = tQuantile(1 - alpha, dof) * se;
  if (alternative === 'greater') return { ci: [estimate - half, Number.POSITIVE_INFINITY], pValue: tCdf(-t, dof) };
  return { ci: [Number.NEGATIVE_INFINITY, estimate + half], pValue: tCdf(t, dof) };
}
