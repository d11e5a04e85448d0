import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  benjaminiHochberg,
  chiSquareCdf,
  compare,
  holm,
  meanOf,
  srmTest,
  stdNormalQuantile,
  tQuantile,
  varianceOf,
  type CompareOptions,
  type Comparison,
  type CupedStats,
  type MeanStats,
  type RatioStats,
  type VariantStats,
} from '../../engine/stats/index.js';
import { oneSidedHalfwidth, sequentialRho } from '../../engine/stats/sequential.js';

// GrowthBook gbstats' published test values (test/vectors/gbstats.json, a copy of the shared vectors),
// each to 1e-5 absolute as in gbstats' own CI; the Bayesian section is out of scope.
const TOL = 1e-5;
const vectors = JSON.parse(readFileSync(new URL('../vectors/gbstats.json', import.meta.url), 'utf8'));

type Side = { sum: number; sum_squares: number; n: number } | { successes: number; n: number };
const side = (s: Side): MeanStats =>
  'successes' in s ? { type: 'mean', n: s.n, sum: s.successes, sumSquares: s.successes } : { type: 'mean', n: s.n, sum: s.sum, sumSquares: s.sum_squares };

const mean = (sum: number, sumSquares: number, n: number): MeanStats => ({ type: 'mean', sum, sumSquares, n });
const conv = (successes: number, n: number): MeanStats => mean(successes, successes, n);
const cuped = (v: number[]): CupedStats => ({ type: 'cuped', n: v[0]!, sum: v[1]!, sumSquares: v[2]!, covSum: v[3]!, covSumSquares: v[4]!, sumProduct: v[5]! });
const ratio = (v: number[]): RatioStats => ({ type: 'ratio', n: v[0]!, mSum: v[1]!, mSumSquares: v[2]!, dSum: v[3]!, dSumSquares: v[4]!, mdSum: v[5]! });

function near(actual: number, expected: number, tol = TOL): void {
  if (expected === Infinity || expected === -Infinity) expect(actual).toBe(expected);
  else expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(tol);
}

interface Expected {
  estimate: number;
  se?: number;
  ci?: [number, number];
  p_value: number;
}
function expectResult(r: Comparison, e: Expected): void {
  expect(r.error).toBeUndefined();
  near(r.estimate, e.estimate);
  if (e.se !== undefined) near(r.se, e.se);
  if (e.ci) {
    near(r.ci[0], e.ci[0]);
    near(r.ci[1], e.ci[1]);
  }
  near(r.pValue, e.p_value);
}

describe('gbstats vectors', () => {
  it('covers every section of the vector file (the Bayesian one deliberately not)', () => {
    const sections = Object.keys(vectors).filter((k) => k !== 'source' && k !== 'notes');
    expect(sections.sort()).toEqual(['bayesian', 'cuped', 'frequentist_two_sided', 'multiple_testing', 'quantiles', 'ratio', 'sequential_two_sided', 'srm_chi_squared']);
  });

  describe('frequentist two-sided', () => {
    for (const v of vectors.frequentist_two_sided) {
      it(v.name, () => expectResult(compare(side(v.control), side(v.treatment), { difference: v.difference }), v.expected));
    }
  });

  describe('sequential two-sided', () => {
    for (const v of vectors.sequential_two_sided) {
      it(v.name, () => expectResult(compare(side(v.control), side(v.treatment), { sequential: { tuning: v.tuning } }), v.expected));
    }
  });

  describe('cuped', () => {
    for (const v of vectors.cuped) {
      const c = (s: Record<string, number>) => cuped([s.n!, s.main_sum!, s.main_sum_squares!, s.covariate_sum!, s.covariate_sum_squares!, s.main_covariate_sum_product!]);
      it(v.name, () => {
        const r = compare(c(v.control), c(v.treatment));
        expectResult(r, v.expected);
        near(r.controlMean, v.control.main_sum / v.control.n); // the unadjusted mean
      });
    }
  });

  describe('ratio', () => {
    for (const v of vectors.ratio) {
      const r = (s: Record<string, number>) => ratio([s.n!, s.m_sum!, s.m_sum_squares!, s.d_sum!, s.d_sum_squares!, s.m_d_sum_of_products!]);
      it(v.name, () => {
        const out = compare(r(v.control), r(v.treatment));
        expectResult(out, v.expected);
        near(out.controlMean, v.expected.control_ratio);
        near(out.treatmentMean, v.expected.treatment_ratio);
      });
    }
  });

  describe('multiple testing', () => {
    it('holm_bonferroni', () => {
      const { p_values, adjusted } = vectors.multiple_testing.holm_bonferroni;
      holm(p_values).forEach((p, i) => near(p, adjusted[i]));
    });
    it('benjamini_hochberg', () => {
      const { p_values, adjusted } = vectors.multiple_testing.benjamini_hochberg;
      benjaminiHochberg(p_values).forEach((p, i) => near(p, adjusted[i]));
    });
  });

  describe('srm chi-squared', () => {
    for (const v of vectors.srm_chi_squared) {
      it(`observed ${v.observed.join('/')}, weights ${v.weights.join('/')}`, () => {
        const r = srmTest(v.observed, v.weights);
        expect(r.df).toBe(v.observed.length - 1);
        near(r.pValue, v.p_value);
      });
    }
  });

  describe('quantiles', () => {
    const q = vectors.quantiles;
    it('normal_0.975', () => near(stdNormalQuantile(0.975), q['normal_0.975']));
    it('t_0.975_df10', () => near(tQuantile(0.975, 10), q['t_0.975_df10']));
    it('chisq_0.95_df1', () => {
      // Only the χ² cdf is needed (for SRM); its inverse by bisection must land on the quantile.
      let lo = 0;
      let hi = 20;
      for (let i = 0; i < 100; i++) {
        const mid = (lo + hi) / 2;
        if (chiSquareCdf(mid, 1) < 0.95) lo = mid;
        else hi = mid;
      }
      near(lo, q['chisq_0.95_df1']);
      near(chiSquareCdf(q['chisq_0.95_df1'], 1), 0.95, 1e-12);
    });
  });
});

