import mt19937 from '@stdlib/random-base-mt19937';
import normal from '@stdlib/random-base-normal';
import kstest from '@stdlib/stats-kstest';
import { describe, expect, it } from 'vitest';
import { benjaminiHochberg, compare, holm, srmTest, type CompareOptions, type CupedStats, type MeanStats } from '../../engine/stats/index.js';

// The engine proven by simulation: experiments with a known true lift, units drawn one by one and
// summed the way the SQL aggregates do (n, Σx, Σx², Σxy), then `compare`. Seeds are fixed, so every
// figure below is reproducible; the bounds leave room for Monte Carlo error (2,000 repetitions: the
// standard error of a 95% coverage is 0.5 points, so 93.5–96.5% is ±3 of them).

const REPS = 2000;
const UNITS = 1000; // per arm
const COVERAGE: [number, number] = [0.935, 0.965];

/** Accumulates one arm's sufficient statistics unit by unit. */
class Sums {
  n = 0;
  sum = 0;
  sumSquares = 0;
  covSum = 0;
  covSumSquares = 0;
  sumProduct = 0;
  add(y: number, x = 0): void {
    this.n++;
    this.sum += y;
    this.sumSquares += y * y;
    this.covSum += x;
    this.covSumSquares += x * x;
    this.sumProduct += x * y;
  }
  mean(): MeanStats {
    return { type: 'mean', n: this.n, sum: this.sum, sumSquares: this.sumSquares };
  }
  cuped(): CupedStats {
    return { type: 'cuped', n: this.n, sum: this.sum, sumSquares: this.sumSquares, covSum: this.covSum, covSumSquares: this.covSumSquares, sumProduct: this.sumProduct };
  }
}

const covers = (ci: [number, number], truth: number) => ci[0] <= truth && truth <= ci[1];
const share = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const ksUniform = (ps: number[]) => kstest(ps, 'uniform', 0, 1).pValue;

/** Seeded uniform draws in [0, 1) from MT19937's 32-bit integers. */
function uniform(seed: number): () => number {
  const next = mt19937.factory({ seed });
  return () => next() / 4294967296;
}

/** One experiment with normal outcomes: control N(mu, sd), treatment N(mu · (1 + lift), sd). */
function normalArms(rnorm: (mu: number, sd: number) => number, mu: number, sd: number, lift: number, units = UNITS): [MeanStats, MeanStats] {
  const c = new Sums();
  const t = new Sums();
  for (let i = 0; i < units; i++) c.add(rnorm(mu, sd));
  for (let i = 0; i < units; i++) t.add(rnorm(mu * (1 + lift), sd));
  return [c.mean(), t.mean()];
}

