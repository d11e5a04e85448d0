import type { MeanStats, VariantStats } from './types.js';

/** One per-unit quantity of a variant: n units, Σx, Σx². */
export interface Moment {
  n: number;
  sum: number;
  sumSquares: number;
}

// A centred sum of squares below this share of Σx² is rounding noise of sums accumulated in floating
// point (a constant 0.1 summed a million times is already off by ~1e-11), not a variance: treat it as 0,
// so a constant metric or covariate reads as "no variance" instead of a spurious tiny one.
const NOISE = 1e-10;

/**
 * A 0/1 metric (a conversion): Σx² = Σx and 0 ≤ Σx ≤ n. gbstats models such metrics as proportions,
 * whose variance is p(1 - p) rather than the (n - 1) sample variance; matching it needs the same.
 */
export function isBinary(m: Moment): boolean {
  return m.sumSquares === m.sum && m.sum >= 0 && m.sum <= m.n;
}

export function momentMean(m: Moment): number {
  return m.n > 0 ? m.sum / m.n : Number.NaN;
}

/**
 * Sample variance with the n - 1 denominator; 0 below two units or within rounding noise. Sums that
 * no data could produce (Σx² < (Σx)²/n) give a negative value, as in gbstats: a mean metric then
 * fails the variance check, and a ratio's components enter the delta method as given.
 */
export function sampleVariance(m: Moment): number {
  if (m.n <= 1) return 0;
  const centred = m.sumSquares - (m.sum * m.sum) / m.n;
  if (Math.abs(centred) <= NOISE * Math.abs(m.sumSquares)) return 0;
  return centred / (m.n - 1);
}

/** The per-unit variance the tests use: p(1 - p) for a conversion, the sample variance otherwise. */
export function unitVariance(m: Moment): number {
  if (m.n <= 1) return 0;
  if (isBinary(m)) {
    const p = m.sum / m.n;
    return p * (1 - p);
  }
  return sampleVariance(m);
}

/** Covariance of two per-unit quantities of the same n units, given Σxy (gbstats' conventions). */
export function covariance(n: number, a: Moment, b: Moment, sumProduct: number): number {
  if (n <= 1) return 0;
  if (isBinary(a) && isBinary(b)) return sumProduct / n - (a.sum * b.sum) / (n * n);
  return (sumProduct - (a.sum * b.sum) / n) / (n - 1);
}

/** Delta-method variance of M / D from the moments of M and D and their covariance. */
export function varianceOfRatio(meanM: number, varM: number, meanD: number, varD: number, covMD: number): number {
  if (meanD === 0) return 0;
  return varM / meanD ** 2 + (varD * meanM ** 2) / meanD ** 4 - (2 * covMD * meanM) / meanD ** 3;
}

/** The mean of a variant: Σx / n, the ratio Σm / Σd, or for cuped the unadjusted mean of the metric. */
export function meanOf(s: VariantStats): number {
  if (s.type === 'ratio') return s.dSum !== 0 ? s.mSum / s.dSum : Number.NaN;
  return momentMean(s);
}

/** Sample variance (n - 1 denominator) of a mean metric; 0 below two units (negative only for impossible sums). */
export function varianceOf(s: MeanStats): number {
  return sampleVariance(s);
}