// More reference values, computed by running gbstats 0.8.0's frequentist source (packages/stats) on
// these inputs: the paths the published vectors leave out (one-sided, CUPED absolute and sequential,
// binary CUPED, absolute ratio, alpha, a negative baseline). A = gbstats' stat_a (3,000 units).
const A = [1396.87, 52377.9767, 3000];
const B = [2422.7, 134698.29, 3461];
const RA_C = [3001, 300, 600, 210, 415, -20];
const RA_T = [3000, 222, 555, 120, 405, -10];
const BIN_C = [2000, 230, 230, 400, 400, 120];
const BIN_T = [2100, 290, 290, 430, 430, 150];
const RATIO_C = [100, 270, 848.79, 510, 810, -900];
const RATIO_T = [120, 300, 869, 500, 800, -905];
type Kind = 'mean' | 'cuped' | 'ratio';
const build = (k: Kind, v: number[]): VariantStats => (k === 'mean' ? mean(v[0]!, v[1]!, v[2]!) : k === 'cuped' ? cuped(v) : ratio(v));
const REFERENCE: Array<[string, Kind, number[], number[], CompareOptions, [number, number, number, number, number]]> = [
  // name, kind, control, treatment, options, [estimate, se, ci low, ci high, p]
  ['means, one-sided greater, relative', 'mean', A, B, { alternative: 'greater' }, [0.5033610858562358, 0.3334122146400735, -0.045136675850396046, Infinity, 0.06558262868467746]],
  ['means, one-sided less, relative', 'mean', A, B, { alternative: 'less' }, [0.5033610858562358, 0.3334122146400735, -Infinity, 1.0518588475628676, 0.9344173713153225]],
  ['means, one-sided greater, absolute', 'mean', A, B, { difference: 'absolute', alternative: 'greater' }, [0.23437666666666668, 0.12983081254184736, 0.020791480063255735, Infinity, 0.03554272489873023]],
  ['means, one-sided less, absolute', 'mean', A, B, { difference: 'absolute', alternative: 'less' }, [0.23437666666666668, 0.12983081254184736, -Infinity, 0.44796185327007765, 0.9644572751012698]],
  ['means, alpha 0.1', 'mean', A, B, { alpha: 0.1 }, [0.5033610858562358, 0.3334122146400735, -0.045136675850396046, 1.0518588475628676, 0.13116525736935492]],
  ['negative control mean, relative', 'mean', [-50, 900, 400], [-30, 1000, 410], {}, [0.41463414634146345, 0.7096649717057563, -0.9783709463701135, 1.8076392390530405, 0.5592035215532636]],
  ['negative control mean, absolute', 'mean', [-50, 900, 400], [-30, 1000, 410], { difference: 'absolute' }, [0.05182926829268293, 0.10747200474386247, -0.159128093139827, 0.2627866297251929, 0.6297531052213658]],
  ['cuped, absolute', 'cuped', RA_C, RA_T, { difference: 'absolute' }, [-0.02816132827514771, 0.011075982918923316, -0.04987423944207356, -0.00644841710822186, 0.011029368646360727]],
  ['cuped, sequential, relative', 'cuped', RA_C, RA_T, { sequential: { tuning: 5000 } }, [-0.2817071538457276, 0.09710487644510962, -0.5765824790745644, 0.013168171383109217, 0.07197882787660587]],
  ['cuped, sequential, absolute', 'cuped', RA_C, RA_T, { difference: 'absolute', sequential: { tuning: 5000 } }, [-0.02816132827514771, 0.011075982918923316, -0.06179541736533611, 0.005472760815040688, 0.17406659717891823]],
  ['cuped on conversions, relative', 'cuped', BIN_C, BIN_T, {}, [0.19052386726994214, 0.09467087419775744, 0.004917515493347402, 0.3761302190465369, 0.044234002005208994]],
  ['cuped on conversions, absolute', 'cuped', BIN_C, BIN_T, { difference: 'absolute' }, [0.021910244736043347, 0.009893809873823874, 0.0025130016936293596, 0.04130748777845733, 0.02684645396863794]],
  ['ratio, absolute', 'ratio', RATIO_C, RATIO_T, { difference: 'absolute' }, [0.07058823529411762, 0.1301002970571429, -0.18582791239268798, 0.3270043829809232, 0.587981918764277]],
];

