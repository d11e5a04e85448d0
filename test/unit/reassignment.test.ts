import { describe, expect, it } from 'vitest';
import { allocationOf, reassignmentImpact, type Allocation } from '../../engine/reassignment.js';
import { experimentKind } from '../../kinds/experiment/kind.js';
import type { JsonObject } from '../../core/types.js';
import { hashUnit } from '../../engine/assignment/hash.js';
import { chooseVariant, inRange, variantRanges } from '../../engine/assignment/ranges.js';

/** A compact allocation: `alloc({ w: { control: 50, green: 50 }, coverage: 1 })`. */
function alloc(a: { w: Record<string, number>; coverage?: number; seed?: string; unit?: string; layer?: [string, number, number] }): Allocation {
  return {
    unit: a.unit ?? 'user_id',
    seed: a.seed ?? 'exp',
    coverage: a.coverage ?? 1,
    variants: Object.entries(a.w).map(([key, weight]) => ({ key, weight })),
    layer: a.layer ? { name: a.layer[0], range: [a.layer[1], a.layer[2]] } : undefined,
  };
}

const fifty = { control: 50, green: 50 };

interface Expected {
  moved: number;
  entering: number;
  estimated: boolean;
  causes: string[];
}

describe('reassignmentImpact: exact shares', () => {
  it.each<[string, Allocation, Allocation, Expected]>([
    ['50/50 → 60/40 moves exactly 10%', alloc({ w: fifty }), alloc({ w: { control: 60, green: 40 } }), { moved: 0.1, entering: 0, estimated: false, causes: ['weights'] }],
    ['relative weights: 1/1 → 3/2 is the same as 50/50 → 60/40', alloc({ w: { control: 1, green: 1 } }), alloc({ w: { control: 3, green: 2 } }), { moved: 0.1, entering: 0, estimated: false, causes: ['weights'] }],
    ['coverage 0.5 → 1 with the same weights moves nobody, 50% enter', alloc({ w: fifty, coverage: 0.5 }), alloc({ w: fifty, coverage: 1 }), { moved: 0, entering: 0.5, estimated: false, causes: ['coverage'] }],
    ['coverage 0.2 → 0.3 lets 10% enter', alloc({ w: fifty, coverage: 0.2 }), alloc({ w: fifty, coverage: 0.3 }), { moved: 0, entering: 0.1, estimated: false, causes: ['coverage'] }],
    ['coverage 1 → 0.5 makes 50% leave', alloc({ w: fifty, coverage: 1 }), alloc({ w: fifty, coverage: 0.5 }), { moved: 0.5, entering: 0, estimated: false, causes: ['coverage'] }],
    [
      '50/50 at coverage 0.5 → 60/40 at coverage 1: 10% move, 50% enter',
      alloc({ w: fifty, coverage: 0.5 }),
      alloc({ w: { control: 60, green: 40 }, coverage: 1 }),
      { moved: 0.1, entering: 0.5, estimated: false, causes: ['weights', 'coverage'] },
    ],
    ['renaming a variant moves that variant’s share', alloc({ w: fifty }), alloc({ w: { control: 50, lime: 50 } }), { moved: 0.5, entering: 0, estimated: false, causes: ['variants'] }],
    ['renaming a 20% variant moves 20%', alloc({ w: { control: 80, green: 20 } }), alloc({ w: { control: 80, lime: 20 } }), { moved: 0.2, entering: 0, estimated: false, causes: ['variants'] }],
    ['swapping the order of two variants moves everyone', alloc({ w: fifty }), alloc({ w: { green: 50, control: 50 } }), { moved: 1, entering: 0, estimated: false, causes: ['variants'] }],
    ['adding a third variant 1/1 → 1/1/2 moves 75%', alloc({ w: { control: 1, green: 1 } }), alloc({ w: { control: 1, green: 1, red: 2 } }), { moved: 0.75, entering: 0, estimated: false, causes: ['variants'] }],
    // Exact over the 10,000 buckets: [0.25, 1/3) holds 834 buckets and [0.5, 2/3) holds 1,667.
    ['thirds → 1/1/2 moves 2,501 of 10,000 buckets', alloc({ w: { a: 1, b: 1, c: 1 } }), alloc({ w: { a: 1, b: 1, c: 2 } }), { moved: 0.2501, entering: 0, estimated: false, causes: ['weights'] }],
    ['a new seed re-randomises 50/50: half move, in expectation', alloc({ w: fifty, seed: 'a' }), alloc({ w: fifty, seed: 'b' }), { moved: 0.5, entering: 0, estimated: true, causes: ['seed'] }],
    ['a new seed at 90/10 moves 2·0.9·0.1 = 18%', alloc({ w: { control: 90, green: 10 }, seed: 'a' }), alloc({ w: { control: 90, green: 10 }, seed: 'b' }), { moved: 0.18, entering: 0, estimated: true, causes: ['seed'] }],
    ['layer range grows [0,0.5) → [0,0.6): 10% enter', alloc({ w: fifty, layer: ['l', 0, 0.5] }), alloc({ w: fifty, layer: ['l', 0, 0.6] }), { moved: 0, entering: 0.1, estimated: false, causes: ['layer'] }],
    ['layer range shrinks [0,0.5) → [0.1,0.5): 10% leave', alloc({ w: fifty, layer: ['l', 0, 0.5] }), alloc({ w: fifty, layer: ['l', 0.1, 0.5] }), { moved: 0.1, entering: 0, estimated: false, causes: ['layer'] }],
    ['layer range moves [0,0.5) → [0.5,1): half leave, half enter', alloc({ w: fifty, layer: ['l', 0, 0.5] }), alloc({ w: fifty, layer: ['l', 0.5, 1] }), { moved: 0.5, entering: 0.5, estimated: false, causes: ['layer'] }],
    ['joining a layer slice of 30% makes 70% leave', alloc({ w: fifty }), alloc({ w: fifty, layer: ['l', 0, 0.3] }), { moved: 0.7, entering: 0, estimated: false, causes: ['layer'] }],
    ['leaving a layer slice of 30% lets 70% enter', alloc({ w: fifty, layer: ['l', 0, 0.3] }), alloc({ w: fifty }), { moved: 0, entering: 0.7, estimated: false, causes: ['layer'] }],
    ['another layer with the same range re-hashes the slice: expected 25% leave, 25% enter', alloc({ w: fifty, layer: ['l1', 0, 0.5] }), alloc({ w: fifty, layer: ['l2', 0, 0.5] }), { moved: 0.25, entering: 0.25, estimated: true, causes: ['layer'] }],
  ])('%s', (_name, before, after, expected) => {
    const impact = reassignmentImpact(before, after);
    expect(impact).toBeDefined();
    expect(impact!.moved).toBeCloseTo(expected.moved, 6);
    expect(impact!.entering).toBeCloseTo(expected.entering, 6);
    expect(impact!.changed).toBeCloseTo(expected.moved + expected.entering, 6);
    expect(impact!.estimated).toBe(expected.estimated);
    expect(impact!.causes).toEqual(expected.causes);
  });

  it.each<[string, Allocation, Allocation]>([
    ['identical allocations', alloc({ w: fifty }), alloc({ w: fifty })],
    ['identical layered allocations', alloc({ w: fifty, layer: ['l', 0, 0.5] }), alloc({ w: fifty, layer: ['l', 0, 0.5] })],
  ])('%s: no impact', (_name, before, after) => {
    expect(reassignmentImpact(before, after)).toBeUndefined();
  });
});

