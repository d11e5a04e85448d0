/** 32-bit FNV-1a over UTF-16 code units. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Number of hash buckets: hashes are multiples of 1/HASH_BUCKETS in [0, 1). */
export const HASH_BUCKETS = 10000;

/** GrowthBook's hash v2: uniform in [0, 1) in steps of 1/10000, stable for (seed, unit). */
export function hashUnit(seed: string, unit: string): number {
  return (fnv1a32(String(fnv1a32(seed + unit))) % HASH_BUCKETS) / HASH_BUCKETS;
}
