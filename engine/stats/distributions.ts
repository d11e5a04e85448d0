// The distribution functions the engine uses, in one place (stdlib, not hand-written special functions).
import chisquareCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalQuantileFn from '@stdlib/stats-base-dists-normal-quantile';
import tCdfFn from '@stdlib/stats-base-dists-t-cdf';
import tQuantileFn from '@stdlib/stats-base-dists-t-quantile';

/** P(T ≤ x) for Student's t with dof degrees of freedom. */
export function tCdf(x: number, dof: number): number {
  return tCdfFn(x, dof);
}

/** x with P(T ≤ x) = p for Student's t with dof degrees of freedom. */
export function tQuantile(p: number, dof: number): number {
  return tQuantileFn(p, dof);
}

/** P(Z ≤ x) for the standard normal. */
export function stdNormalCdf(x: number): number {
  return normalCdf(x, 0, 1);
}

/** x with P(Z ≤ x) = p for the standard normal. */
export function stdNormalQuantile(p: number): number {
  return normalQuantileFn(p, 0, 1);
}

/** P(X > x) for χ² with df degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return Math.max(0, 1 - chisquareCdf(x, df));
}

/** P(X ≤ x) for χ² with df degrees of freedom. */
export function chiSquareCdf(x: number, df: number): number {
  return chisquareCdf(x, df);
}