describe('unit attribute change', () => {
  it('re-randomises every unit like a seed change (estimated, half of a 50/50 split moves)', () => {
    const r = reassignmentImpact(alloc({ w: { a: 1, b: 1 } }), alloc({ w: { a: 1, b: 1 }, unit: 'device_id' }))!;
    expect(r.causes).toEqual(['unit']);
    expect(r.estimated).toBe(true);
    expect(r.moved).toBeCloseTo(0.5, 3);
  });
});

describe('allocationOf', () => {
  it('takes seed, coverage, variant keys and weights, and the layer from a normalised spec', () => {
    const spec: JsonObject = {
      status: 'running',
      seed: 's',
      phase: 1,
      coverage: 0.4,
      unit: 'user_id',
      variants: [
        { key: 'control', weight: 1, value: { color: 'blue' } },
        { key: 'green', weight: 3, value: { color: 'green' } },
      ],
      layer: { name: 'checkout', range: [0.1, 0.2] },
    };
    expect(allocationOf(spec)).toEqual({
      unit: 'user_id',
      seed: 's',
      coverage: 0.4,
      variants: [
        { key: 'control', weight: 1 },
        { key: 'green', weight: 3 },
      ],
      layer: { name: 'checkout', range: [0.1, 0.2] },
    });
  });
});

/** Assignment of one unit under an allocation, as the runtime does it (§5): layer slice, then split. */
function assignmentOf(a: Allocation, unit: string): string {
  if (a.layer && !inRange(hashUnit(`layer:${a.layer.name}`, unit), a.layer.range)) return '';
  const i = chooseVariant(hashUnit(a.seed, unit), variantRanges(a.variants.map((v) => v.weight), a.coverage));
  return i < 0 ? '' : a.variants[i]!.key;
}