describe('gbstats reference values beyond the vector file', () => {
  it.each(REFERENCE)('%s', (_name, kind, c, t, opts, [estimate, se, lo, hi, p]) => {
    expectResult(compare(build(kind, c), build(kind, t), opts), { estimate, se, ci: [lo, hi], p_value: p });
  });

  it('sequential one-sided: the exact α where the bound touches 0 (gbstats bisects to ~1e-5 of it)', () => {
    const r = compare(build('mean', B), build('mean', A), { alternative: 'less', sequential: { tuning: 1000 } });
    near(r.estimate, -0.3348238095238096);
    near(r.ci[1], 0.09717992914554185);
    expect(r.ci[0]).toBe(-Infinity);
    near(r.pValue, 0.2849662167358399, 2e-5); // gbstats stops its bisection once the bound is within 1e-6
    // The p-value is the level at which the bound (ρ fixed by the configured α, as in gbstats) is 0.
    const n = 3000 + 3461;
    const rho = sequentialRho(0.05, 1000, false);
    expect(Math.abs(r.estimate + oneSidedHalfwidth(r.se ** 2 * n, n, rho, r.pValue))).toBeLessThan(1e-12);
  });
});

/** Sums of values the way SQL would accumulate them (left to right, in doubles). */
function sums(values: readonly number[]): MeanStats {
  let sum = 0;
  let sumSquares = 0;
  for (const x of values) {
    sum += x;
    sumSquares += x * x;
  }
  return mean(sum, sumSquares, values.length);
}

