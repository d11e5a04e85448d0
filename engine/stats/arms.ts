import { momentMean, unitVariance, varianceOfRatio, type Moment } from './moments.js';

/** One variant reduced to what the t test needs: units, (adjusted) mean and per-unit variance. */
export interface Arm {
  n: number;
  /** The estimate's mean: regression-adjusted for cuped. */
  mean: number;
  /** The mean as observed, the denominator of a relative lift. */
  unadjustedMean: number;
  variance: number;
}

export function meanArm(m: Moment): Arm {
  const mean = momentMean(m);
  return { n: m.n, mean, unadjustedMean: mean, variance: unitVariance(m) };
}

/** Lift of treatment over control and its sampling variance (the variance of the estimate, not per unit). */
export interface Effect {
  estimate: number;
  variance: number;
}

/** (mT - mC) / |mC|: the sign says which arm is higher even when the control mean is negative. */
export function liftEstimate(control: Arm, treatment: Arm, relative: boolean): number {
  const diff = treatment.mean - control.mean;
  return relative ? diff / Math.abs(control.unadjustedMean) : diff;
}

/** Absolute: vT/nT + vC/nC; relative: the delta method on mT / mC with independent arms. */
export function standardEffect(control: Arm, treatment: Arm, relative: boolean): Effect {
  const vt = treatment.variance / treatment.n;
  const vc = control.variance / control.n;
  const variance = relative ? varianceOfRatio(treatment.unadjustedMean, vt, control.unadjustedMean, vc, 0) : vt + vc;
  return { estimate: liftEstimate(control, treatment, relative), variance };
}

/** Welch–Satterthwaite degrees of freedom from the per-unit variances of the two arms. */
export function welchDof(control: Arm, treatment: Arm): number {
  const vt = treatment.variance / treatment.n;
  const vc = control.variance / control.n;
  return (vt + vc) ** 2 / ((vt * vt) / (treatment.n - 1) + (vc * vc) / (control.n - 1));
}
