import type { TestResult } from './ttest.js';
import type { Alternative } from './types.js';

// Asymptotic confidence sequences (Waudby-Smith et al., arXiv 2103.06476), as gbstats implements them:
// intervals that stay valid however often the results are looked at. `tuning` is the total sample size
// at which the sequence is tightest; n is the units of both arms together.

/** ρ for a tuning sample size (eq. 161); a one-sided sequence spends 2α on its one side. */
export function sequentialRho(alpha: number, tuning: number, twoSided: boolean): number {
  const a = twoSided ? alpha : 2 * alpha;
  return Math.sqrt((-2 * Math.log(a) + Math.log(-2 * Math.log(a) + 1)) / tuning);
}

/** Half-width of the two-sided sequence (eq. 9); s2 is the per-unit variance (se² · n). */
export function twoSidedHalfwidth(s2: number, n: number, rho: number, alpha: number): number {
  const r = n * rho * rho + 1;
  return Math.sqrt(s2) * Math.sqrt((2 * r * Math.log(Math.sqrt(r) / alpha)) / (n * rho) ** 2);
}

/** Half-width of the one-sided sequence (eq. 134). */
export function oneSidedHalfwidth(s2: number, n: number, rho: number, alpha: number): number {
  const r = n * rho * rho + 1;
  return Math.sqrt(((s2 * 2 * r) / (n * rho) ** 2) * Math.log(1 + Math.sqrt(r) / (2 * alpha)));
}

/**
 * The sequence's interval and p-value. Two-sided: p = 1 / e-value (eq. 155), capped at 1. One-sided:
 * the α at which the bound touches 0 — gbstats finds it by bisection on α; here it is the closed
 * form of the same equation (solving eq. 134 for α), and 1 when the estimate is on the null side.
 */
export function sequentialTest(estimate: number, se: number, n: number, alpha: number, tuning: number, alternative: Alternative): TestResult {
  const s2 = se * se * n;
  if (alternative === 'two-sided') {
    const rho = sequentialRho(alpha, tuning, true);
    const half = twoSidedHalfwidth(s2, n, rho, alpha);
    const r = n * rho * rho + 1;
    const st2 = (estimate * estimate * n) / (se * se);
    const logP = 0.5 * Math.log(r) - (rho * rho * st2) / (2 * r);
    return { ci: [estimate - half, estimate + half], pValue: Math.min(1, Math.exp(logP)) };
  }
  const rho = sequentialRho(alpha, tuning, false);
  const half = oneSidedHalfwidth(s2, n, rho, alpha);
  const d = alternative === 'greater' ? estimate : -estimate;
  const r = n * rho * rho + 1;
  const scale = (s2 * 2 * r) / (n * rho) ** 2;
  const pValue = d <= 0 ? 1 : Math.min(1, Math.sqrt(r) / (2 * Math.expm1((d * d) / scale)));
  const ci: [number, number] = alternative === 'greater' ? [estimate - half, Number.POSITIVE_INFINITY] : [Number.NEGATIVE_INFINITY, estimate + half];
  return { ci, pValue };
}