describe('simulation: intervals cover the true lift', () => {
  it('normal metric: the 95% interval covers the true relative and absolute lift 93.5–96.5% of the time', () => {
    const rnorm = normal.factory({ seed: 11 });
    const rel: boolean[] = [];
    const abs: boolean[] = [];
    for (let r = 0; r < REPS; r++) {
      const [c, t] = normalArms(rnorm, 10, 3, 0.05);
      rel.push(covers(compare(c, t).ci, 0.05));
      abs.push(covers(compare(c, t, { difference: 'absolute' }).ci, 0.5));
    }
    expect(share(rel)).toBeGreaterThanOrEqual(COVERAGE[0]);
    expect(share(rel)).toBeLessThanOrEqual(COVERAGE[1]);
    expect(share(abs)).toBeGreaterThanOrEqual(COVERAGE[0]);
    expect(share(abs)).toBeLessThanOrEqual(COVERAGE[1]);
  });

  it('conversion metric (10% → 11%): the same coverage for the relative and absolute lift', () => {
    const u = uniform(12);
    const rel: boolean[] = [];
    const abs: boolean[] = [];
    for (let r = 0; r < REPS; r++) {
      const c = new Sums();
      const t = new Sums();
      for (let i = 0; i < UNITS; i++) c.add(u() < 0.1 ? 1 : 0);
      for (let i = 0; i < UNITS; i++) t.add(u() < 0.11 ? 1 : 0);
      rel.push(covers(compare(c.mean(), t.mean()).ci, 0.1));
      abs.push(covers(compare(c.mean(), t.mean(), { difference: 'absolute' }).ci, 0.01));
    }
    expect(share(rel)).toBeGreaterThanOrEqual(COVERAGE[0]);
    expect(share(rel)).toBeLessThanOrEqual(COVERAGE[1]);
    expect(share(abs)).toBeGreaterThanOrEqual(COVERAGE[0]);
    expect(share(abs)).toBeLessThanOrEqual(COVERAGE[1]);
  });

  it('sequential: peeking at 10 looks, the confidence sequence covers at every look ≥ 95% of the time (fixed intervals do not)', () => {
    const rnorm = normal.factory({ seed: 13 });
    const seqAll: boolean[] = [];
    const fixedAll: boolean[] = [];
    const opts: CompareOptions = { difference: 'absolute', sequential: { tuning: 5000 } };
    for (let r = 0; r < REPS; r++) {
      const c = new Sums();
      const t = new Sums();
      let seqOk = true;
      let fixedOk = true;
      for (let look = 1; look <= 10; look++) {
        for (let i = 0; i < UNITS / 10; i++) {
          c.add(rnorm(10, 3));
          t.add(rnorm(10.5, 3));
        }
        seqOk &&= covers(compare(c.mean(), t.mean(), opts).ci, 0.5);
        fixedOk &&= covers(compare(c.mean(), t.mean(), { difference: 'absolute' }).ci, 0.5);
      }
      seqAll.push(seqOk);
      fixedAll.push(fixedOk);
    }
    expect(share(seqAll)).toBeGreaterThanOrEqual(0.95);
    // The check has teeth: the fixed-horizon interval, peeked at the same looks, misses far more often.
    expect(share(fixedAll)).toBeLessThan(0.9);
  });

  it('CUPED with a correlated pre-period covariate keeps the coverage and narrows the interval', () => {
    const rnorm = normal.factory({ seed: 14 });
    const rel: boolean[] = [];
    const abs: boolean[] = [];
    const ratio: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const c = new Sums();
      const t = new Sums();
      // y = 10 (+0.5 in treatment) + 0.8 (x - 10) + noise; corr(x, y) = 0.8.
      for (let i = 0; i < UNITS; i++) {
        const x = rnorm(10, 3);
        c.add(10 + 0.8 * (x - 10) + rnorm(0, 1.8), x);
      }
      for (let i = 0; i < UNITS; i++) {
        const x = rnorm(10, 3);
        t.add(10.5 + 0.8 * (x - 10) + rnorm(0, 1.8), x);
      }
      const adjusted = compare(c.cuped(), t.cuped());
      rel.push(covers(adjusted.ci, 0.05));
      abs.push(covers(compare(c.cuped(), t.cuped(), { difference: 'absolute' }).ci, 0.5));
      ratio.push(adjusted.se / compare(c.mean(), t.mean()).se);
    }
    expect(share(rel)).toBeGreaterThanOrEqual(COVERAGE[0]);
    expect(share(rel)).toBeLessThanOrEqual(COVERAGE[1]);
    expect(share(abs)).toBeGreaterThanOrEqual(COVERAGE[0]);
    expect(share(abs)).toBeLessThanOrEqual(COVERAGE[1]);
    // sqrt(1 - 0.8²) = 0.6 in theory.
    expect(mean(ratio)).toBeLessThan(0.65);
    expect(mean(ratio)).toBeGreaterThan(0.55);
  });
});

