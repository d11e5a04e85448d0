import { GrowthBook } from '@growthbook/growthbook';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JsonObject } from '../../core/types.js';
import { assign, evaluate } from '../../engine/assignment/assign.js';
import { hashUnit } from '../../engine/assignment/hash.js';
import { buildSnapshot } from '../../engine/assignment/snapshot.js';

/**
 * Differential test against the GrowthBook SDK (docs/assignment.md: "teams moving from GrowthBook keep
 * their users' variants"). For each experiment, 10,000 generated units are assigned by our engine
 * and by `GrowthBook.run` with hash v2; the variant index, inExperiment and the hash must agree
 * for every unit.
 */

const UNITS_PER_EXPERIMENT = 10_000;
const NOW = Date.parse('2025-06-15T12:00:00.000Z');

/** Small deterministic PRNG (mulberry32), so the generated units are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ['ada', 'grace', 'linus', 'zoë', 'søren', 'łukasz', 'まさと', '李雷', 'ömer', 'ngozi', 'émile', 'дмитрий'];

/** Unit ids in the shapes real systems use: counters, UUIDs, emails, numeric ids, unicode, odd characters. */
function generateUnits(seed: number, n: number): string[] {
  const rnd = prng(seed);
  const hex = (len: number) => Array.from({ length: len }, () => Math.floor(rnd() * 16).toString(16)).join('');
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rnd() * xs.length)]!;
  const units = new Set<string>();
  for (let i = 0; units.size < n; i++) {
    switch (i % 8) {
      case 0:
        units.add(`u${i}`);
        break;
      case 1:
        units.add(`${hex(8)}-${hex(4)}-4${hex(3)}-${pick(['8', '9', 'a', 'b'])}${hex(3)}-${hex(12)}`);
        break;
      case 2:
        units.add(`${pick(NAMES)}.${Math.floor(rnd() * 1e6)}@example.com`);
        break;
      case 3:
        units.add(String(Math.floor(rnd() * 1e12)));
        break;
      case 4:
        units.add(`${pick(NAMES)}-${pick(['😀', '🚀', '👩‍💻', '🇳🇱', ''])}${i}`);
        break;
      case 5:
        units.add(`device:${hex(16).toUpperCase()}`);
        break;
      case 6:
        units.add(`${i} with spaces/and\\slashes?&=#${hex(2)}`);
        break;
      default:
        units.add(String(i));
    }
  }
  return [...units];
}

interface Case {
  name: string;
  /** Our experiment name and seed. */
  key: string;
  seed: string;
  coverage: number;
  /** Weights as a labctl spec writes them (normalised by our engine). */
  ourWeights: number[];
  /** The same weights as GrowthBook wants them (summing to 1). */
  gbWeights: [number, number, ...number[]];
}

const CASES: Case[] = [
  { name: '2 variants 50/50, coverage 1', key: 'checkout-button', seed: 'checkout-button', coverage: 1, ourWeights: [50, 50], gbWeights: [0.5, 0.5] },
  { name: '3 variants .2/.3/.5, coverage 0.2', key: 'three-way', seed: 'three-way', coverage: 0.2, ourWeights: [0.2, 0.3, 0.5], gbWeights: [0.2, 0.3, 0.5] },
  { name: '4 variants uneven, coverage 0.75', key: 'four-way', seed: 'pricing-page-2025', coverage: 0.75, ourWeights: [10, 20, 30, 40], gbWeights: [0.1, 0.2, 0.3, 0.4] },
  { name: '2 variants 1/99, coverage 0.05', key: 'tiny-rollout', seed: 'tiny-rollout', coverage: 0.05, ourWeights: [1, 99], gbWeights: [0.01, 0.99] },
  {
    name: 'long seed with unicode, 3 equal variants, coverage 0.9',
    key: 'unicode-seed',
    seed: 'søk-ranking/2025 — 🚀 experiment für Zürich 東京 '.repeat(6) + '👩‍💻',
    coverage: 0.9,
    ourWeights: [1, 1, 1],
    gbWeights: [1 / 3, 1 / 3, 1 / 3],
  },
  { name: '5 variants with a tiny arm, coverage 0.5', key: 'five-way', seed: 'five-way-seed', coverage: 0.5, ourWeights: [0.05, 0.25, 0.25, 0.25, 0.2], gbWeights: [0.05, 0.25, 0.25, 0.25, 0.2] },
  { name: 'empty-ish seed: a single space', key: 'blank-seed', seed: ' ', coverage: 1, ourWeights: [3, 7], gbWeights: [0.3, 0.7] },
];

const snapshot = buildSnapshot(
  CASES.map((c): { kind: string; name: string; spec: JsonObject } => ({
    kind: 'Experiment',
    name: c.key,
    spec: {
      name: c.key,
      status: 'running',
      unit: 'id',
      seed: c.seed,
      phase: 1,
      coverage: c.coverage,
      variants: c.ourWeights.map((weight, i) => ({ key: `v${i}`, weight, value: i })),
    },
  })),
  'differential',
  NOW,
);

