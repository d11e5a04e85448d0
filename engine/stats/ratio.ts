import type { Arm } from './arms.js';
import { covariance, unitVariance, varianceOfRatio, type Moment } from './moments.js';
import type { RatioStats } from './types.js';

/**
 * A ratio metric Σm / Σd as one arm: the per-unit variance of m̄ / d̄ by the delta method
 * (divided by n later, like any mean). No variance without units or with a zero denominator.
 */
export function ratioArm(s: RatioStats): Arm {
  const m: Moment = { n: s.n, sum: s.mSum, sumSquares: s.mSumSquares };
  const d: Moment = { n: s.n, sum: s.dSum, sumSquares: s.dSumSquares };
  const mean = s.dSum !== 0 ? s.mSum / s.dSum : Number.NaN;
  const meanM = s.n > 0 ? s.mSum / s.n : 0;
  const meanD = s.n > 0 ? s.dSum / s.n : 0;
  const variance = meanD === 0 || s.n <= 1 ? 0 : varianceOfRatio(meanM, unitVariance(m), meanD, unitVariance(d), covariance(s.n, m, d, s.mdSum));
  return { n: s.n, mean, unadjustedMean: mean, variance };
}
