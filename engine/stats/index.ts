// The statistics engine: pure functions from per-variant sufficient statistics to comparisons.
export type { Alternative, CompareOptions, Comparison, ComparisonError, CupedStats, MeanStats, RatioStats, VariantStats } from './types.js';
export { compare, DEFAULT_ALPHA, DEFAULT_TUNING } from './compare.js';
export { meanOf, varianceOf } from './moments.js';
export { srmTest, type SrmResult } from './srm.js';
export { benjaminiHochberg, holm } from './correction.js';
export { chiSquareCdf, stdNormalCdf, stdNormalQuantile, tCdf, tQuantile } from './distributions.js';