describe('reassignmentImpact agrees with hashing real units', () => {
  const N = 20_000;
  const units = Array.from({ length: N }, (_, i) => `user-${i}`);
  // Binomial standard deviation is at most sqrt(0.25 / 20000) ≈ 0.0035; allow about 4 of them.
  const tolerance = 0.015;

  it.each<[string, Allocation, Allocation]>([
    ['50/50 → 60/40', alloc({ w: fifty, seed: 'checkout-button' }), alloc({ w: { control: 60, green: 40 }, seed: 'checkout-button' })],
    ['coverage 0.5 → 1 plus weights', alloc({ w: fifty, coverage: 0.5, seed: 'x' }), alloc({ w: { control: 60, green: 40 }, coverage: 1, seed: 'x' })],
    ['seed change', alloc({ w: fifty, seed: 'old' }), alloc({ w: fifty, seed: 'new' })],
    ['layer range change', alloc({ w: fifty, seed: 'e', layer: ['checkout', 0, 0.5] }), alloc({ w: fifty, seed: 'e', layer: ['checkout', 0.2, 0.7] })],
    ['layer rename', alloc({ w: fifty, seed: 'e', layer: ['a', 0, 0.5] }), alloc({ w: fifty, seed: 'e', layer: ['b', 0, 0.5] })],
  ])('%s', (_name, before, after) => {
    const impact = reassignmentImpact(before, after)!;
    let moved = 0;
    let entering = 0;
    for (const u of units) {
      const b = assignmentOf(before, u);
      const a = assignmentOf(after, u);
      if (b === a) continue;
      if (b !== '') moved++;
      else entering++;
    }
    expect(Math.abs(moved / N - impact.moved)).toBeLessThan(tolerance);
    expect(Math.abs(entering / N - impact.entering)).toBeLessThan(tolerance);
  });
});

describe('experimentKind.checkChange', () => {
  const spec = (o: Partial<Record<string, unknown>> = {}): JsonObject =>
    ({
      status: 'running',
      unit: 'user_id',
      seed: 'exp',
      phase: 1,
      coverage: 1,
      variants: [
        { key: 'control', weight: 50 },
        { key: 'green', weight: 50 },
      ],
      ...o,
    }) as JsonObject;
  const sixty = [
    { key: 'control', weight: 60 },
    { key: 'green', weight: 40 },
  ];

  it.each<[string, JsonObject, JsonObject, { problems: string[]; reassignment: boolean; acknowledged?: boolean }]>([
    ['weights of a running experiment without a phase bump', spec(), spec({ variants: sixty }), { problems: ['reassignment-unacknowledged'], reassignment: true, acknowledged: false }],
    ['weights of a paused experiment without a phase bump', spec({ status: 'paused' }), spec({ status: 'paused', variants: sixty }), { problems: ['reassignment-unacknowledged'], reassignment: true, acknowledged: false }],
    ['weights with a phase bump', spec(), spec({ variants: sixty, phase: 2 }), { problems: [], reassignment: true, acknowledged: true }],
    ['coverage ramp-up only lets units enter', spec({ coverage: 0.5 }), spec({ coverage: 1 }), { problems: [], reassignment: true, acknowledged: false }],
    ['a draft experiment may change freely', spec({ status: 'draft' }), spec({ status: 'draft', variants: sixty }), { problems: [], reassignment: false }],
    ['starting an experiment is not a reassignment', spec({ status: 'draft' }), spec({ variants: sixty }), { problems: [], reassignment: false }],
    ['a payload change moves nobody', spec(), spec({ description: 'x' }), { problems: [], reassignment: false }],
  ])('%s', (_name, before, after, expected) => {
    const check = experimentKind.checkChange!(before, after);
    expect(check.problems.map((p) => p.code)).toEqual(expected.problems);
    expect(check.reassignment !== undefined).toBe(expected.reassignment);
    if (expected.acknowledged !== undefined) expect(check.reassignment!.acknowledged).toBe(expected.acknowledged);
  });

  it('names the share, the cause and the next phase', () => {
    const [p] = experimentKind.checkChange!(spec({ phase: 3 }), spec({ phase: 3, variants: sixty })).problems;
    expect(p).toMatchObject({ code: 'reassignment-unacknowledged', path: ['variants'] });
    expect(p!.summary).toContain('10.00%');
    expect(p!.summary).toContain('weights');
    expect(p!.hint).toContain('phase: 4');
  });

  it('marks a seed change as an estimate and points at the seed', () => {
    const [p] = experimentKind.checkChange!(spec(), spec({ seed: 'other' })).problems;
    expect(p).toMatchObject({ code: 'reassignment-unacknowledged', path: ['seed'] });
    expect(p!.summary).toContain('≈50.00%');
  });
});
