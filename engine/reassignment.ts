import { HASH_BUCKETS } from './assignment/hash.js';
import { chooseVariant, inRange, variantRanges, type Range } from './assignment/ranges.js';
import type { JsonObject, ReassignmentImpact } from '../core/types.js';

/** The parts of an experiment that decide which units get which variant. */
export interface Allocation {
  /** Request attribute that is hashed; a different one re-randomises every unit, like a new seed. */
  unit: string;
  seed: string;
  coverage: number;
  variants: ReadonlyArray<{ key: string; weight: number }>;
  layer?: { name: string; range: Range };
}

/** Allocation of a normalised experiment spec. */
export function allocationOf(spec: JsonObject): Allocation {
  const layer = spec.layer as { name: string; range: [number, number] } | undefined;
  return {
    unit: spec.unit as string,
    seed: spec.seed as string,
    coverage: spec.coverage as number,
    variants: (spec.variants as Array<{ key: string; weight: number }>).map((v) => ({ key: v.key, weight: v.weight })),
    layer: layer ? { name: layer.name, range: [layer.range[0], layer.range[1]] } : undefined,
  };
}

type Joint = Map<string, number>; // "a|b" -> probability

function bucketValue(k: number): number {
  return k / HASH_BUCKETS;
}

/** Joint distribution of (old, new) variant keys over the split hash; '' is not enrolled. */
function splitJoint(before: Allocation, after: Allocation): Joint {
  const rb = variantRanges(before.variants.map((v) => v.weight), before.coverage);
  const ra = variantRanges(after.variants.map((v) => v.weight), after.coverage);
  const keyB = (h: number) => before.variants[chooseVariant(h, rb)]?.key ?? '';
  const keyA = (h: number) => after.variants[chooseVariant(h, ra)]?.key ?? '';
  const joint: Joint = new Map();
  const add = (k: string, p: number) => joint.set(k, (joint.get(k) ?? 0) + p);
  if (before.seed === after.seed && before.unit === after.unit) {
    for (let k = 0; k < HASH_BUCKETS; k++) add(`${keyB(bucketValue(k))}|${keyA(bucketValue(k))}`, 1 / HASH_BUCKETS);
  } else {
    // A new seed re-hashes every unit: old and new buckets are independent.
    const mb = new Map<string, number>();
    const ma = new Map<string, number>();
    for (let k = 0; k < HASH_BUCKETS; k++) {
      const h = bucketValue(k);
      mb.set(keyB(h), (mb.get(keyB(h)) ?? 0) + 1 / HASH_BUCKETS);
      ma.set(keyA(h), (ma.get(keyA(h)) ?? 0) + 1 / HASH_BUCKETS);
    }
    for (const [b, pb] of mb) for (const [a, pa] of ma) add(`${b}|${a}`, pb * pa);
  }
  return joint;
}

/** Joint distribution of (in old slice, in new slice) over the layer hash. */
function layerJoint(before: Allocation, after: Allocation): { both: number; oldOnly: number; newOnly: number; neither: number } {
  const lb = before.layer;
  const la = after.layer;
  const share = (l?: { range: Range }) => {
    if (!l) return 1;
    let n = 0;
    for (let k = 0; k < HASH_BUCKETS; k++) if (inRange(bucketValue(k), l.range)) n++;
    return n / HASH_BUCKETS;
  };
  if (!lb || !la || lb.name !== la.name) {
    const pb = share(lb);
    const pa = share(la);
    return { both: pb * pa, oldOnly: pb * (1 - pa), newOnly: (1 - pb) * pa, neither: (1 - pb) * (1 - pa) };
  }
  const r = { both: 0, oldOnly: 0, newOnly: 0, neither: 0 };
  for (let k = 0; k < HASH_BUCKETS; k++) {
    const b = inRange(bucketValue(k), lb.range);
    const a = inRange(bucketValue(k), la.range);
    const key = b && a ? 'both' : b ? 'oldOnly' : a ? 'newOnly' : 'neither';
    r[key] += 1 / HASH_BUCKETS;
  }
  return r;
}

function causesOf(before: Allocation, after: Allocation): string[] {
  const causes: string[] = [];
  if (before.unit !== after.unit) causes.push('unit');
  if (before.seed !== after.seed) causes.push('seed');
  const keys = (a: Allocation) => a.variants.map((v) => v.key).join('\0');
  if (keys(before) !== keys(after)) causes.push('variants');
  else if (before.variants.some((v, i) => v.weight !== after.variants[i]!.weight)) causes.push('weights');
  if (before.coverage !== after.coverage) causes.push('coverage');
  if (before.layer?.name !== after.layer?.name || before.layer?.range.join() !== after.layer?.range.join()) causes.push('layer');
  return causes;
}

/** Exact (or, across a re-hash, expected) share of units that change assignment between two allocations. */
export function reassignmentImpact(before: Allocation, after: Allocation): Omit<ReassignmentImpact, 'acknowledged'> | undefined {
  const causes = causesOf(before, after);
  if (causes.length === 0) return undefined;
  const split = splitJoint(before, after);
  const layer = layerJoint(before, after);
  let moved = 0;
  let entering = 0;
  for (const [pair, p] of split) {
    const [b, a] = pair.split('|') as [string, string];
    // Units in both slices keep the split pair; units leaving the slice become '' and so on.
    const cases: Array<[number, string, string]> = [
      [layer.both, b, a],
      [layer.oldOnly, b, ''],
      [layer.newOnly, '', a],
    ];
    for (const [pl, ob, na] of cases) {
      if (ob === na) continue;
      if (ob !== '') moved += p * pl;
      else entering += p * pl;
    }
  }
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  return {
    changed: round(moved + entering),
    moved: round(moved),
    entering: round(entering),
    estimated: before.seed !== after.seed || before.unit !== after.unit || (!!before.layer && !!after.layer && before.layer.name !== after.layer.name),
    causes,
  };
}