describe('simulation: p-values under the null', () => {
  it('A/A on a normal metric: p-values are uniform (KS) and 5% fall below 0.05', () => {
    const rnorm = normal.factory({ seed: 21 });
    const ps: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const [c, t] = normalArms(rnorm, 10, 3, 0);
      ps.push(compare(c, t).pValue);
    }
    expect(ksUniform(ps)).toBeGreaterThan(0.01);
    const fpr = share(ps.map((p) => p < 0.05));
    expect(fpr).toBeGreaterThan(0.035);
    expect(fpr).toBeLessThan(0.065);
  });

  it('A/A on a conversion metric (50%, 10,000 units an arm): p-values are uniform (KS)', () => {
    // Conversion p-values are discrete (a difference of 0 or ±1 conversions gives p ≈ 1); with 2,000
    // units an arm that gap alone is a KS distance of ~0.025 against a 1% critical value of 0.036, so
    // the arms are large enough here for the lattice to be finer than what KS can see.
    const u = uniform(22);
    const ps: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const c = new Sums();
      const t = new Sums();
      for (let i = 0; i < 10_000; i++) c.add(u() < 0.5 ? 1 : 0);
      for (let i = 0; i < 10_000; i++) t.add(u() < 0.5 ? 1 : 0);
      ps.push(compare(c.mean(), t.mean()).pValue);
    }
    expect(ksUniform(ps)).toBeGreaterThan(0.01);
  });

  it('SRM: χ² p-values under the right weights (50/25/25) are uniform; 51/49 at 100k units is flagged at p < 0.001', () => {
    const u = uniform(23);
    const ps: number[] = [];
    for (let r = 0; r < REPS; r++) {
      const counts = [0, 0, 0];
      for (let i = 0; i < 10_000; i++) {
        const x = u();
        counts[x < 0.5 ? 0 : x < 0.75 ? 1 : 2]!++;
      }
      ps.push(srmTest(counts, [50, 25, 25]).pValue);
    }
    expect(ksUniform(ps)).toBeGreaterThan(0.01);
    // A 2-point imbalance (51% / 49% against 50 / 50) at 100,000 units.
    const flagged: boolean[] = [];
    for (let r = 0; r < 50; r++) {
      const counts = [0, 0];
      for (let i = 0; i < 100_000; i++) counts[u() < 0.51 ? 0 : 1]!++;
      flagged.push(srmTest(counts, [0.5, 0.5]).pValue < 0.001);
    }
    expect(share(flagged)).toBe(1);
  });
});

describe('simulation: multiple-testing corrections', () => {
  // Families of 10 independent tests (200 units an arm each); the 95% Monte Carlo margin of a
  // rate near 5% over 2,000 families is ±1 point, so a correction must stay under 6%.
  const FAMILIES = 2000;
  const SIZE = 10;
  const MARGIN = 0.01;

  function family(rnorm: (mu: number, sd: number) => number, lifts: number[]): number[] {
    return lifts.map((lift) => {
      const [c, t] = normalArms(rnorm, 10, 3, lift, 200);
      return compare(c, t).pValue;
    });
  }

  it('A/A families: Holm and BH keep the family-wise error under 5%; uncorrected tests do not', () => {
    const rnorm = normal.factory({ seed: 31 });
    const raw: boolean[] = [];
    const h: boolean[] = [];
    const bh: boolean[] = [];
    for (let f = 0; f < FAMILIES; f++) {
      const ps = family(rnorm, new Array(SIZE).fill(0));
      raw.push(ps.some((p) => p < 0.05));
      h.push(holm(ps).some((p) => p < 0.05));
      bh.push(benjaminiHochberg(ps).some((p) => p < 0.05));
    }
    expect(share(raw)).toBeGreaterThan(0.3); // 1 - 0.95^10 = 0.40
    expect(share(h)).toBeLessThanOrEqual(0.05 + MARGIN);
    expect(share(bh)).toBeLessThanOrEqual(0.05 + MARGIN);
  });

  it('mixed families (5 nulls, 5 real lifts): Holm keeps the family-wise error, BH the false discovery rate, under 5%', () => {
    const rnorm = normal.factory({ seed: 32 });
    const lifts = [0, 0, 0, 0, 0, 0.05, 0.06, 0.08, 0.1, 0.12];
    const isNull = lifts.map((l) => l === 0);
    const h: boolean[] = [];
    const fdp: number[] = [];
    let discoveries = 0;
    for (let f = 0; f < FAMILIES; f++) {
      const ps = family(rnorm, lifts);
      h.push(holm(ps).some((p, i) => isNull[i] && p < 0.05));
      const rejected = benjaminiHochberg(ps).map((p) => p < 0.05);
      const r = rejected.filter(Boolean).length;
      discoveries += r;
      fdp.push(r === 0 ? 0 : rejected.filter((x, i) => x && isNull[i]).length / r);
    }
    expect(share(h)).toBeLessThanOrEqual(0.05 + MARGIN);
    expect(mean(fdp)).toBeLessThan(0.05); // about 0.05 · 5/10 in theory
    expect(discoveries / FAMILIES).toBeGreaterThan(2.5); // most real lifts are found, so the rate means something
  });
});
