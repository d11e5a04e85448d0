// Per-variant sufficient statistics (what the SQL aggregates return) and the shape of a comparison.
// The formulas follow GrowthBook's gbstats, so results match its published test values.

/** Σx and Σx² over the units of one variant. A conversion metric is encoded with sumSquares === sum. */
export interface MeanStats {
  type: 'mean';
  n: number;
  sum: number;
  sumSquares: number;
}

/** A ratio of two per-unit sums (numerator m, denominator d), analysed with the delta method. */
export interface RatioStats {
  type: 'ratio';
  n: number;
  mSum: number;
  mSumSquares: number;
  dSum: number;
  dSumSquares: number;
  mdSum: number;
}

/** The metric (sum, sumSquares) and its pre-exposure covariate (cov*), with Σ metric × covariate. */
export interface CupedStats {
  type: 'cuped';
  n: number;
  sum: number;
  sumSquares: number;
  covSum: number;
  covSumSquares: number;
  sumProduct: number;
}

export type VariantStats = MeanStats | RatioStats | CupedStats;

export type Alternative = 'two-sided' | 'greater' | 'less';

export interface CompareOptions {
  /** Default 'relative' (delta method): (mT - mC) / |mC|. */
  difference?: 'relative' | 'absolute';
  /** Default 0.05. */
  alpha?: number;
  /** Default 'two-sided'; 'greater' tests H1: treatment > control, 'less' H1: treatment < control. */
  alternative?: Alternative;
  /** Confidence sequences (valid under continuous monitoring); tuning default 5000. */
  sequential?: { tuning: number } | false;
}

export type ComparisonError = 'too_few_units' | 'zero_variance' | 'zero_control_mean';

export interface Comparison {
  /** Mean, ratio, or (for cuped) the unadjusted mean of the metric; NaN when the variant has no units. */
  controlMean: number;
  treatmentMean: number;
  /** Lift, relative or absolute. */
  estimate: number;
  se: number;
  /** One-sided tests: the open side is -Infinity / Infinity. */
  ci: [number, number];
  pValue: number;
  /**
   * Set (and estimate/se/ci NaN, pValue 1) when no test is possible:
   * 'too_few_units' (n < 2 in a variant), 'zero_variance', 'zero_control_mean'.
   */
  error?: ComparisonError;
}
