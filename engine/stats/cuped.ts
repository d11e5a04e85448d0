import { meanArm, type Arm } from './arms.js';
import { covariance, momentMean, unitVariance, type Moment } from './moments.js';
import type { CupedStats } from './types.js';

// CUPED (regression adjustment, as gbstats does it): Y - θ·X with one θ pooled over both variants, so
// the adjustment is the same in each arm and the lift stays unbiased under randomisation.

const post = (s: CupedStats): Moment => ({ n: s.n, sum: s.sum, sumSquares: s.sumSquares });
const pre = (s: CupedStats): Moment => ({ n: s.n, sum: s.covSum, sumSquares: s.covSumSquares });

/** θ = cov(Y, X) / var(X) over both variants together; 0 when either has no variance. */
export function pooledTheta(a: CupedStats, b: CupedStats): number {
  const n = a.n + b.n;
  const y: Moment = { n, sum: a.sum + b.sum, sumSquares: a.sumSquares + b.sumSquares };
  const x: Moment = { n, sum: a.covSum + b.covSum, sumSquares: a.covSumSquares + b.covSumSquares };
  const vx = unitVariance(x);
  if (vx === 0 || unitVariance(y) === 0) return 0;
  return covariance(n, y, x, a.sumProduct + b.sumProduct) / vx;
}

function adjustedArm(s: CupedStats, theta: number): Arm {
  const y = post(s);
  const x = pre(s);
  const variance = s.n <= 1 ? 0 : unitVariance(y) + theta * theta * unitVariance(x) - 2 * theta * covariance(s.n, y, x, s.sumProduct);
  return { n: s.n, mean: momentMean(y) - theta * momentMean(x), unadjustedMean: momentMean(y), variance };
}

export interface CupedArms {
  control: Arm;
  treatment: Arm;
  /** 0 means no adjustment: the arms are the plain means of the metric. */
  theta: number;
}

/** Both arms adjusted with the pooled θ; without covariate (or metric) variance, the unadjusted arms. */
export function cupedArms(control: CupedStats, treatment: CupedStats): CupedArms {
  const theta = pooledTheta(control, treatment);
  if (theta === 0) return { control: meanArm(post(control)), treatment: meanArm(post(treatment)), theta };
  return { control: adjustedArm(control, theta), treatment: adjustedArm(treatment, theta), theta };
}

/**
 * Sampling variance of the relative lift (ȲT - θX̄T - ȲC + θX̄C) / |ȲC| by the delta method, with
 * gbstats' gradient (the control term uses ȲT, the two θX̄ terms cancelling in expectation).
 */
export function cupedRelativeVariance(control: CupedStats, treatment: CupedStats, theta: number): number {
  const uc = momentMean(post(control));
  const ut = momentMean(post(treatment));
  if (control.n * uc * uc === 0 || treatment.n * uc * uc === 0) return 0;
  const t = adjustedArm(treatment, theta);
  const vt = t.variance / (treatment.n * uc * uc);
  const y = post(control);
  const x = pre(control);
  const cov = covariance(control.n, y, x, control.sumProduct);
  const num = (unitVariance(y) * ut * ut) / (uc * uc) - (2 * theta * cov * ut) / uc + theta * theta * unitVariance(x);
  return vt + num / (control.n * uc * uc);
}