describe('edge cases', () => {
  const expectNeutral = (r: Comparison, error: Comparison['error']) => {
    expect(r.error).toBe(error);
    expect(r.pValue).toBe(1);
    expect(r.estimate).toBeNaN();
    expect(r.se).toBeNaN();
    expect(r.ci.every(Number.isNaN)).toBe(true);
  };

  it('fewer than 2 units in a variant: too_few_units, for every metric type', () => {
    expectNeutral(compare(mean(3, 9, 1), mean(50, 300, 10)), 'too_few_units');
    expectNeutral(compare(mean(50, 300, 10), mean(0, 0, 0)), 'too_few_units');
    expectNeutral(compare(cuped([1, 2, 4, 1, 1, 2]), cuped(RA_T)), 'too_few_units');
    expectNeutral(compare(ratio(RATIO_C), ratio([1, 2, 4, 3, 9, 6])), 'too_few_units');
    // The means are still reported; a variant without units has none.
    const r = compare(mean(3, 9, 1), mean(0, 0, 0));
    expect(r.controlMean).toBe(3);
    expect(r.treatmentMean).toBeNaN();
  });

  it('zero variance: every unit converting, a constant metric (even summed with rounding), one flat arm', () => {
    expectNeutral(compare(conv(500, 500), conv(480, 480)), 'zero_variance');
    expectNeutral(compare(conv(0, 500), conv(3, 480)), 'zero_variance'); // zero variance is reported before the zero mean
    expectNeutral(compare(sums(new Array(100_000).fill(0.1)), sums(new Array(90_000).fill(0.1)), { difference: 'absolute' }), 'zero_variance');
    expectNeutral(compare(mean(5000, 25000, 1000), mean(5100, 27000, 1000)), 'zero_variance');
    expectNeutral(compare(ratio([100, 270, 848.79, 0, 0, 0]), ratio(RATIO_T)), 'zero_variance'); // no denominator in control
    expect(varianceOf(sums(new Array(100_000).fill(0.1)))).toBe(0);
  });

  it('zero control mean: relative lift impossible, absolute lift fine', () => {
    const c = sums([-2, 2, -1, 1, 0, 3, -3]);
    const t = sums([1, 2, 0, 3, -1, 2, 1]);
    expectNeutral(compare(c, t), 'zero_control_mean');
    const abs = compare(c, t, { difference: 'absolute' });
    expect(abs.error).toBeUndefined();
    near(abs.estimate, 8 / 7, 1e-12);
    expect(abs.pValue).toBeGreaterThan(0);
    expect(abs.pValue).toBeLessThan(1);
  });

  it('cuped with a constant covariate is exactly the unadjusted test', () => {
    const data = (k: number) => Array.from({ length: 400 }, (_, i) => ((i * 7919 + k) % 101) / 10);
    for (const constant of [3, 0.1]) {
      const withCov = (values: number[]): CupedStats => {
        const s = sums(values);
        const cov = sums(values.map(() => constant));
        let sumProduct = 0;
        for (const v of values) sumProduct += v * constant;
        return { type: 'cuped', n: s.n, sum: s.sum, sumSquares: s.sumSquares, covSum: cov.sum, covSumSquares: cov.sumSquares, sumProduct };
      };
      const [yc, yt] = [data(1), data(5).map((x) => x + 0.4)];
      for (const opts of [{}, { difference: 'absolute' }, { sequential: { tuning: 5000 } }, { alternative: 'greater' }] as CompareOptions[]) {
        const adjusted = compare(withCov(yc), withCov(yt), opts);
        expect(adjusted.error).toBeUndefined();
        expect(adjusted).toEqual(compare(sums(yc), sums(yt), opts));
      }
    }
  });

  it('cuped with a correlated covariate narrows the interval around the same kind of estimate', () => {
    const x = Array.from({ length: 1000 }, (_, i) => Math.sin(i * 12.9898) * 5);
    const noise = (i: number) => Math.sin(i * 78.233 + 1) * 2;
    const stats = (shift: number, from: number): CupedStats => {
      let s = 0, ss = 0, cs = 0, css = 0, sp = 0;
      for (let i = from; i < from + 500; i++) {
        const y = 10 + shift + x[i]! + noise(i);
        s += y; ss += y * y; cs += x[i]!; css += x[i]! ** 2; sp += y * x[i]!;
      }
      return { type: 'cuped', n: 500, sum: s, sumSquares: ss, covSum: cs, covSumSquares: css, sumProduct: sp };
    };
    const c = stats(0, 0);
    const t = stats(0.5, 500);
    const adjusted = compare(c, t);
    const plain = compare(mean(c.sum, c.sumSquares, c.n), mean(t.sum, t.sumSquares, t.n));
    expect(adjusted.controlMean).toBe(plain.controlMean);
    expect(adjusted.se).toBeLessThan(plain.se * 0.6);
    near(adjusted.estimate, 0.05, 0.02);
  });

  it('one-sided p-values are half the two-sided one on the tested side, 1 - half on the other; the open side is infinite', () => {
    const c = mean(...(A as [number, number, number]));
    const t = mean(...(B as [number, number, number]));
    for (const difference of ['relative', 'absolute'] as const) {
      const two = compare(c, t, { difference });
      const greater = compare(c, t, { difference, alternative: 'greater' });
      const less = compare(c, t, { difference, alternative: 'less' });
      expect(two.estimate).toBeGreaterThan(0);
      near(greater.pValue, two.pValue / 2, 1e-12);
      near(less.pValue, 1 - two.pValue / 2, 1e-12);
      expect(greater.ci[1]).toBe(Infinity);
      expect(less.ci[0]).toBe(-Infinity);
      // A one-sided 95% bound is the matching end of the two-sided 90% interval.
      const ninety = compare(c, t, { difference, alpha: 0.1 });
      near(greater.ci[0], ninety.ci[0], 1e-12);
      near(less.ci[1], ninety.ci[1], 1e-12);
      // Swapping the arms flips the sign: 'less' on the swapped pair is 'greater' here.
      near(compare(t, c, { difference: 'absolute', alternative: 'less' }).pValue, compare(c, t, { difference: 'absolute', alternative: 'greater' }).pValue, 1e-12);
    }
  });

  it('sequential intervals are wider than fixed-horizon ones; one-sided sequential p is 1 on the null side', () => {
    const c = mean(...(A as [number, number, number]));
    const t = mean(...(B as [number, number, number]));
    const fixed = compare(c, t);
    const seq = compare(c, t, { sequential: { tuning: 5000 } });
    expect(seq.ci[0]).toBeLessThan(fixed.ci[0]);
    expect(seq.ci[1]).toBeGreaterThan(fixed.ci[1]);
    expect(seq.pValue).toBeGreaterThanOrEqual(fixed.pValue);
    const wrongSide = compare(c, t, { alternative: 'less', sequential: { tuning: 5000 } });
    expect(wrongSide.pValue).toBe(1);
    expect(wrongSide.ci[0]).toBe(-Infinity);
  });

  it('a ratio whose denominator is 1 per unit is the mean of its numerator', () => {
    const m = sums([3, 5, 0, 2, 8, 1, 4]);
    const m2 = sums([6, 2, 9, 4, 7, 5, 3, 8]);
    const r = (s: MeanStats): RatioStats => ({ type: 'ratio', n: s.n, mSum: s.sum, mSumSquares: s.sumSquares, dSum: s.n, dSumSquares: s.n, mdSum: s.sum });
    const viaRatio = compare(r(m), r(m2));
    const viaMean = compare(m, m2);
    for (const k of ['estimate', 'se', 'pValue'] as const) near(viaRatio[k], viaMean[k], 1e-12);
    expect(meanOf(r(m))).toBe(meanOf(m));
  });

  it('meanOf and varianceOf agree with the data', () => {
    const values = [2.5, 3.5, 1, 7, 4.25];
    const mu = values.reduce((a, b) => a + b) / values.length;
    near(meanOf(sums(values)), mu, 1e-12);
    near(varianceOf(sums(values)), values.reduce((a, x) => a + (x - mu) ** 2, 0) / (values.length - 1), 1e-12);
    expect(meanOf(ratio(RATIO_C))).toBe(270 / 510);
    expect(meanOf(cuped(RA_C))).toBe(300 / 3001);
  });

  it('rejects mixed metric types, non-finite sums and bad options', () => {
    expect(() => compare(mean(1, 1, 2), ratio(RATIO_T))).toThrow(TypeError);
    expect(() => compare(mean(Number.NaN, 1, 2), mean(1, 1, 2))).toThrow(/control.sum/);
    expect(() => compare(mean(1, 1, 2), mean(1, 1, 2), { alpha: 0 })).toThrow(/alpha/);
    expect(() => compare(mean(1, 1, 2), mean(1, 1, 2), { sequential: { tuning: -1 } })).toThrow(/tuning/);
  });
});