describe('GrowthBook SDK differential (hash v2, 10,000 units per experiment)', () => {
  // The SDK logs only in debug mode and reports misconfiguration with console.error; either would
  // mean the comparison is not like for like, so both are captured and must stay silent.
  const logged: unknown[][] = [];
  beforeAll(() => {
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void logged.push(args));
    vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void logged.push(args));
  });
  afterAll(() => vi.restoreAllMocks());

  it.each(CASES.map((c, i) => [c.name, c, i] as const))('%s', (_name, c, i) => {
    const units = generateUnits(1000 + i, UNITS_PER_EXPERIMENT);
    expect(units.length).toBe(UNITS_PER_EXPERIMENT);
    const exp = snapshot.experiments.get(c.key)!;
    const variations = c.gbWeights.map((_, j) => j) as [number, number, ...number[]];
    const mismatches: string[] = [];
    const perVariant = new Array<number>(c.gbWeights.length).fill(0);
    let enrolled = 0;

    for (const unit of units) {
      const gb = new GrowthBook({ attributes: { id: unit } });
      const theirs = gb.run({ key: c.key, variations, weights: c.gbWeights, coverage: c.coverage, hashVersion: 2, seed: c.seed, hashAttribute: 'id' });
      gb.destroy();

      const ours = assign(snapshot, c.key, { id: unit }, NOW);
      const detail = evaluate(exp, { id: unit }, NOW);
      const ourIndex = Number(ours.variant!.slice(1));

      if (ourIndex !== theirs.variationId || ours.inExperiment !== theirs.inExperiment || ours.value !== theirs.value) {
        mismatches.push(`${JSON.stringify(unit)}: ours ${ours.variant} (${ours.reason}, hash ${detail.hash}) vs GrowthBook ${theirs.variationId} (inExperiment ${theirs.inExperiment}, bucket ${theirs.bucket})`);
      } else if (theirs.inExperiment && theirs.bucket !== detail.hash) {
        mismatches.push(`${JSON.stringify(unit)}: hash ${detail.hash} vs GrowthBook bucket ${theirs.bucket}`);
      }
      expect(ours.reason).toBe(ours.inExperiment ? 'split' : 'coverage_miss');
      if (ours.inExperiment) {
        enrolled++;
        perVariant[ourIndex]!++;
      }
    }

    expect(mismatches.slice(0, 10)).toEqual([]);
    expect(mismatches.length).toBe(0);
    // The comparison is only meaningful if the split really happened: enrolment near coverage and
    // every variant reached (the 1/99 case enrols ~0.05% of units in its 1% arm, so allow zero there).
    expect(enrolled / units.length).toBeGreaterThan(c.coverage - 0.03);
    expect(enrolled / units.length).toBeLessThan(c.coverage + 0.03);
    c.gbWeights.forEach((w, j) => {
      if (w * c.coverage * units.length >= 20) expect(perVariant[j]).toBeGreaterThan(0);
    });
    expect(logged).toEqual([]);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('units hashing onto or next to a range boundary agree too: %s', (_name, c) => {
    const exp = snapshot.experiments.get(c.key)!;
    const edges = exp.ranges.flat();
    // Hashes are multiples of 1/10000: keep units within one step of any range start or end.
    const near = (h: number) => edges.some((e) => Math.abs(h - e) <= 1.0001e-4);
    const units: string[] = [];
    for (let i = 0; units.length < 400 && i < 400_000; i++) {
      const u = `edge-${i}`;
      if (near(hashUnit(c.seed, u))) units.push(u);
    }
    expect(units.length).toBeGreaterThan(50);
    const variations = c.gbWeights.map((_, j) => j) as [number, number, ...number[]];
    for (const unit of units) {
      const gb = new GrowthBook({ attributes: { id: unit } });
      const theirs = gb.run({ key: c.key, variations, weights: c.gbWeights, coverage: c.coverage, hashVersion: 2, seed: c.seed, hashAttribute: 'id' });
      gb.destroy();
      const ours = assign(snapshot, c.key, { id: unit }, NOW);
      expect([unit, Number(ours.variant!.slice(1)), ours.inExperiment]).toEqual([unit, theirs.variationId, theirs.inExperiment]);
    }
  });

  it('the SDK would disagree if the hash version differed (the comparison has teeth)', () => {
    const c = CASES[0]!;
    const units = generateUnits(1000, 500);
    let differ = 0;
    for (const unit of units) {
      const gb = new GrowthBook({ attributes: { id: unit } });
      const v1 = gb.run({ key: c.key, variations: [0, 1], weights: c.gbWeights, coverage: c.coverage, hashVersion: 1, seed: c.seed, hashAttribute: 'id' });
      gb.destroy();
      if (Number(assign(snapshot, c.key, { id: unit }, NOW).variant!.slice(1)) !== v1.variationId) differ++;
    }
    expect(differ).toBeGreaterThan(100);
  });

  it('GrowthBook uses the key as the seed when no seed is given; our seed defaults to the name the same way', () => {
    const spec: JsonObject = { name: 'default-seed', status: 'running', unit: 'id', seed: 'default-seed', phase: 1, coverage: 1, variants: [{ key: 'v0', weight: 1 }, { key: 'v1', weight: 1 }] };
    const s = buildSnapshot([{ kind: 'Experiment', name: 'default-seed', spec }], 'r', NOW);
    for (const unit of generateUnits(7, 2000)) {
      const gb = new GrowthBook({ attributes: { id: unit } });
      const theirs = gb.run({ key: 'default-seed', variations: [0, 1], hashVersion: 2, hashAttribute: 'id' });
      gb.destroy();
      const ours = assign(s, 'default-seed', { id: unit }, NOW);
      expect([Number(ours.variant!.slice(1)), ours.inExperiment]).toEqual([theirs.variationId, theirs.inExperiment]);
    }
  });

  it('a missing unit is not enrolled by either', () => {
    const gb = new GrowthBook({ attributes: {} });
    const theirs = gb.run({ key: 'checkout-button', variations: [0, 1], hashVersion: 2, hashAttribute: 'id' });
    gb.destroy();
    const ours = assign(snapshot, 'checkout-button', {}, NOW);
    expect(theirs).toMatchObject({ variationId: 0, inExperiment: false });
    expect(ours).toMatchObject({ variant: 'v0', inExperiment: false, reason: 'missing_unit' });
  });
});
