import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { fnv1a32, hashUnit, HASH_BUCKETS } from '../../engine/assignment/hash.js';
import { chooseVariant, variantRanges } from '../../engine/assignment/ranges.js';

interface HashVectors {
  hash: Array<[seed: string, value: string, version: number, expected: number]>;
  getBucketRanges: Array<[name: string, args: [count: number, coverage: number, weights: number[]], expected: Array<[number, number]>]>;
  endToEnd: Array<[name: string, c: { seed: string; unit: string; hash: number; variation: number; weights?: number[] }]>;
}

const vectors = JSON.parse(readFileSync(new URL('../vectors/growthbook-hash.json', import.meta.url), 'utf8')) as HashVectors;

/** GrowthBook hash v1, built on our fnv1a32 so the v1 rows check fnv1a32 on its own. */
const hashV1 = (seed: string, value: string) => (fnv1a32(value + seed) % 1000) / 1000;

/** Reference FNV-1a 32 over a list of code units, in BigInt arithmetic (no Math.imul tricks). */
function fnvReference(units: readonly number[]): number {
  let h = 0x811c9dc5n;
  for (const u of units) {
    h ^= BigInt(u);
    h = (h * 0x01000193n) & 0xffffffffn;
  }
  return Number(h);
}

const codeUnits = (s: string) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));
const utf8Bytes = (s: string) => [...Buffer.from(s, 'utf8')];

describe('hashUnit (GrowthBook hash v2)', () => {
  const v2 = vectors.hash.filter((r) => r[2] === 2);
  it('has version-2 vectors', () => expect(v2.length).toBeGreaterThan(0));
  it.each(v2)('hash(%j, %j, v%i) = %d', (seed, value, _version, expected) => {
    expect(hashUnit(seed, value)).toBe(expected);
  });

  it.each([
    ['checkout-button', 'u1'],
    ['', ''],
    ['seed', '😀'],
    ['layer:checkout', 'user-42'],
  ])('hash(%j, %j) is a multiple of 1/HASH_BUCKETS in [0, 1)', (seed, unit) => {
    const h = hashUnit(seed, unit);
    expect(h).toBeGreaterThanOrEqual(0);
    expect(h).toBeLessThan(1);
    expect(Number.isInteger(Math.round(h * HASH_BUCKETS * 1e6) / 1e6)).toBe(true);
    expect(hashUnit(seed, unit)).toBe(h);
  });
});

describe('fnv1a32 through GrowthBook hash v1', () => {
  const v1 = vectors.hash.filter((r) => r[2] === 1);
  it('has version-1 vectors', () => expect(v1.length).toBeGreaterThan(0));
  it.each(v1)('hash(%j, %j, v%i) = %d', (seed, value, _version, expected) => {
    expect(hashV1(seed, value)).toBe(expected);
  });
});

describe('fnv1a32', () => {
  // Published FNV-1a 32-bit test values (ASCII: one code unit per byte).
  it.each([
    ['', 0x811c9dc5],
    ['a', 0xe40c292c],
    ['foobar', 0xbf9cf968],
  ])('fnv1a32(%j) = %i', (text, expected) => {
    expect(fnv1a32(text)).toBe(expected);
  });

  it.each([
    ['ascii', 'user_id:12345'],
    ['latin-1', 'café'],
    ['BMP above 0xFF', '€ 20 – 東京'],
    ['surrogate pair', '😀'],
    ['lone surrogate', '\uD83D'],
    ['mixed', 'seed-ß-😀-x'],
  ])('hashes UTF-16 code units (%s)', (_name, text) => {
    const h = fnv1a32(text);
    expect(h).toBe(fnvReference(codeUnits(text)));
    expect(Number.isInteger(h) && h >= 0 && h <= 0xffffffff).toBe(true);
  });

  it('differs from hashing UTF-8 bytes once a character is outside ASCII', () => {
    expect(fnv1a32('abc')).toBe(fnvReference(utf8Bytes('abc')));
    expect(fnv1a32('é')).not.toBe(fnvReference(utf8Bytes('é')));
    // U+00E9 is one code unit 0xE9, the same as its Latin-1 byte.
    expect(fnv1a32('é')).toBe(fnvReference([0xe9]));
  });

  it('hashes an astral character as its two surrogates, not as one code point', () => {
    expect(fnv1a32('😀')).toBe(fnvReference([0xd83d, 0xde00]));
    expect(fnv1a32('😀')).not.toBe(fnvReference([0x1f600]));
  });

  it('does not normalise Unicode: precomposed and decomposed é hash differently', () => {
    expect(fnv1a32('\u00e9')).not.toBe(fnv1a32('e\u0301'));
  });
});

describe('variantRanges (GrowthBook getBucketRanges)', () => {
  it.each(vectors.getBucketRanges)('%s', (_name, [count, coverage, weights], expected) => {
    expect(weights).toHaveLength(count);
    const ranges = variantRanges(weights, coverage);
    expect(ranges).toHaveLength(expected.length);
    ranges.forEach((r, i) => {
      expect(r[0]).toBeCloseTo(expected[i]![0], 10);
      expect(r[1]).toBeCloseTo(expected[i]![1], 10);
    });
  });

  it.each([
    ['relative weights are normalised', [50, 50], 1, [[0, 0.5], [0.5, 1]]],
    ['coverage shrinks each range from its start', [1, 3], 0.5, [[0, 0.125], [0.25, 0.625]]],
    ['coverage above 1 is clamped', [1, 1], 2, [[0, 0.5], [0.5, 1]]],
    ['coverage below 0 is clamped', [1, 1], -1, [[0, 0], [0.5, 0.5]]],
    ['zero-sum weights fall back to equal weights', [0, 0], 1, [[0, 0.5], [0.5, 1]]],
  ] as Array<[string, number[], number, Array<[number, number]>]>)('%s', (_name, weights, coverage, expected) => {
    const ranges = variantRanges(weights, coverage);
    expect(ranges).toHaveLength(expected.length);
    ranges.forEach((r, i) => {
      expect(r[0]).toBeCloseTo(expected[i]![0], 10);
      expect(r[1]).toBeCloseTo(expected[i]![1], 10);
    });
  });
});

describe('chooseVariant', () => {
  const ranges = variantRanges([0.2, 0.3, 0.5], 0.2);
  it.each([
    [0, 0],
    [0.0399, 0],
    // 0.2 * 0.2 is 0.04000000000000001 in floating point, so bucket 0.04 is still inside variant 0,
    // exactly as in GrowthBook's getBucketRanges (same arithmetic, same users in the same variant).
    [0.04, 0],
    [0.0401, -1],
    [0.2, 1],
    [0.2599, 1],
    [0.26, -1],
    [0.5, 2],
    [0.5999, 2],
    [0.6, -1],
    [0.9999, -1],
  ])('hash %d → variant %i (ranges are half-open)', (h, expected) => {
    expect(chooseVariant(h, ranges)).toBe(expected);
  });
});

describe('end to end: hash then choose', () => {
  it.each(vectors.endToEnd)('%s', (_name, c) => {
    const weights = c.weights ?? [0.3334, 0.3333, 0.3333];
    const h = hashUnit(c.seed, c.unit);
    expect(h).toBe(c.hash);
    expect(chooseVariant(h, variantRanges(weights, 1))).toBe(c.variation);
  });
});