describe('srmTest', () => {
  it('normalises weights, skips zero weights like gbstats, and gives p = 1 without units', () => {
    expect(srmTest([1000, 1100], [50, 50])).toEqual(srmTest([1000, 1100], [0.5, 0.5]));
    const three = srmTest([1000, 1050, 7], [1, 1, 0]);
    expect(three.df).toBe(2);
    // As in gbstats, the expected counts share out all units seen, those of the zero-weight arm included.
    near(three.chiSquare, (1000 - 1028.5) ** 2 / 1028.5 + (1050 - 1028.5) ** 2 / 1028.5, 1e-9);
    expect(srmTest([0, 0], [0.5, 0.5])).toEqual({ chiSquare: 0, df: 1, pValue: 1 });
    expect(srmTest([5000, 5000], [0.5, 0.5]).pValue).toBe(1);
    expect(() => srmTest([1, 2], [1])).toThrow(RangeError);
  });
});

describe('holm and benjaminiHochberg', () => {
  it('keep the input order, cap at 1, never lower a p-value, and handle an empty family', () => {
    const ps = [0.3, 0.001, 0.2, 0.04, 0.9];
    for (const adjust of [holm, benjaminiHochberg]) {
      const out = adjust(ps);
      expect(out).toHaveLength(ps.length);
      out.forEach((q, i) => {
        expect(q).toBeGreaterThanOrEqual(ps[i]!);
        expect(q).toBeLessThanOrEqual(1);
      });
      // Order-preserving: a smaller raw p never gets a larger adjusted one.
      for (let i = 0; i < ps.length; i++) for (let j = 0; j < ps.length; j++) if (ps[i]! < ps[j]!) expect(out[i]).toBeLessThanOrEqual(out[j]!);
      expect(adjust([])).toEqual([]);
      expect(adjust([0.03])).toEqual([0.03]);
    }
    holm(ps).forEach((q, i) => near(q, [0.6, 0.005, 0.6, 0.16, 0.9][i]!, 1e-12));
    near(benjaminiHochberg(ps)[3]!, 0.1, 1e-12);
    expect(() => holm([0.5, 1.2])).toThrow(RangeError);
  });
});
