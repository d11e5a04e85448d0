const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over the UTF-16 code units of text, continuing from state h (not yet made unsigned). */
function fnvFrom(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h;
}

/** 32-bit FNV-1a over UTF-16 code units. */
export function fnv1a32(text: string): number {
  return fnvFrom(FNV_OFFSET, text) >>> 0;
}

/** Number of hash buckets: hashes are multiples of 1/HASH_BUCKETS in [0, 1). */
export const HASH_BUCKETS = 10000;

const DIGITS = new Uint8Array(10);

/** fnv1a32(String(n)) for an integer 0 ≤ n < 2^32, without building the string. */
function fnvDecimal(n: number): number {
  let len = 0;
  do {
    const q = (n / 10) >>> 0;
    DIGITS[len++] = n - q * 10;
    n = q;
  } while (n > 0);
  let h = FNV_OFFSET;
  while (len > 0) {
    h ^= 48 + DIGITS[--len]!;
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/**
 * The FNV-1a state after a seed. Hashing `seed + unit` continues from it, so a snapshot computes it
 * once per seed (hashWithSeedState) and the hot path neither concatenates nor rehashes the seed.
 */
export function seedState(seed: string): number {
  return fnvFrom(FNV_OFFSET, seed);
}

/** hashUnit(seed, unit) given seedState(seed). Allocation-free. */
export function hashWithSeedState(state: number, unit: string): number {
  return (fnvDecimal(fnvFrom(state, unit) >>> 0) % HASH_BUCKETS) / HASH_BUCKETS;
}

/** GrowthBook's hash v2: uniform in [0, 1) in steps of 1/10000, stable for (seed, unit). */
export function hashUnit(seed: string, unit: string): number {
  return hashWithSeedState(seedState(seed), unit);
}
